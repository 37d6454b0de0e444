"""Relatives and facts that fit their own lives (issue 9, session 16): a dead parent is
never alive in the same note, a relative's fact fits the relative's age and sex, facts
fit babies and teenagers, ended and story frames take facts that can end or happen."""

from __future__ import annotations

import pytest
from breachbench.benchmarks.check import Record, rule_dead_relative
from breachbench.generator.comments.templates import load_templates


def _text(template) -> str:
    return "".join(p.text if p.slot is None else "{" + str(p.slot) + "}" for p in template.pieces)


@pytest.fixture(scope="module")
def templates():
    return load_templates()


def test_every_clause_about_the_mother_or_father_joins_its_group(templates):
    """One clause about the mother (and one about the father) per note: the group keeps
    "mère décédée, était diabétique" away from "ALD (selon la mère)", "père décédé de
    covid" from "Père : CSS gratuite" (1M rows held about 10 of them, session 15)."""
    dead = {"mother": 0, "father": 0}
    for family in templates.values():
        for t in family:
            text = _text(t).lower()
            groups = (t.group, *t.more_groups)
            for role, word in (("mother", "mère déc"), ("father", "père déc")):
                if word in text:
                    dead[role] += 1
                    assert f"kin:{role}" in groups, t.source
            if "(selon la mère)" in text or "accompagne sa mère" in text:
                assert "kin:mother" in groups, t.source
            if text.startswith("père : "):
                assert "kin:father" in groups, t.source
            if "kin:mother" in groups:  # a grandmother or a mother-in-law is someone else
                other = text.replace("grand-mère", "").replace("belle-mère", "")
                assert (
                    "mère" in other
                    or "maman" in other
                    or any(p.role and "mother" in p.role.split(":") for p in t.pieces)
                ), t.source
    assert dead["mother"] and dead["father"]


def _dead(text: str) -> list[str]:
    return [f.text for f in rule_dead_relative(Record("P", text, []))]


@pytest.mark.parametrize(
    "text",
    [
        "greffe rénale, mère décédée, était diabétique\nALD (selon la mère).",
        "Père : CSS gratuite. Père décédé de covid. Enfant d'origine rom.",
        "accompagne sa mère pour trouble bipolaire - mère décédée, était dépressive",
    ],
)
def test_check_counts_a_dead_parent_present_in_the_same_note(text):
    assert len(_dead(text)) == 1


@pytest.mark.parametrize(
    "text",
    [
        "mère décédée du sida en 1992, lui séronégatif (test fait le 26/03/1987)",
        "mère isolée, père décédé de K pulmonaire",
        "rechute OH après le décès de la mère. Mère décédée d'une cirrhose OH",
        "grand-mère : Alzheimer. Mère décédée, était diabétique. Beau-père alcoolique",
        "père décédé de covid. Sa fille Julie prend les RDV pour sa mère",
    ],
)
def test_check_reads_a_dead_parent_alone_or_other_people(text):
    assert _dead(text) == []
