"""The record's own contacts against the clauses that presume them (``breachbench check``,
rule ``contacts``, and the ``has``/``lacks`` eligibility of the templates).

A reading of generated notes next to their rows found "pas de portable" beside a mobile,
"ne répond pas au fixe" with no landline, "SDF" beside a home landline, "la secrétaire l'a
rappelée" for a record with no phone at all: 13 to 17 per 1,000 comments. The rule finds
them in a dataset; the template test holds every template the engine may draw to the same
rules, so the class stays fixed.
"""

from __future__ import annotations

import datetime as dt

import pytest
from breachbench.benchmarks.check import (
    Record,
    fold,
    held_contacts,
    load_contact_rules,
    load_markers,
    rule_contacts,
    someone_elses,
)
from breachbench.generator.comments.templates import (
    LACKS_SHIFT,
    NEEDS_EMAIL,
    NEEDS_HOME,
    NEEDS_MOBILE,
    NEEDS_PHONE,
    Template,
)
from test_check_templates import reachable, record

MOBILE, HOME, EMAIL = "06 39 98 00 00", "01 99 00 00 00", "a.martin@example.org"
_BITS = {"phone": NEEDS_PHONE, "mobile": NEEDS_MOBILE, "home": NEEDS_HOME, "email": NEEDS_EMAIL}


def _record(text: str, spans=(), *, mobile=None, home=None, email=None) -> Record:
    return Record(
        "P", text, list(spans), sex="F", age=40, birth_date=dt.date(1980, 1, 1),
        created_at=dt.date(2020, 6, 1), phones=tuple(p for p in (mobile, home) if p),
        has_phones=True, mobile=mobile, home=home, email=email, has_email=True,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("text", "contacts", "rule"),
    [
        ("Pas de portable. Tiers payant", {"mobile": MOBILE}, "no_mobile"),
        ("ne répond pas au fixe, appeler le 06 39 98 00 00", {"mobile": MOBILE}, "landline_named"),
        ("RDV annulé, la secrétaire l'a rappelée le 04/06", {}, "phone_presumed"),
        ("préfère les SMS", {"home": HOME}, "mobile_presumed"),
        ("résultats envoyés par mail", {"mobile": MOBILE}, "email_presumed"),
        ("Sans domicile fixe : ne pas noter sur les ordonnances", {"home": HOME},
         "homeless_landline"),
        ("appelle le 115 chaque soir", {"home": HOME, "mobile": MOBILE}, "homeless_landline"),
    ],
)  # fmt: skip
def test_a_clause_that_presumes_a_contact_the_row_lacks_is_found(text, contacts, rule):
    found = rule_contacts(_record(text, **contacts))
    assert [f.text.rsplit("(", 1)[1].rstrip(")") for f in found] == [rule]


@pytest.mark.parametrize(
    ("text", "spans", "contacts"),
    [
        ("Pas de portable", (), {"home": HOME}),
        ("ne répond pas au fixe, appeler le portable", (), {"home": HOME, "mobile": MOBILE}),
        ("SDF de longue date", (), {"mobile": MOBILE}),
        ("Sans domicile fixe (ancien)", (), {"home": HOME}),  # a past fact
        ("n'est plus SDF depuis 2019", (), {"home": HOME}),
        ("Probablement sans logement", (), {"home": HOME}),  # a doubt
        ("Épouse sans domicile stable", (), {"home": HOME}),  # a relative's
        ("ex-femme sans domicile", ((9, 22, "social_precarity", "relative", "affirmed"),),
         {"home": HOME}),  # labelled as someone else's, with no relative word the rule knows
        ("M. Bossu (beau-père) préfère les SMS", (), {"home": HOME}),
        ("ne répond jamais au téléphone", (), {"home": HOME}),
        ("joignable uniquement par mail", (), {"email": EMAIL}),
    ],
)  # fmt: skip
def test_a_clause_the_row_bears_out_is_not_found(text, spans, contacts):
    assert rule_contacts(_record(text, spans, **contacts)) == []


def test_a_dataset_without_the_contact_columns_is_not_judged():
    bare = Record("P", "pas de portable", [], mobile=MOBILE)
    assert rule_contacts(bare) == []
    assert held_contacts(_record("x", mobile=MOBILE)) == {"mobile", "phone"}


def _presumed(template: Template) -> dict[str, set[str]]:
    """What the rules of ``contacts.yaml`` read in a template's clauses about the patient:
    the contacts they need it to hold (``has``) and not to hold (``lacks``)."""
    rendered = record(template, "F" if template.sex == "F" else "M")
    relatives = load_markers().relative_words
    out: dict[str, set[str]] = {"has": set(), "lacks": set()}
    for lo, hi in rendered.clauses:
        clause = fold(rendered.text[lo:hi])
        for rule in load_contact_rules():
            m = rule.said_in(clause)
            if m is None:
                continue
            if relatives.search(clause[: m.start()] + " " + clause[m.end() :]):
                continue
            if someone_elses(rendered.spans, lo + m.start(), lo + m.end()):
                continue
            out["has"] |= rule.has
            out["lacks"] |= rule.lacks
    return out


def _meets(needs: int, presumed: dict[str, set[str]]) -> bool:
    has, lacks = needs & ((1 << LACKS_SHIFT) - 1), needs >> LACKS_SHIFT
    any_phone = NEEDS_PHONE | NEEDS_MOBILE | NEEDS_HOME
    for name in presumed["has"]:
        if not has & (any_phone if name == "phone" else _BITS[name]):
            return False
    return all(lacks & _BITS[name] for name in presumed["lacks"])


@pytest.mark.slow
def test_every_template_that_presumes_a_contact_is_drawn_only_for_records_that_fit():
    """A template the rules read as presuming a contact carries the ``has`` or ``lacks``
    that keeps the engine from writing it about a record that contradicts it.

    Every reachable template rendered and read by every rule: five CPU-seconds, so it
    runs with the other whole-template walks in ``pytest -m slow``; the default run
    checks generated rows with the same rule (``test_check.py``)."""
    wrong = []
    checked = 0
    for template in reachable():
        presumed = _presumed(template)
        if not presumed["has"] | presumed["lacks"]:
            continue
        checked += 1
        if not _meets(template.needs, presumed):
            wrong.append(f"{template.source}: {presumed}")
    assert checked > 30
    assert not wrong, "\n".join(wrong[:20])
