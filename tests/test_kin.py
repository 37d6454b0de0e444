"""Relatives and facts that fit their own lives (issue 9, session 16): a dead parent is
never alive in the same note, a relative's fact fits the relative's age and sex, facts
fit babies and teenagers, ended and story frames take facts that can end or happen."""

from __future__ import annotations

import pytest
from breachbench.benchmarks.check import Record, rule_dead_relative, rule_eligibility
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


def _facts_of(templates, category: str, words: str) -> list:
    return [t for t in templates[category] if words in _text(t) and "+frames" in t.source]


def test_a_relative_fact_fits_every_age_the_household_draws(templates):
    """A father is 20 to 45 years older than the patient (formats/kinship.yaml): "K
    prostate" (from 40) is his only once the patient is 20, where it was given to
    toddlers; a grandmother (36 to 85 years older) is never pregnant."""
    fathers = [t for t in _facts_of(templates, "health_condition", "K prostate")
               if _text(t).lower().startswith("père")]  # fmt: skip
    assert fathers and min(t.min_age for t in fathers) == 20
    grandmothers = [
        t for t in templates["reproductive_health"] if "grand-mère" in _text(t).lower()
        and any(p.subject == "relative" and "grossesse" in p.text for p in t.pieces if p.category)
    ]  # fmt: skip
    assert not [t for t in grandmothers if t.partner and t.max_age >= t.min_age]


def test_a_transition_under_way_is_no_pensioners(templates):
    """ "mari en transition" beside a woman of 89 (a reading of issue 9)."""
    under_way = [
        t for t in templates["gender_identity"]
        if "en transition" in _text(t) and not _text(t).startswith(("fils", "fille", "petit"))
    ]  # fmt: skip
    assert under_way and max(t.max_age for t in under_way) <= 70
    assert any(_text(t).startswith("mari en transition") for t in under_way)


def test_a_phrase_naming_a_relative_fits_the_relatives_ages(templates):
    """ "sœur [FIV|...|relative] en cours" was written for boys of 0 to 8 (a sister is at
    most 10 years older): a phrase's relative, named by a word of formats/kinship.yaml
    ``words``, is read like a frame's; "mère Alzheimer en EHPAD" fits no baby."""
    (ivf,) = [t for t in templates["reproductive_health"] if _text(t) == "sœur FIV en cours"]
    assert ivf.min_age >= 30
    ehpad = [t for t in templates["health_condition"] if _text(t) == "mère Alzheimer en EHPAD"]
    assert ehpad and ehpad[0].min_age >= 18 and ehpad[0].max_age <= 75
    # A partner is of the patient's generation: the fact's oldest age holds for both.
    (pregnant,) = [t for t in templates["reproductive_health"] if _text(t) == "compagne enceinte"]
    assert pregnant.max_age <= 50


def _relative(text: str, fact: str, category: str, age: int, sex: str = "M") -> list:
    start = text.index(fact)
    span = (start, start + len(fact), category, "relative", "affirmed")
    record = Record("P", text, [span], sex=sex, age=age)
    return [f for f in rule_eligibility(record) if "(" in f.text]


@pytest.mark.parametrize(
    ("text", "fact", "category", "age", "sex"),
    [
        ("Sœur FIV en cours", "FIV", "reproductive_health", 2, "M"),  # she is 12 at most
        ("grand-mère enceinte", "enceinte", "reproductive_health", 30, "F"),  # 66 at least
        ("mari enceinte", "enceinte", "reproductive_health", 30, "F"),  # a man
        ("diabète. ALD chez la mère. fils détenu", "détenu", "justice", 33, "F"),  # 13 at most
    ],
)
def test_check_reads_a_relatives_fact_against_their_sex_and_ages(text, fact, category, age, sex):
    assert len(_relative(text, fact, category, age, sex)) == 1


@pytest.mark.parametrize(
    ("text", "fact", "category", "age", "sex"),
    [
        ("Sœur FIV en cours", "FIV", "reproductive_health", 30, "M"),
        ("épouse enceinte", "enceinte", "reproductive_health", 30, "M"),
        ("père : K prostate", "K prostate", "health_condition", 30, "F"),
        ("fils détenu", "détenu", "justice", 60, "F"),
    ],
)
def test_check_lets_a_relatives_fact_that_fits_pass(text, fact, category, age, sex):
    assert _relative(text, fact, category, age, sex) == []


@pytest.mark.parametrize(
    ("category", "fact", "floor"),
    [
        ("health_condition", "leucemie", 1),  # not a baby days old's
        ("health_condition", "chimio", 1),
        ("health_condition", "lymphome", 3),
        ("violence", "maltraitance psychologique", 3),
        ("violence", "battu", 1),
        ("sexual_violence", "inceste", 3),
        ("justice", "incarcere", 16),  # held from 13, but "sort de prison" at 14 reads wrong
        ("justice", "sortie de prison", 16),
        ("justice", "casier judiciaire", 16),
        ("addiction", "oh chronique", 18),
        ("addiction", "methadone", 16),
    ],
)
def test_floors_a_secretary_would_accept(category, fact, floor):
    """The youngest patient the lexicons write each fact about (age_floors.yaml and the
    entries' own min_age), as check reads it."""
    from breachbench.benchmarks.check import lexicon_age_floors

    assert lexicon_age_floors()[(category, fact)] >= floor


def test_an_origin_agrees_with_the_birth_place(templates):
    """ "d'origine rom ?" for a girl born in Côte d'Ivoire (a reading of issue 9): an
    origin fits a patient born in France or in a country of the origin (``born:``)."""
    from breachbench.generator.comments.births import load_birth_groups

    groups = load_birth_groups()
    rom = [t for t in templates["ethnic_origin"] if _text(t).strip() == "d'origine rom ?"]
    assert rom
    for t in rom:
        countries = groups.countries_of(t.born)
        assert {"France", "Roumanie"} <= countries and "Côte d'Ivoire" not in countries


def test_check_reads_an_origin_against_the_birth_place():
    from breachbench.benchmarks.check import rule_birth_country

    def found(place: str) -> int:
        text = "d'origine rom ?"
        span = (0, len("d'origine rom"), "ethnic_origin", "patient", "hypothetical")
        return len(rule_birth_country(Record("P", text, [span], birth_place=place, age=30)))

    assert found("Côte d'Ivoire") == 1
    assert found("Roumanie") == found("Quimper") == 0


def test_check_reads_a_commune_named_like_a_country_as_france():
    """Suisse is a commune of the Moselle too: 'patient berbère' born there (NIR 57) is no
    origin out of place (a false alarm in 300,000 realistic rows of seed 12345)."""
    from breachbench.benchmarks.check import rule_birth_country

    def found(nir: str | None) -> int:
        text = "patient berbère"
        span = (8, 15, "ethnic_origin", "patient", "affirmed")
        record = Record("P", text, [span], birth_place="Suisse", nir=nir, age=45)
        return len(rule_birth_country(record))

    assert found("179015766274148") == 0  # born in the Moselle
    assert found("1 79 01 99 140 274 48") == 1  # born in Switzerland
    assert found(None) == 1  # no NIR: the name is the country's


def test_a_bare_service_neither_ends_nor_happens(templates):
    """ "plus de CeGIDD depuis 2016" and "Psychiatre (vue aux urgences le ...)" (issue 9):
    a service (tag ``service``) takes no frame tagged ``ended`` or ``story``; a drug still
    stops and a follow-up phrased as such still ends."""
    texts = {_text(t) for family in templates.values() for t in family}
    assert not any(t.startswith(("plus de CeGIDD", "plus de CSAPA depuis")) for t in texts)
    assert not any(t.startswith(("psychiatre (vu", "CMP (vu")) for t in texts)
    assert "plus de Subutex depuis {year}" in texts
    assert "plus de suivi au CeGIDD depuis {year}" in texts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Plus de CeGIDD depuis 2016", 1),
        ("psychiatre (vue aux urgences le 12/03), le Dr veut la revoir", 1),
        ("Suivi CMP (vue aux urgences le 12/03), le Dr veut la revoir", 0),
        ("suivie par un psychiatre jusqu'en 2020", 0),
        # A hard note of 1M rows (seed 12345): seen there until 2017 is a follow-up.
        ("Vu au CeGIDD jusqu'en 2017, prévenir le médecin s'il annule", 0),
        ("trichomonase. mis à l'abri par le 115 jusqu'en 2021", 0),
        # A visit happened (1M realistic rows, seed 12345, after the merges of session 18).
        ("Visite médicale OFII (ancienne), prend ses RDV sur Doctolib", 0),
        ("psychiatre depuis 1999", 0),
        ("hébergée en CHRS jusqu'en 2006, droits ouverts", 0),
        ("En CADA jusqu'en 2019, parle peu français", 0),
        ("CADA jusqu'en 2019", 1),
    ],
)
def test_check_reads_a_bare_service_said_to_end_or_happen(text, expected):
    from breachbench.benchmarks.check import rule_service_as_fact

    word = next(
        w for w in ("CeGIDD", "psychiatre", "CMP", "CHRS", "CADA", "115", "OFII") if w in text
    )
    start = text.index(word)
    span = (start, start + len(word), "serology", "patient", "affirmed")
    assert len(rule_service_as_fact(Record("P", text, [span]))) == expected


def test_what_a_reading_of_notes_with_relatives_found(templates):
    """A reading of 100 notes with relatives (seed 7171, session 16): a mother's IVG in
    her baby's record, a grandfather's death certificate for a woman of 49 dated before
    her record opened, a man of 60's children on their mother's card, a brother who
    translates for a woman born in France, a drug "chez la sœur, qui vient à sa place"."""
    texts = {_text(t): t for family in templates.values() for t in family}
    assert not [t for t in texts if t.startswith("mère suivie pour IVG")]
    assert not [t for t in texts if t.startswith(("Truvada chez la sœur", "Subutex chez la sœur"))]
    (certificate,) = [t for s, t in texts.items() if s.startswith("certificat de décès du grand")]
    assert certificate.max_age <= 40
    assert any(p.role and "desk" in p.role for p in certificate.pieces if p.slot == "date")
    (cards,) = [
        t for s, t in texts.items() if s == "enfants rattachés sur la carte Vitale de la mère"
    ]
    assert cards.max_age <= 55
    (brother,) = [t for s, t in texts.items() if s.endswith("l'accompagne, c'est lui qui traduit")]
    assert brother.born != -1


def test_check_reads_an_ex_wife_s_fact_as_a_relative_s():
    """'ex-femme bénéficiaire de l'AME' is the ex-wife's AME, not the patient's: no
    finding for a patient of Saint-Pierre-et-Miquelon, where the AME is not given."""
    from breachbench.benchmarks.check import rule_residence

    def found(text: str) -> int:
        return len(rule_residence(Record("P", text, [], age=50, insee_code="97502")))

    assert found("ex-femme bénéficiaire de l'AME") == 0
    assert found("bénéficiaire de l'AME") == 1
