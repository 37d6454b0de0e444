"""Every template the engine may draw, read by the rules of ``breachbench check``.

A contradiction found in generated rows is a class of bug: a template that can be written
about a patient it does not fit. Sampling rows finds a few of them per seed; these tests
read every reachable template instead, at the edges of the ages, sexes and years it is
drawn for, and (for the words a rule reads) under every kind of writing noise, so that the
whole class stays fixed.

Templates are rendered with fixed values for their slots, and each one becomes a
:class:`~breachbench.benchmarks.check.Record` of the patient it could be written about.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re

import numpy as np
import pytest
from breachbench.benchmarks.check import (
    Record,
    fold,
    load_eligibility,
    load_markers,
    load_residence_rules,
    load_since,
    rule_anachronism,
    rule_date_after_creation,
    rule_eligibility,
    rule_residence,
    rule_same_sex_partner,
)
from breachbench.generator.comments.compiled import load_compiled, ordered_templates
from breachbench.generator.comments.homes import load_residence_groups
from breachbench.generator.comments.noise import EDITS, load_noise
from breachbench.generator.comments.templates import (
    FEMALE_PARTNER,
    Piece,
    Template,
    load_templates,
)
from hypothesis import given, settings
from hypothesis import strategies as st

_VALUES = {
    "first_name_m": "Paul",
    "first_name_f": "Anne",
    "surname": "Martin",
    "full_name": "Anne Martin",
    "phone": "06 39 98 00 00",
    "email": "a.martin@example.org",
    "address": "12 rue des Lilas, 75014 Paris",
    "street": "12 rue des Lilas",
    "city": "75014 Paris",
    "nir": "185037511100000",
    "partner": "conjoint",
}
_DATES = {"date": "12/03/{y}", "month_year": "mars {y}", "year": "{y}"}


@functools.cache
def reachable() -> tuple[Template, ...]:
    """The templates the engine can draw, with the age range it draws them for (their
    own, raised to their category's floor for a fact about the patient)."""
    compiled = load_compiled()
    drawn = np.zeros(len(compiled.piece_codes), dtype=bool)
    drawn[compiled.items_template[compiled.items_weight > 0]] = True
    out = []
    for i, template in enumerate(ordered_templates(load_templates(), compiled.keys)):
        if drawn[i] and template.partner:
            out.append(
                dataclasses.replace(
                    template, min_age=int(compiled.min_age[i]), max_age=int(compiled.max_age[i])
                )
            )
    return tuple(out)


def _text(piece: Piece, sex: str, year: int, partner: int = 0) -> str:
    if piece.slot is None:
        return piece.text
    if piece.slot == "partner" and partner == FEMALE_PARTNER:
        return "conjointe"  # the partner's noun agrees with the partner the template asks
    if piece.slot == "patient_name":
        return ("M. " if sex == "M" else "Mme ") + "Martin"
    if piece.slot in _DATES:
        return _DATES[piece.slot].format(y=year)
    return _VALUES.get(piece.slot, "X")


def record(
    template: Template,
    sex: str,
    *,
    age: int = 40,
    year: int = 2019,
    created: dt.date = dt.date(2020, 6, 15),
    literal: dict[str, str] | None = None,
) -> Record:
    """``template`` written about a patient of this sex and age, its dates in ``year``;
    ``literal`` rewrites literal pieces (a noisy variant of each)."""
    text, spans = "", []
    for piece in template.pieces:
        value = _text(piece, sex, year, template.partner)
        if piece.slot is None and literal is not None:
            value = literal.get(value, value)
        if piece.slot == "patient_name":
            text += value[: value.index(" ") + 1]
            value = value[value.index(" ") + 1 :]
        if piece.category is not None:
            span = (piece.subject or "patient", piece.assertion or "affirmed")
            spans.append((len(text), len(text) + len(value), piece.category, *span))
        text += value
    birth = created.replace(year=created.year - age) - dt.timedelta(days=1)
    return Record("P", text, spans, sex=sex, age=age, birth_date=birth, created_at=created)


def _sexes(template: Template) -> tuple[str, ...]:
    return ("M", "F") if template.sex == "any" else (template.sex,)


# ------------------------------------------------------------------ eligibility


@functools.cache
def _eligibility_candidates() -> tuple[Template, ...]:
    """Templates whose text a rule of ``eligibility.yaml`` could match (the others cannot
    break one, whoever they are written about)."""
    patterns = [r.pattern.pattern for r in load_eligibility() if r.pattern is not None]
    pattern = re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
    categories = {c for r in load_eligibility() for c in r.categories}
    return tuple(
        t
        for t in reachable()
        if pattern.search(fold("".join(p.text for p in t.pieces)))
        or any(p.category in categories for p in t.pieces)
    )


@pytest.mark.slow
def test_every_template_fits_every_patient_it_is_drawn_for():
    """eligibility.yaml: no template says of a patient what their sex or age rules out,
    at either end of the age range it is drawn for (the rules are thresholds)."""
    candidates = _eligibility_candidates()
    assert len(candidates) > 500
    wrong = {}
    for template in candidates:
        for sex in _sexes(template):
            for age in {template.min_age, template.max_age}:
                for finding in rule_eligibility(record(template, sex, age=age)):
                    wrong.setdefault(template.source, (sex, age, finding.text))
    assert not wrong, sorted(wrong.items())[:20]


def test_every_template_fits_every_department_it_is_drawn_for():
    """A template's ``lives`` and checks/residence.yaml agree: "déménage à 94260 Fresnes",
    a move out of reach, was written for a patient of Besançon with appointments after
    it (rule residence, 249 in 300,000 realistic rows of seed 12345; a reading of seed
    8181)."""
    groups = load_residence_groups()
    words = re.compile("|".join(f"(?:{r.pattern.pattern})" for r in load_residence_rules()))
    wrong = {}
    for template in reachable():
        text = fold("".join(_text(p, "F", 2019) for p in template.pieces))
        if not words.search(text):
            continue
        for department in sorted(groups.names_of(template.lives)):
            insee = department + ("01" if len(department) == 3 else "001")
            found = rule_residence(dataclasses.replace(record(template, "F"), insee_code=insee))
            if found:
                wrong.setdefault(template.source, (department, found[0].text))
    assert not wrong, sorted(wrong.items())[:20]


# ------------------------------------------------------------------ dates


def _future(template: Template) -> bool:
    return any(
        p.slot in _DATES and p.subject == "patient" and "future" in p.role.split(":")
        for p in template.pieces
    )


@functools.cache
def _noisy_literals() -> dict[str, list[str]]:
    """Every literal of the future-dated templates, as each edit a level draws may write it."""
    model = load_noise()
    drawn = [e for e in EDITS[1:] if any(lv.pieces[e] > 0 for lv in model.levels.values())]
    literals = {p.text for t in reachable() if _future(t) for p in t.pieces if p.slot is None}
    out: dict[str, list[str]] = {}
    for text in literals:
        variants = {text, model.strip_accents(text), model.upper(text)}
        for edit in drawn:
            for seed in range(8):
                variants.add(model.edit(edit)(text, np.random.default_rng(seed)))
        out[text] = sorted(variants)
    return out


def test_future_dates_are_planned_whatever_the_noise():
    """A date after the note is a plan ("prévu le", "RDV le", "jusqu'au"): the clause says
    so in words that no edit removes, or a reader sees an event that has not happened."""
    future = [t for t in reachable() if _future(t)]
    assert len(future) >= 10
    variants = _noisy_literals()
    wrong = []
    for template in future:
        literals = [p.text for p in template.pieces if p.slot is None]
        for k in range(max(len(variants[t]) for t in literals)):
            written = {t: variants[t][k % len(variants[t])] for t in literals}
            r = record(template, "F", year=2021, literal=written)
            if rule_date_after_creation(r):
                wrong.append((template.source, r.text))
    assert not wrong, wrong[:10]


def _dated(template: Template) -> bool:
    return any(p.slot in _DATES and "birth" not in p.role.split(":") for p in template.pieces)


@functools.cache
def _since_candidates() -> tuple[Template, ...]:
    _, combined = load_since()
    return tuple(
        t
        for t in reachable()
        if _dated(t) and combined.search(fold("".join(p.text for p in t.pieces)))
    )


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_dates_next_to_a_service_fall_when_it_existed(data):
    """since.yaml: a date written next to a benefit, drug or service falls in the years it
    existed, for the patient and for anyone else the template dates (the engine writes
    the template from its ``since`` to its ``until`` year, its dates from ``since`` on)."""
    candidates = _since_candidates()
    template = data.draw(st.sampled_from(candidates))
    last = min(template.until, 2025)
    created = data.draw(st.dates(dt.date(max(template.since, 2004), 1, 1), dt.date(last, 12, 31)))
    year = data.draw(st.integers(max(template.since, 1930), created.year))
    findings = rule_anachronism(record(template, "F", year=year, created=created))
    assert not findings, (template.source, findings)


# ------------------------------------------------------------------ names


def test_the_patients_names_are_the_rows():
    """A name labelled as the patient's is filled from the row (patient_name: a second
    first name the row does not hold is a name check cannot tell from someone else's)."""
    wrong = {
        t.source
        for t in reachable()
        for p in t.pieces
        if p.category == "person"
        and (p.subject or "patient") == "patient"
        and (p.slot is None or "other" in p.role.split(":"))
    }
    assert not wrong, sorted(wrong)


def test_a_partner_of_the_patients_own_sex_is_an_orientation_span():
    """same_sex_partner: "sa compagne" said of a woman is her orientation (TAXONOMY.md,
    the partner exception); a template where it reads as hers must label it so. Cores
    with a possessive partner noun ("PACS avec sa compagne") have no relative frames:
    "PACS avec sa compagne chez la mère" reads as the patient's."""
    partner = load_markers().same_sex_partner
    wrong = []
    for template in reachable():
        text = fold("".join(p.text for p in template.pieces))
        for sex in _sexes(template):
            if partner[sex].search(text):
                r = record(template, sex, age=max(template.min_age, 30))
                wrong += [(template.source, r.text)] if rule_same_sex_partner(r) else []
    assert not wrong, wrong[:10]
