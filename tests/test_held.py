"""A patient held in prison now is not at the desk in the same note (issue 9).

"Incarcération dps 2007 ... RDV tous les mois pr le renouv", "écroué, discrétion à
l'accueil", "En prison. Joignable le soir, sur les chantiers": the held facts (`held` in
comments/age_floors.yaml) and what says the patient is at large (comments/at_large.yaml)
never share a note, and `breachbench check` counts them (clashes.yaml, held_at_large)."""

from __future__ import annotations

import numpy as np
import pytest
from breachbench.generator.comments.engine import load_engine
from breachbench.generator.comments.templates import (
    AT_LARGE_TAG,
    HELD_TAG,
    TemplateError,
    load_templates,
)
from test_age_floors import _corpora


@pytest.fixture(scope="module")
def templates():
    return load_templates()


def _text(template) -> str:
    return "".join(p.text or "{" + str(p.slot) + "}" for p in template.pieces)


def test_a_held_entry_must_name_an_entry(tmp_path):
    floors = "addiction: {default: 15, held: [Zubsolvé, Zubzub]}\n"
    with pytest.raises(TemplateError) as error:
        load_templates(_corpora(tmp_path, floors))
    message = str(error.value)
    assert "\n" not in message and "held: Zubzub" in message


def test_a_held_fact_of_the_patient_is_tagged_and_lodged(tmp_path):
    floors = "addiction: {default: 15, held: [Zubsolvé]}\n"
    templates = load_templates(_corpora(tmp_path, floors))["addiction"]
    held = [t for t in templates if "states[0]" in t.source]
    own = [t for t in held if all(p.subject == "patient" and p.assertion == "affirmed"
                                  for p in t.pieces if p.category)]  # fmt: skip
    assert own and all(HELD_TAG in t.tags and "lodging" in t.more_groups for t in own)
    others = [t for t in held if t not in own]
    assert others and not any(HELD_TAG in t.tags for t in others)  # a son's, a past one
    assert not any(HELD_TAG in t.tags for t in templates if "cores[0]" in t.source)


def test_at_large_patterns_are_validated(tmp_path):
    root = _corpora(tmp_path, "addiction: {default: 15}\n")
    (root / "comments/at_large.yaml").write_text("patterns: ['(rdv']\n", encoding="utf-8")
    with pytest.raises(TemplateError) as error:
        load_templates(root)
    assert "at_large.yaml" in str(error.value)


def test_held_facts_are_the_prisons_and_take_no_desk_frame(templates):
    held = [t for t in templates["justice"] if HELD_TAG in t.tags]
    texts = {_text(t).lower() for t in held}
    assert any(t.startswith("incarcéré") for t in texts)
    assert all("lodging" in (t.group, *t.more_groups) for t in held)
    # no "écroué, discrétion à l'accueil" nor "incarcération, RDV tous les mois"
    desk = [t for t in texts if "accueil" in t or "rdv" in t or "consultation " in t]
    assert desk == []
    # a son's prison or a past one is no held patient
    assert not any(HELD_TAG in t.tags for t in templates["justice"]
                   if any(p.category == "justice" and p.subject != "patient"
                          for p in t.pieces))  # fmt: skip
    prison = [t for t in held if "prison" in t.tags]
    assert prison and any("unité sanitaire" in _text(t) for t in prison)
    assert not any("prison" in t.tags for t in templates["justice"] if HELD_TAG not in t.tags)


def test_the_desk_notes_say_the_patient_is_at_large(templates):
    marked = {_text(t) for f in ("routine", "identifier") for t in templates[f]
              if AT_LARGE_TAG in t.tags}  # fmt: skip
    for text in ("nouvelle adresse : {address}", "changement d'adresse à saisir"):
        assert text in marked


def test_the_engine_never_writes_a_held_fact_beside_the_desk():
    engine = load_engine()
    side = engine._held_side
    held, at_large = np.flatnonzero(side == 1)[0], np.flatnonzero(side == 2)[0]
    other = np.flatnonzero(side == 0)[0]
    template = np.array([at_large, held, held, other, held, at_large])
    row = np.array([0, 0, 1, 1, 2, 2])
    assert engine._repeated(template, row).tolist() == [False, True, False, False, False, True]
