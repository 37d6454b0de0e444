"""Sides that never share a note: comments/clashes.yaml (issue 9).

"Incarcération dps 2007 ... RDV tous les mois pr le renouv" (a patient held in prison now
at the desk), "SDF, VAD : clé chez la gardienne" (a home and no home), "paraplégie,
l'employeur pas au courant" (a fact nobody can hide, kept secret): one table of classes
of two sides, read by the template loader (each template tagged with the sides it is
on), the engine (never both sides of a class in one note) and `breachbench check` (rule
`clash`, one finding per class)."""

from __future__ import annotations

import re

import numpy as np
import pytest
import yaml
from breachbench.generator.comments.engine import load_engine
from breachbench.generator.comments.templates import (
    CLASH_TAG,
    HELD_TAG,
    TemplateError,
    load_templates,
)
from breachbench.generator.data import corpora
from hypothesis import given, settings
from hypothesis import strategies as st
from test_age_floors import _corpora
from test_coherence import _context, _draws

CLASSES = [c["id"] for c in corpora.read_yaml("comments/clashes.yaml")["classes"]]


@pytest.fixture(scope="module")
def templates():
    return load_templates()


def _text(template) -> str:
    return "".join(p.text or "{" + str(p.slot) + "}" for p in template.pieces)


def _sides(template) -> set[str]:
    return {t for t in template.tags if t.startswith(CLASH_TAG)}


def _edit(root, edit) -> None:
    path = root / "comments/clashes.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(document["classes"])
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")


def _held(classes):
    return next(c for c in classes if c["id"] == "held_at_large")


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (lambda cs: _held(cs)["sides"][0].update(facts={"addiction": ["Zubzub"]}), "Zubzub"),
        (lambda cs: _held(cs)["sides"][1].update(tags=["no_such_tag"]), "no_such_tag"),
        (lambda cs: _held(cs)["sides"][1].update(patterns=["(rdv"]), "not a regular expression"),
        (lambda cs: _held(cs)["sides"].pop(), "two sides"),
        (lambda cs: _held(cs)["sides"][0].update(faces=["x"]), "unknown key 'faces'"),
        (lambda cs: _held(cs)["sides"][0].pop("tags"), "needs facts, tags, spans or patterns"),
        (lambda cs: cs.append(dict(_held(cs))), "needs a new id"),
    ],
)
def test_the_loader_rejects_a_bad_table_in_one_line(tmp_path, edit, needle):
    root = _corpora(tmp_path, "addiction: {default: 15, held: [Zubsolvé]}\n")
    _edit(root, edit)
    with pytest.raises(TemplateError) as error:
        load_templates(root)
    message = str(error.value)
    assert "\n" not in message and "clashes.yaml" in message and needle in message


def test_a_listed_fact_of_the_patient_is_on_its_side(tmp_path):
    root = _corpora(tmp_path, "addiction: {default: 15}\n")

    def secret(classes):
        held = _held(classes)
        held["sides"][0] = {"facts": {"addiction": ["Zubsolvé"]}, "read": held["sides"][0]["read"]}

    _edit(root, secret)
    templates = load_templates(root)["addiction"]
    listed = [t for t in templates if "states[0]" in t.source]
    own = [t for t in listed if all(p.subject == "patient" and p.assertion == "affirmed"
                                    for p in t.pieces if p.category)]  # fmt: skip
    assert own and all(f"{CLASH_TAG}held_at_large:0" in t.tags for t in own)
    # a son's fact or a past one is on no side; a frame at the desk is not made
    assert not any(f"{CLASH_TAG}held_at_large:0" in t.tags for t in listed if t not in own)
    assert not any(re.search(r"\bRDV\b|accueil", _text(t)) for t in own)
    assert any(re.search(r"\bRDV\b|accueil", _text(t)) for t in listed if t not in own)


def test_no_template_is_on_both_sides_of_a_class(templates):
    for family in templates.values():
        for t in family:
            sides = _sides(t)
            assert not any(f"{CLASH_TAG}{c}:0" in sides and f"{CLASH_TAG}{c}:1" in sides
                           for c in CLASSES), (t.source, _text(t))  # fmt: skip


def test_the_sides_hold_what_a_reader_finds(templates):
    def texts(side):
        return {_text(t) for f in templates.values() for t in f if side in t.tags}

    held, at_large = texts(f"{CLASH_TAG}held_at_large:0"), texts(f"{CLASH_TAG}held_at_large:1")
    assert "incarcéré" in {t.lower() for t in held}
    assert {"nouvelle adresse : {address}", "changement d'adresse à saisir"} <= at_large
    assert any("labo" in t for t in at_large) and any("pharmacie" in t for t in at_large)
    homeless = texts(f"{CLASH_TAG}housed_homeless:0")
    housed = texts(f"{CLASH_TAG}housed_homeless:1")
    assert {"SDF", "sans domicile fixe"} <= homeless
    for text in ("nouvelle adresse : {address}", "digicode 4512B, 2e étage gauche",
                 "VAD à prévoir le jeudi après-midi"):  # fmt: skip
        assert text in housed
    assert any("RN 7" in t for t in housed)
    visible, secret = texts(f"{CLASH_TAG}visible_secret:0"), texts(f"{CLASH_TAG}visible_secret:1")
    assert "paraplégie" in visible and "personne d'autre n'est au courant" in secret
    # "paraplégie, l'employeur pas au courant" is not made
    assert not any(re.search(r"parapl|fauteuil|amput", t) and "pas au courant" in t
                   for f in templates.values() for t in map(_text, f))  # fmt: skip


def test_held_facts_keep_their_prison_frames(templates):
    held = [t for t in templates["justice"] if HELD_TAG in t.tags]
    prison = [t for t in held if "prison" in t.tags]
    assert prison and any("unité sanitaire" in _text(t) for t in prison)
    assert all(f"{CLASH_TAG}held_at_large:0" in t.tags for t in held)


def test_an_address_and_a_door_code_may_share_a_note(templates):
    """'lodging' kept a door code out of a note with an address: both say the patient
    has a home; only a second address is kept out (group address)."""
    by_text = {_text(t): t for f in templates.values() for t in f}
    code, address = by_text["digicode 4512B, 2e étage gauche"], by_text["adresse : {address}"]
    assert code.group != address.group and "address" not in code.more_groups


def _representatives() -> dict[tuple[int, int], int]:
    """A template on each side of each class (class index, side) and -1: on none."""
    engine = load_engine()
    one, other = engine._clash_sides
    found = {(-1, -1): int(np.flatnonzero((one | other) == 0)[0])}
    for k in range(len(CLASSES)):
        for side, bits in ((0, one), (1, other)):
            found[(k, side)] = int(np.flatnonzero((bits >> k) & 1)[0])
    return found


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(-1, len(CLASSES) - 1), st.integers(0, 1)),
        max_size=40,
    )
)
def test_the_engine_never_lets_a_clause_meet_the_other_side(draws):
    """Whatever the clauses of a batch, a later clause on one side of a class that meets
    an earlier clause of its note on the other side is redrawn (``_repeated``)."""
    engine = load_engine()
    picks = _representatives()
    draws = sorted(draws, key=lambda d: d[0])[: int(engine.clause_counts.max()) * 4]
    rows = np.array([d[0] for d in draws], dtype=np.int64)
    keys = [(-1, -1) if k < 0 else (k, s) for _, k, s in draws]
    template = np.array([picks[key] for key in keys], dtype=np.int64)
    repeated = engine._repeated(template, rows) if len(draws) else np.zeros(0, dtype=bool)
    for i in range(len(draws)):
        earlier = [keys[j] for j in range(i) if rows[j] == rows[i]]
        window = earlier[-(int(engine.clause_counts.max()) - 1) :] if earlier else []
        k, s = keys[i]
        if k >= 0 and (k, 1 - s) in window:
            assert repeated[i], (draws, i)


@settings(max_examples=6, deadline=None)
@given(age=st.integers(18, 64), seed=st.integers(0, 2**16))
def test_no_note_the_engine_writes_holds_both_sides(age, seed):
    engine = load_engine()
    one, other = engine._clash_sides
    template, row, _ = _draws(engine, _context(3000, age, 2022, seed), seed)
    a = np.zeros(row.max() + 1, dtype=np.int64)
    b = np.zeros(row.max() + 1, dtype=np.int64)
    np.bitwise_or.at(a, row, one[template])
    np.bitwise_or.at(b, row, other[template])
    assert not (a & b).any()


@pytest.mark.parametrize(
    ("text", "spans", "clash"),
    [
        ("Incarcération dps 2007. RDV tous les mois pr le renouv",
         [("Incarcération", "justice", "affirmed")], "held_at_large"),
        ("En prison. Prise de sang au labo d'Avignon", [("En prison", "justice", "affirmed")],
         "held_at_large"),
        ("SDF, VAD : clé chez la gardienne", [("SDF", "social_precarity", "affirmed")],
         "housed_homeless"),
        ("habite au bord de la RN 7, accès compliqué en visite à domicile. À la rue",
         [("À la rue", "social_precarity", "affirmed")], "housed_homeless"),
        ("paraplégie, l'employeur pas au courant", [("paraplégie", "health_condition", "affirmed")],
         "visible_secret"),
        ("Amputé. VIH+, personne d'autre n'est au courant",
         [("Amputé", "health_condition", "affirmed"), ("VIH+", "serology", "affirmed")],
         "visible_secret"),
    ],
)  # fmt: skip
def test_check_counts_a_note_holding_both_sides_per_class(text, spans, clash):
    from breachbench.benchmarks.check import Record, rule_clash

    labelled = []
    for words, category, assertion in spans:
        start = text.index(words)
        labelled.append((start, start + len(words), category, "patient", assertion))
    findings = rule_clash(Record("P", text, labelled))
    assert [f.text.rsplit("(", 1)[1] for f in findings] == [f"{clash})"]


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        ("fils en fauteuil roulant, la mère pas au courant", [("fauteuil roulant", "relative")]),
        ("pas de paraplégie. VIH+, l'employeur pas au courant", [("paraplégie", "negated")]),
        ("paraplégie, ne sait pas utiliser Doctolib", [("paraplégie", "affirmed")]),
        ("ancien SDF, digicode 1234", [("SDF", "historical")]),
    ],
)  # fmt: skip
def test_check_leaves_a_consistent_note_alone(text, spans):
    from breachbench.benchmarks.check import Record, rule_clash

    labelled = []
    for words, attribute in spans:
        start = text.index(words)
        subject = "relative" if attribute == "relative" else "patient"
        assertion = "affirmed" if attribute == "relative" else attribute
        labelled.append((start, start + len(words), "health_condition", subject, assertion))
    assert rule_clash(Record("P", text, labelled)) == []


def test_check_reads_a_typod_prison_unit_as_the_prisons():
    """ "Incarcéré, consultations à l'unité snitaire, ne viendra plus au cabinet" (noise in
    300,000 realistic rows of seed 12345): the consultations are the prison's."""
    from breachbench.benchmarks.check import Record, rule_clash

    text = "Incarcéré, consultations à l'unité snitaire, ne viendra plus au cabinet"
    assert rule_clash(Record("P", text, [(0, 9, "justice", "patient", "affirmed")])) == []
