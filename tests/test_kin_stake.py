"""Someone else's fact in a child's note is noted for a reason (issue 9, a reading of
session 20): "père sous PrEP" in a baby's note, "? syndrome dépressif chez le père" at 1,
"Père victime de VC" at 8. A GP writes a parent's fact in a child's record when it bears
on the child (a mother's HIV and the baby's serology follow-up, a father's violence and
what is said to him, a parent's addiction and who takes the child home), never bare."""

from __future__ import annotations

import re

import pytest
from breachbench.benchmarks.check import Record, rule_kin_reason
from breachbench.generator.comments.templates import STAKE_TAG, load_templates, plain_text
from breachbench.generator.data.corpora import read_yaml


def _text(template) -> str:
    return "".join(p.text if p.slot is None else "{" + str(p.slot) + "}" for p in template.pieces)


@pytest.fixture(scope="module")
def templates():
    return load_templates()


def _kin():
    floors = read_yaml("comments/age_floors.yaml")
    return {c: raw["kin"] for c, raw in floors.items() if isinstance(raw.get("kin"), int)}


def test_someone_elses_bare_fact_is_not_written_in_a_minors_note(templates):
    """age_floors.yaml ``kin``: a relative's or a third party's present fact of these
    categories is written in a minor's note only by a template tagged ``stake``; a past
    fact and a family history of illness stay open ("mère décédée, était diabétique")."""
    kin = _kin()
    assert {"serology", "addiction", "violence", "justice", "mental_health"} <= set(kin)
    bare = []
    for category, family in templates.items():
        if category not in kin:
            continue
        for t in family:
            own = [p for p in t.pieces if p.category == category]
            if any(p.subject == "patient" for p in own) or STAKE_TAG in t.tags:
                continue
            if any(p.assertion != "historical" for p in own) and t.min_age < kin[category]:
                bare.append((t.source, t.min_age, _text(t)[:60]))
    # a phrase with an age of its own keeps it: the listed ones give the stake in words
    assert [b for b in bare if ":phrases[" not in b[0]] == []
    prep = [t for t in templates["serology"]
            if any(p.text == "PrEP" and p.subject == "relative" for p in t.pieces)]  # fmt: skip
    assert prep and min(t.min_age for t in prep) >= 18


def test_a_childs_stake_takes_only_the_facts_that_bear_on_a_child(templates):
    """Frames tagged ``stake`` are written for minors only, and take only the facts
    age_floors.yaml lists ``bears``: a mother's HIV for the baby's serology follow-up,
    never a father's PrEP."""
    floors = read_yaml("comments/age_floors.yaml")
    stakes = [(c, t) for c, family in templates.items() for t in family
              if STAKE_TAG in t.tags and "+frames." in t.source]  # fmt: skip
    assert {c for c, _ in stakes} >= {"serology", "addiction", "violence", "justice"}
    for category, t in stakes:
        assert t.max_age <= 17, t.source
        kind, index = re.match(r"sensitive/\w+\.yaml:(cores|states)\[(\d+)\]", t.source).groups()
        entry = read_yaml(f"comments/sensitive/{category}.yaml")[kind][int(index)]
        fact = plain_text(entry if isinstance(entry, str) else entry.get("text", entry.get("m")))
        assert fact in floors[category]["bears"], (t.source, fact)
    mothers = [t for c, t in stakes if c == "serology" and "sérologi" in _text(t)]
    assert mothers and max(t.max_age for t in mothers) <= 2


@pytest.mark.parametrize(
    ("text", "span", "age", "found"),
    [
        ("père sous PrEP", "PrEP", 1, 1),
        ("père sous PrEP", "PrEP", 30, 0),
        ("VIH chez la mère : suivi sérologique de l'enfant au CHU", "VIH", 1, 0),
        ("père incarcéré : l'enfant vit chez sa mère", "incarcéré", 9, 0),
        # A teenager's partner's fact is her own stake (1M easy rows, seed 12345).
        ("Implant ++, partenaire VIH+ indétectable.", "VIH+", 17, 0),
        # A typo took "interprète": "quand elle accompagne" still says it (1M hard rows).
        ("mère VIH+, prévoir un itnerprète quand elle accompagne.", "VIH+", 4, 0),
    ],
)
def test_check_counts_someone_elses_bare_fact_in_a_minors_note(text, span, age, found):
    start = text.index(span)
    spans = [(start, start + len(span), "serology", "relative", "affirmed")]
    record = Record("P", text, spans, sex="F", age=age)
    assert len(rule_kin_reason(record)) == found


def test_the_stake_reasons_are_a_pattern():
    assert re.compile(read_yaml("checks/kin_reason.yaml")["reason"])


def test_kin_floors_the_bare_fact_and_bears_opens_the_stake(tmp_path):
    """age_floors.yaml ``kin`` floors a relative's bare fact at the patient's age (the
    phrase "père [Zubsolv]" too, which the default does not floor), ``bears`` lets a fact
    into the frames tagged ``stake``, and a listed text that names no entry stops the load."""
    from breachbench.generator.comments.templates import TemplateError
    from test_age_floors import FLOORS, _corpora

    def relatives(templates, stake: bool) -> set[int]:
        return {t.min_age for t in templates
                if any(p.subject == "relative" and p.text == "Zubsolv" for p in t.pieces)
                and (STAKE_TAG in t.tags) == stake and "death" not in t.tags}  # fmt: skip

    plain = load_templates(_corpora(tmp_path / "a", FLOORS))["addiction"]
    assert min(relatives(plain, False)) < 18 and not relatives(plain, True)
    kin = FLOORS.replace("default: 15,", "default: 15, kin: 18, bears: [Zubsolv],")
    floored = load_templates(_corpora(tmp_path / "b", kin))["addiction"]
    assert min(relatives(floored, False)) == 18
    assert relatives(floored, True) and max(t.max_age for t in floored if STAKE_TAG in t.tags) <= 17
    with pytest.raises(TemplateError, match="Zubzub"):
        load_templates(_corpora(tmp_path / "c", kin.replace("[Zubsolv]", "[Zubzub]")))


def test_check_reads_a_parents_fact_set_against_the_patients_own_as_history():
    """ "Le père est bipolaire, lui pas de trouble de l'humeur mais anxiété ++" at 16 (100,000
    hard rows of seed 7): the father's fact beside the patient's own of its kind, in one
    sentence, is the patient's history; in another sentence it is bare."""
    text = "Le père est bipolaire, lui pas de trouble de l'humeur mais anxiété ++"
    father = (text.index("bipolaire"), text.index("bipolaire") + 9, "mental_health")
    own = (text.index("trouble"), text.index("trouble") + 19, "mental_health", "patient")
    spans = [(*father, "relative", "affirmed"), (*own, "negated")]
    assert rule_kin_reason(Record("P", text, spans, sex="M", age=16)) == []
    apart = text.replace(", lui", ". Lui")
    spans = [(*father, "relative", "affirmed"), (own[0], own[1], *own[2:], "negated")]
    assert len(rule_kin_reason(Record("P", apart, spans, sex="M", age=16))) == 1
