"""A child's note is about a child (issue 9, a reading of session 20): "a besoin de temps
avec le Dr" for a boy of 4, "à prévenir en cas d'hospitalisation (accord de la patiente)"
at 3, "si elle annule, reprogrammer" at 0, "procès d'assises du fils" at 0: a secretary
writes what the parents do, and a child has no grown child of their own."""

from __future__ import annotations

import pytest
from breachbench.benchmarks.check import Record, fold, load_eligibility, rule_eligibility
from breachbench.generator.comments.templates import load_templates


def _text(template) -> str:
    return "".join(p.text if p.slot is None else "{" + str(p.slot) + "}" for p in template.pieces)


@pytest.fixture(scope="module")
def templates():
    return load_templates()


@pytest.fixture(scope="module")
def folded(templates):
    """Every template with its text, folded as check reads it, once per module."""
    return [(t, _text(t), fold(_text(t))) for family in templates.values() for t in family]


def _rule(rule_id: str):
    (rule,) = [r for r in load_eligibility() if r.id == rule_id]
    return rule


@pytest.mark.parametrize("rule_id", ["adult_framing_child", "adult_life_child", "own_child_minor"])
def test_no_template_speaks_of_a_child_as_of_an_adult(folded, rule_id):
    """The rules of checks/eligibility.yaml that read an adult's life in a child's note
    find nothing in a template written at its youngest patient's age."""
    pattern = _rule(rule_id).pattern
    young = set()
    for t, text, folded_text in folded:
        if not pattern.search(folded_text):
            continue
        for sex in ("M", "F") if t.sex == "any" else (t.sex,):
            record = Record("P", text, [], sex=sex, age=t.min_age)
            if any(f"({rule_id})" in f.text for f in rule_eligibility(record)):
                young.add((t.source.split(":w")[0], t.min_age, text[:80]))
    assert sorted(young) == []


@pytest.mark.parametrize(
    ("text", "age", "found"),
    [
        ("VIF, a besoin de temps avec le Dr : lui réserver 40 min", 4, 1),
        ("VIF, a besoin de temps avec le Dr : lui réserver 40 min", 30, 0),
        ("diabète, renouvellement tous les 3 mois, s'il annule, reprogrammer", 3, 1),
        ("la mère annule souvent au dernier moment", 3, 0),  # the parents' doing
        ("à prévenir en cas d'hospitalisation (accord de la patiente)", 3, 1),
        ("parle peu français, venir avec un interprète", 6, 1),
        ("la maman parle peu français, le papa traduit", 6, 0),
        ("a parlé de C2S en consult", 2, 1),
        ("a parlé de C2S en consult", 40, 0),
        ("a fait une TS après son divorce", 12, 1),
        ("rappel DTP fait, noté dans le carnet qu'il avait apporté", 0, 1),
        ("rappel DTP fait, noté dans le carnet de santé apporté par les parents", 0, 0),
        ("procès d'assises du fils le 12/03/2020", 5, 1),
        ("procès d'assises du fils le 12/03/2020", 60, 0),
        ("RDV pris par la mère pour le fils", 3, 0),  # the patient is the son
    ],
)
def test_check_reads_an_adults_doing_in_a_childs_note(text, age, found):
    assert len(rule_eligibility(Record("P", text, [], sex="M", age=age))) == found
