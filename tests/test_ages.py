"""What a reading of notes next to their rows found implausible for an age or a life
(issue 9, session 13): each class is held here at its root, in the compiled templates,
and on generated notes.

The templates are read from the disk cache, as in ``test_compiled``: a fresh expansion
takes seconds and equals it (``pytest -m slow``)."""

from __future__ import annotations

import functools
import re
import unicodedata

from breachbench.generator.comments.compiled import load_compiled, ordered_templates
from breachbench.generator.comments.templates import Template, load_templates
from breachbench.generator.data import corpora

IDENTITY = ("religion", "ethnic_origin", "sexual_orientation", "gender_identity", "political_union")


@functools.cache
def _ordered() -> tuple[Template, ...]:
    return tuple(ordered_templates(load_templates(), load_compiled().keys))


def _text(t: Template) -> str:
    return "".join(p.text or "{" + str(p.slot) + "}" for p in t.pieces)


def _patient_spans(t: Template, category: str | None = None) -> list[str]:
    return [
        p.text
        for p in t.pieces
        if p.slot is None and p.category and p.subject == "patient"
        and (category is None or p.category == category)
    ]  # fmt: skip


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def test_no_sexual_violence_nor_faith_of_their_own_for_toddlers():
    """A baby's record says what was seen or reported through the parents ("Plus d'AS
    depuis 2023" at 4 read wrong), and a child's faith is the parents' until about 7."""
    compiled, ordered = load_compiled(), _ordered()
    floors = {"sexual_violence": 3, "religion": 7}
    for i, t in enumerate(ordered):
        for category, floor in floors.items():
            if _patient_spans(t, category):
                assert compiled.min_age[i] >= floor, (t.source, _text(t))


def test_no_denial_of_rape_in_a_childs_note():
    """ "Absence de viol" in a 12-year-old's note reads as a question no desk asks about a
    child (comments/age_floors.yaml, sexual_violence.negated). A phrase keeps its own age:
    "pas d'agression sexuelle selon l'ado, mais la mère inquiète" is the desk's story of a
    child's protection, written for its age."""
    compiled, ordered = load_compiled(), _ordered()
    denials = 0
    for i, t in enumerate(ordered):
        if ":phrases[" in t.source:
            continue
        denied = [
            p
            for p in t.pieces
            if p.slot is None and p.category == "sexual_violence" and p.subject == "patient"
            and p.assertion == "negated"
        ]  # fmt: skip
        if denied:
            denials += 1
            assert compiled.min_age[i] >= 16, (t.source, _text(t))
    assert denials, "no denied sexual violence left to test"


def test_a_childs_identity_is_not_corrected_by_the_desk():
    """ "pas musulmane, contrairement à ce que dit l'ancien dossier" is the person's own
    word: not for a small child; a child's other facts may still be corrected."""
    compiled, ordered = load_compiled(), _ordered()
    seen = set()
    for i, t in enumerate(ordered):
        if "contrairement à ce que dit l'ancien dossier" in _text(t):
            seen.add(t.category)
            floor = 16 if t.category in (*IDENTITY, "sexual_violence") else 3
            assert compiled.min_age[i] >= floor, (t.source, _text(t))
    assert {"religion", "violence", "health_condition"} <= seen


# A condition or a fact and the youngest patient it fits (comments/age_floors.yaml and
# the lexicons' min_age): what a reading met below it ("cancer du poumon" at 19, "GPA"
# at 17, "DMLA").
ADULT_FACTS = {
    "cancer du poumon": 40,
    "K pulmonaire": 40,
    "cancer du pancréas": 40,
    "DMLA": 55,
    "cirrhose": 30,
    "cancer métastatique": 30,
    "maladie de Charcot": 35,
    "GPA": 25,
    "épisode dépressif majeur": 12,
    "régularisation": 18,
    "régularisé": 18,
    "carte de résident": 18,
}


def test_facts_of_adult_life_have_their_age():
    compiled, ordered = load_compiled(), _ordered()
    met = set()
    for i, t in enumerate(ordered):
        for span in _patient_spans(t):
            if span in ADULT_FACTS:
                met.add(span)
                assert compiled.min_age[i] >= ADULT_FACTS[span], (t.source, _text(t))
    assert met == set(ADULT_FACTS)


def test_a_regularisation_is_dated_in_adult_life_and_after_procedures_existed():
    """ "Régularisation depuis 1975" for a man born in 1960: an event (no 'depuis'), an
    adult's, and a procedure's date no earlier than it existed (OFII 2009, CNDA 2008)."""
    ordered = _ordered()
    firsts = {"OFII": 2009, "CNDA": 2008, "CADA": 1991, "étranger malade": 1998}
    for t in ordered:
        text = _text(t)
        assert not re.search(r"(?<!attente de )régularisation\]? depuis", text), (t.source, text)
        for word, year in firsts.items():
            if any(word in s for s in _patient_spans(t, "ethnic_origin")):
                assert t.since >= year, (t.source, text)


def test_two_lodgings_are_never_in_one_note():
    """A night at the 115 (or a shelter, a squat, a car) and a stay at a friend's are two
    lodgings (check's ``clash`` rule, ``lodged_twice``): every template saying one shares
    a clause id with every template saying the other, so a comment holds one."""
    compiled, ordered = load_compiled(), _ordered()
    clash = next(c for c in corpora.read_yaml("checks/clashes.yaml")["clashes"]
                 if c["id"] == "lodged_twice")  # fmt: skip
    one, other = re.compile(clash["one"]), re.compile(clash["other"])
    ids = {}
    for i, t in enumerate(ordered):
        text = _fold(_text(t))
        if one.search(text) or other.search(text):
            start, end = compiled.shared_start[i], compiled.shared_start[i + 1]
            ids[i] = (
                bool(one.search(text)),
                bool(other.search(text)),
                set(compiled.shared_clause[start:end]),
            )
    ones = [v[2] for v in ids.values() if v[0] and not v[1]]
    others = [v[2] for v in ids.values() if v[1] and not v[0]]
    assert ones and others
    common = set.intersection(*ones, *others)
    assert common, "no clause id shared by every lodging"


def test_a_fact_under_way_is_never_made_past():
    """ "Chimio en cours il y a quelques années", "ATCD de chimio en cours": an entry that
    says it is under way takes no frame that makes it historical."""
    for t in _ordered():
        for i, p in enumerate(t.pieces):
            if p.slot is None and p.category and p.assertion == "historical":
                after = t.pieces[i + 1].text if i + 1 < len(t.pieces) else ""
                assert "en cours" not in p.text and not after.lstrip().startswith("en cours"), (
                    t.source,
                    _text(t),
                )


# A fact and the oldest patient it fits: egg freezing at 68 and a GPA at 17 were read.
YOUNG_FACTS = {"congélation d'ovocytes": 45, "autoconservation ovocytaire": 45, "Norlevo": 50}


def test_facts_of_fertile_life_have_their_oldest_age():
    met = set()
    for t in _ordered():
        for span in _patient_spans(t, "reproductive_health"):
            if span in YOUNG_FACTS:
                met.add(span)
                assert t.max_age <= YOUNG_FACTS[span], (t.source, _text(t))
    assert met == set(YOUNG_FACTS)


def test_what_the_reading_met_is_gone():
    """A drug or a patient's addiction is not "renewed every 3 months" ("LSD depuis 2011,
    donc renouvellement ..."); a pregnancy under way ends in the future, not in 2003; "RDV
    pris par la mère pour le fils" is a boy's; no patient's violence dated before 3."""
    compiled, ordered = load_compiled(), _ordered()
    for i, t in enumerate(ordered):
        text = _text(t)
        if "donc renouvellement tous les 3 mois" in text:
            assert not _patient_spans(t, "addiction"), (t.source, text)
        dates = [p for p in t.pieces if p.slot in ("date", "month_year", "year")]
        if "terme" in text and dates:
            assert all("future" in p.role.split(":") for p in dates), (t.source, text)
        if text.startswith("RDV pris par la mère pour le fils"):
            assert t.sex == "M"
        if _patient_spans(t, "violence") and any(p.subject == "patient" for p in dates):
            assert compiled.min_age[i] >= 3, (t.source, text)


def test_the_final_reading_s_classes_are_gone():
    """A second reading of 150 notes (seed 4242, hard) met "épisode dépressif majeur
    depuis 1971", "ATCD : DT" at 16, "burn out" at 70, "fin de vie d'après le courrier
    de 2010" for a woman of 36 in 2017, and "Sœur : stérilet" for a boy of 9."""
    compiled, ordered = load_compiled(), _ordered()
    for i, t in enumerate(ordered):
        text, spans = _text(t), _patient_spans(t)
        if any(s in ("EDM", "épisode dépressif majeur") for s in spans):
            assert "lasting" not in t.tags, (t.source, text)
        if "DT" in _patient_spans(t, "addiction"):
            assert compiled.min_age[i] >= 18, (t.source, text)
        if any(s.startswith("burn") for s in spans):
            assert t.max_age <= 67, (t.source, text)
        if any(s in ("fin de vie", "soins palliatifs") for s in spans):
            assert "story" not in t.tags and "ATCD" not in text, (t.source, text)
        framed = "+frames" in t.source  # a phrase may say "sœur décédée en couches"
        if t.category == "reproductive_health" and framed and text.startswith(("sœur", "frère")):
            raise AssertionError((t.source, text))
