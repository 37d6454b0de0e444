"""What a reading of notes next to their rows found implausible for an age or a life
(issue 9, session 13): each class is held here at its root, in the compiled templates,
and on generated notes.

The templates are read from the disk cache, as in ``test_compiled``: a fresh expansion
takes seconds and equals it (``pytest -m slow``)."""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata

import numpy as np
import pytest
from breachbench.generator.comments.compiled import load_compiled, ordered_templates
from breachbench.generator.comments.engine import load_engine
from breachbench.generator.comments.slots import SlotFiller
from breachbench.generator.comments.templates import Template, load_templates
from breachbench.generator.contract.taxonomy import load_taxonomy
from breachbench.generator.data import corpora
from breachbench.generator.records.people import birthday
from hypothesis import given
from hypothesis import strategies as st
from support.contexts import people_context

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


# A reading of 120 notes next to their rows (seed 5353, realistic and hard; session 14)
# met a benefit below its legal age, a bare "viol" in a young child's note, facts dated
# before they are diagnosed or done, and a patient's child in the note of someone too
# young to have one.


def _dates_patient(t: Template) -> bool:
    return any(
        p.slot in ("date", "year", "month_year") and p.subject == "patient"
        and "birth" not in p.role.split(":")
        for p in t.pieces
    )  # fmt: skip


# A benefit or a measure and the ages a secretary expects of whom it is paid to
# (youngest, oldest). Who is paid the ASPA is 62 at least (65, or 62 unfit to work): it
# was the note of a man of 36.
BENEFITS = {
    "ASPA": (62, 120),
    "minimum vieillesse": (62, 120),
    "ASS": (23, 67),
    "allocation de solidarité spécifique": (23, 67),
    "RSA": (21, 67),
    "RSA socle": (25, 67),
    "AAH": (20, 120),
    "APA": (60, 120),
    "AEEH": (0, 19),
    "invalidité cat. 2": (18, 64),
    "ESAT": (18, 62),
    "OQTF": (18, 120),
    "rétention administrative": (18, 120),
}


def test_benefits_fit_their_legal_ages():
    compiled, ordered = load_compiled(), _ordered()
    met = set()
    for i, t in enumerate(ordered):
        for span in _patient_spans(t):
            if span in BENEFITS:
                met.add(span)
                low, high = BENEFITS[span]
                assert compiled.min_age[i] >= low, (t.source, _text(t))
                assert t.max_age <= high, (t.source, _text(t))
    assert met == set(BENEFITS)


def test_a_workplace_mandate_ends_with_working_life():
    """ "pte déléguée CGT" in the note of a woman of 78 (a reading of seed 5353)."""
    met = 0
    for t in _ordered():
        for p in t.pieces:
            if p.slot is None and p.category == "political_union" and p.subject == "patient":
                mandate = re.match(r"(délégu|mandat syndical|mandat CSE|élue? CSE)", p.text)
                if mandate and p.assertion != "historical":
                    met += 1
                    assert t.max_age <= 67, (t.source, _text(t))
    assert met


def test_a_young_childs_abuse_is_not_written_as_a_bare_rape():
    """A child's record says "attouchements", "suspicion d'abus", a signalement; "viol"
    was the whole fact of a boy of 7. The childhood's words are still a child's."""
    compiled, ordered = load_compiled(), _ordered()
    youngest: dict[str, int] = {}
    for i, t in enumerate(ordered):
        for span in _patient_spans(t, "sexual_violence"):
            youngest[span] = min(youngest.get(span, 999), int(compiled.min_age[i]))
    for bare in ("viol", "violé", "AS", "VS"):
        assert youngest[bare] >= 12, bare
    assert youngest["attouchements"] <= 3 and youngest["abus sexuels"] <= 3


# A fact and the youngest age at which it is dated ("TSA depuis 2024" at 1, "dépistage
# VIH en 2009" for a boy then 12, "Dépression en janvier 2006" for a girl then 8).
DATED = {
    ("health_condition", "TSA"): 3,
    ("health_condition", "autisme"): 3,
    ("health_condition", "autiste"): 3,
    ("health_condition", "asthmatique"): 2,
    ("mental_health", "dépression"): 12,
    ("mental_health", "TDAH"): 5,
    ("serology", "VIH négatif"): 15,
    ("serology", "sérologie VIH négative"): 15,
}


def test_facts_are_dated_no_earlier_than_they_are_diagnosed_or_done():
    """A dated template's min_age is also the youngest age of its date (the date window
    starts there: slots.py), so the floor is read on the compiled min_age."""
    compiled, ordered = load_compiled(), _ordered()
    met = set()
    for i, t in enumerate(ordered):
        if not _dates_patient(t):
            continue
        for p in t.pieces:
            key = (p.category, p.text)
            if p.slot is None and p.subject == "patient" and key in DATED:
                met.add(key)
                assert compiled.date_min_age[i] >= DATED[key], (t.source, _text(t))
    assert met == set(DATED)


CHILD = re.compile(r"^(fils|fille|enfant|ado|petite?-(fils|fille))\b")
# "enfant avec ses deux mamans" is the patient child's note: the fact is the parents'.
PARENTS = re.compile(r"deux (mamans|papas)")


def test_a_patients_child_is_named_only_in_a_parents_note():
    """ "enfant se dit fille" was the note of a boy of 0: a phrase that names the
    patient's child (or grandchild) with a fact about them needs a patient old enough to
    be their parent."""
    compiled, ordered = load_compiled(), _ordered()
    met = 0
    for i, t in enumerate(ordered):
        text = _text(t)
        if ":phrases[" not in t.source or not CHILD.match(text) or PARENTS.search(text):
            continue
        if any(p.category and p.subject == "relative" for p in t.pieces[:2]):
            met += 1
            youngest = 40 if text.startswith("petit") else 18
            assert compiled.min_age[i] >= youngest, (t.source, text)
    assert met > 30


def test_check_reads_the_new_floors():
    from breachbench.benchmarks.check import lexicon_age_floors

    floors = lexicon_age_floors()
    assert floors[("social_precarity", "aspa")] >= 62
    assert floors[("sexual_violence", "viol")] >= 12
    assert floors[("ethnic_origin", "oqtf")] >= 18


def test_check_counts_a_removal_order_or_an_old_age_minimum_too_young():
    """check's eligibility rules read them apart from the lexicons' words: a minor is
    never under an OQTF nor detained in their own name; the ASPA is no young adult's."""
    from breachbench.benchmarks.check import fold, load_eligibility

    rules = {r.id: r for r in load_eligibility()}
    removal, aspa = rules["removal_order_minor"], rules["old_age_benefit_young"]
    assert removal.excludes("M", 17) and not removal.excludes("M", 18)
    assert aspa.excludes("M", 36) and not aspa.excludes("M", 62)
    for span in ("OQTF", "rétention administrative", "CRA", "rétention", "centre de rétention"):
        assert removal.pattern.search(fold(span)), span
    assert not removal.pattern.search(fold("rétention urinaire"))
    assert aspa.pattern.search(fold("ASPA")) and aspa.pattern.search(fold("minimum vieillesse"))


def test_a_means_of_contraception_is_no_condition():
    """ "Père suivi pour préservatifs" (a reading of seed 5353): condoms take no frame
    tagged ``condition``."""
    for t in _ordered():
        if any(p.text == "préservatifs" for p in t.pieces if p.category):
            assert "suivi pour préservatifs" not in _text(t).lower(), (t.source, _text(t))


def _years_of(filler, key: str, rows, template: int) -> np.ndarray:
    """The calendar years a slot ``key`` writes for ``rows``, all of one template."""
    written = filler.fill(key, rows, np.full(len(rows), template)).to_pylist()
    return np.array([int(re.search(r"\d{4}", y)[0]) for y in written])


@pytest.mark.parametrize(
    ("fragment", "floor"),
    [("délégué CGT depuis {year}, arrêt", 18), ("en prison de {year} à {year}", 17)],
)
def test_an_early_date_keeps_the_facts_floor(fragment: str, floor: int):
    """The early window fell up to two years under its template's floor ("délégué CGT
    depuis 2014" for a man of 16 then) to make room for a period: a template with an
    early date is written for patients older than its floor instead, and its dates keep
    it; its period ("de {early} à {middle}") still spans two calendar years."""
    engine = load_engine()
    at = next(i for i, t in enumerate(engine.templates) if fragment in _text(t))
    age = int(engine.compiled.min_age[at])
    ctx = people_context(3000, 9, age=age, year=2021)
    filler = SlotFiller(engine, ctx, np.random.default_rng(4))
    rows = np.arange(3000)
    early = _years_of(filler, "year|patient:early", rows, at)
    middle = _years_of(filler, "year|patient:middle", rows, at)
    born = ctx.birth_days.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
    assert (early >= born + floor).all(), (early - born).min()
    assert (middle > early).all()


def test_an_ended_fact_ends_after_it_could_begin():
    """ "Plus de chimio depuis 2019" for a boy born in 2019: a frame that dates a fact's
    end is written for patients at least two years past the fact's floor."""
    compiled, ordered = load_compiled(), _ordered()
    met = 0
    for i, t in enumerate(ordered):
        text = _text(t)
        if t.category == "health_condition" and text.startswith("plus de chimio depuis"):
            met += 1
            assert compiled.date_min_age[i] >= 2, (t.source, text)
    assert met


def test_a_congenital_fact_is_never_dated():
    """ "IMC depuis 2010" for a boy born in 2000: a fact one is born with (age_floors.yaml
    ``congenital``) takes no frame that dates it, nor "dans l'enfance"."""
    congenital = {
        (category, text)
        for category, raw in corpora.read_yaml("comments/age_floors.yaml").items()
        for text in raw.get("congenital") or ()
    }
    assert ("health_condition", "IMC") in congenital
    met = 0
    for t in _ordered():
        facts = [p.text for p in t.pieces if (p.category, p.text) in congenital]
        if facts and all(p.subject == "patient" for p in t.pieces if p.text in facts):
            met += 1
            text = _text(t)
            assert not _dates_patient(t) and "enfance" not in text, (t.source, text)
    assert met > 100


def test_an_others_origin_comes_with_a_reason():
    """ "Voisin haïtien. Ecstasy...": a relative's or a third party's origin is written
    only where the note says why it matters (an interpreter, a trip home, a migration
    story: check's ``origin_reason.yaml``), never through a bare frame."""
    from breachbench.benchmarks.check import _origin_reason, fold

    origin, reason = _origin_reason()
    met = 0
    for t in _ordered():
        for p in t.pieces:
            others = p.category == "ethnic_origin" and p.subject in ("relative", "third_party")
            if others and p.slot is None and origin.search(fold(p.text)):
                met += 1
                assert reason.search(fold(_text(t))), (t.source, _text(t))
    assert met > 10


IDENTITY_OF_OTHERS = re.compile(r"^(voisin |ami (?!:))")  # "voisin {fact}", "ami {fact} ?"
SENSITIVE = frozenset(load_taxonomy().sensitive)


def test_what_a_reading_of_seed_6161_found():
    """A reading of 100 notes (seed 6161): a neighbour's or a friend's opinion, health or
    origin with nothing to do with the patient ("Voisin anarchiste", "Ami sous oxygène ?",
    "Ami zadiste ?"), a stay of months or years ("Hospi du 24/09/2022 au 01/09/23",
    "ramadan du 22/10/1980 au 20/12/1998"), an electronic tag worn for eleven years
    ("surveillance électronique dps 2000"), a chemotherapy "de longue date" at 2, a COPD
    dated at 30."""
    compiled, ordered = load_compiled(), _ordered()
    for i, t in enumerate(ordered):
        text = _text(t)
        others = (p for p in t.pieces if p.subject == "third_party" and p.category in SENSITIVE)
        fact = next(others, None)
        if fact is not None and "+frames." in t.source and IDENTITY_OF_OTHERS.match(text):
            assert fact.category in ("violence", "justice", "addiction"), (t.source, text)
        stays = [p.role for p in t.pieces if p.slot == "date"]
        if " du {date} au {date}" in text:
            assert all("lately" in r.split(":") for r in stays), (t.source, text)
        if re.search(r"surveillance électronique depuis \{", text) or "chimio de longue" in text:
            raise AssertionError((t.source, text))
        if any(p.text == "BPCO" and p.subject == "patient" for p in t.pieces):
            assert compiled.date_min_age[i] >= 40, (t.source, text)


def test_harassment_at_work_ends_with_working_life():
    """ "évoquer harcèlement au travail" in the note of a woman of 83 (a reading of seed
    6161): what happens at work is a working-age patient's, unless written as past."""
    met = 0
    for t in _ordered():
        text = _text(t)
        for p, after in zip(t.pieces, t.pieces[1:], strict=False):
            at_work = p.slot is None and p.subject == "patient" and p.category == "violence"
            if at_work and after.text.startswith(" au travail") and p.assertion != "historical":
                met += 1
                assert t.max_age <= 67, (t.source, text)
    assert met > 20


@given(
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2025, 12, 31)),
    st.integers(0, 110),
)
def test_a_dated_fact_falls_on_or_after_the_birthday_of_its_floor(birth, years):
    """A fact's floor in days is the day the patient turns it, as a reader counts: born
    on 29 February, the 1st of March; "years * 365.2425" days fell a day short one year
    in four ("plus d'obésité morbide depuis 2023" the day before a girl turned 8)."""
    epoch = dt.date(1970, 1, 1)
    try:
        expected = birth.replace(year=birth.year + years)
    except ValueError:  # 29 February in a year without one
        expected = dt.date(birth.year + years, 3, 1)
    days = birthday(np.array([(birth - epoch).days]), np.array([years]))
    assert int(days[0]) == (expected - epoch).days
