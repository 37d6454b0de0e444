"""What the readings of session 17 left (issue 9): facts too old for whom they are
about, two serious conditions of one kind, relatives' facts against their frame,
partners dead and alive in one note, a grown child at 24."""

from __future__ import annotations

import re

import pytest
from breachbench.generator.comments.templates import load_templates


def _text(template) -> str:
    return "".join(p.text if p.slot is None else "{" + str(p.slot) + "}" for p in template.pieces)


@pytest.fixture(scope="module")
def templates():
    return load_templates()


def _holding(templates, category: str, fact: str, subject: str):
    return [
        t for t in templates[category]
        if any(p.category == category and p.subject == subject and p.text == fact
               and p.assertion != "historical" for p in t.pieces)
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("category", "fact", "oldest"),
    [("addiction", "méthadone", 75), ("addiction", "héroïnomane", 75),
     ("serology", "chlamydia", 75), ("serology", "IST", 75)],
)  # fmt: skip
def test_drugs_and_stis_have_an_oldest_age(templates, category, fact, oldest):
    """A relative of 85 "sous méthadone" or with "chlamydia" (a reading of issue 9):
    age_floors.yaml ``ceiling`` bounds the patient's fact, and a parent's through the
    years between them (a mother is 18 to 40 years older)."""
    mine = _holding(templates, category, fact, "patient")
    assert mine and max(t.max_age for t in mine) <= oldest
    parents = [t for t in _holding(templates, category, fact, "relative")
               if _text(t).lower().startswith(("mère", "père"))]  # fmt: skip
    assert parents and max(t.max_age for t in parents) <= oldest - 18


def test_every_mutuelle_clause_joins_the_mutuelle_group(templates):
    """A note names the mutuelle once: routine notes such as "tiers payant (mutuelle à
    jour)" or "rejet mutuelle, renvoyer la facture" had no group, so two of them, or one
    beside "pas de mutuelle renseignée", stayed possible (a reading of issue 9)."""
    mentions = [t for family in templates.values() for t in family
                if "mutuelle" in _text(t).lower()]  # fmt: skip
    assert len(mentions) > 40
    assert [t.source for t in mentions if "mutuelle" not in (t.group, *t.more_groups)] == []


def test_a_grandchild_or_a_child_who_acts_needs_an_old_enough_patient(templates):
    """ "voir avec sa fille" for a woman of 24, "signalement au procureur pour le
    petit-fils" at 16 (a reading of issue 9): a grandchild named by its word asks the
    grandson role's 45 years, a child who sees to things a patient of 45."""
    named = [t for family in templates.values() for t in family
             if "petit-fils" in _text(t) or "petite-fille" in _text(t)]  # fmt: skip
    assert named and min(t.min_age for t in named) >= 45
    acting = [t for family in templates.values() for t in family
              if _text(t).startswith("voir avec sa fille")]  # fmt: skip
    assert acting and min(t.min_age for t in acting) >= 45


@pytest.mark.parametrize(
    ("text", "age", "found"),
    [
        ("voir avec sa fille Violette", 24, 1),
        ("voir avec sa fille Violette", 50, 0),
        ("signalement au procureur pour le petit-fils", 16, 1),
        ("signalement au procureur pour le petit-fils", 62, 0),
        ("attirée par une petite fille du quartier", 16, 0),  # a little girl, no grandchild
        ("mère : garde sa petite-fille le mercredi", 20, 0),  # the mother's grandchild
    ],
)
def test_check_reads_a_grandchild_or_a_child_who_acts_against_the_age(text, age, found):
    from breachbench.benchmarks.check import Record, rule_eligibility

    findings = rule_eligibility(Record("P", text, [], sex="F", age=age))
    assert len([f for f in findings if "child" in f.text]) == found


def _record(text: str, **row):
    from breachbench.benchmarks.check import Record

    return Record("P", text, [], **row)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("veuve depuis 2010. son mari l'accompagne", 1),
        ("a perdu son mari (AVC) en 2001 - RDV avec sa femme de ménage", 0),
        ("mari décédé en 2015, un nouveau compagnon depuis 2019", 0),
        ("veuf de son compagnon depuis 2012", 0),
        ("ex-mari violent. veuve de son second mari", 0),
        ("Décès du conjoint en 2020. Appeler sa femme au 06 12 34 56 78", 1),
    ],
)
def test_check_counts_a_dead_partner_present_in_the_same_note(text, found):
    """ "veuve", "mari décédé" beside "son mari l'accompagne" (a reading of issue 9):
    dead_relative reads partners as it reads parents."""
    from breachbench.benchmarks.check import rule_dead_relative

    assert len(rule_dead_relative(_record(text))) == found


def test_every_clause_about_the_partner_joins_its_group(templates):
    """A dead partner is never alive in the same note: every template naming the partner
    (formats/kinship.yaml mentions, or a partner slot) joins kin:partner."""
    naming = [t for family in templates.values() for t in family
              if any(w in _text(t) for w in ("a perdu son mari", "son mari l'accompagne",
                                             "veuve de sa compagne"))]  # fmt: skip
    assert naming and all("kin:partner" in (t.group, *t.more_groups) for t in naming)
    slots = [t for family in templates.values() for t in family
             if any(p.slot == "partner" for p in t.pieces)]  # fmt: skip
    assert slots and all("kin:partner" in (t.group, *t.more_groups) for t in slots)


@pytest.mark.parametrize(
    ("text", "born", "found"),
    [
        ("a perdu son mari (AVC) en 1961, vit seule depuis", 1955, 1),
        ("a perdu son mari (AVC) en 1990, vit seule depuis", 1955, 0),
        ("veuve de sa compagne depuis 1970", 1960, 1),
        ("mari décédé. Opérée en 1962", 1955, 0),  # another clause's year
    ],
)
def test_check_counts_a_partner_death_in_the_patients_childhood(text, born, found):
    import datetime as dt

    from breachbench.benchmarks.check import rule_partner_death_young

    record = _record(text, birth_date=dt.date(born, 6, 1))
    assert len(rule_partner_death_young(record)) == found


def test_a_partners_death_is_dated_in_the_patients_adult_life(templates):
    """ "a perdu son mari ({fact}) en {year}": the year was an unplaced relative's date,
    any day after that relative's birth, so it fell in the widow's childhood; a partner's
    death is now dated from the patient's 18 (timing 'adult', formats/kinship.yaml
    partners.min_age), or is the patient's own date in a template for adults."""
    import re

    dead = re.compile(
        r"perdu son mari|veu(f|ve) de|(compagnon|mari) décédé|décès d\w* (?:son )?mari"
    )
    dated = [t for family in templates.values() for t in family
             if dead.search(_text(t)) and any(p.slot in ("year", "date", "month_year")
                                              for p in t.pieces)]  # fmt: skip
    assert dated
    for t in dated:
        for p in t.pieces:
            if p.slot in ("year", "date", "month_year"):
                adult = "adult" in p.role.split(":")
                assert adult or (p.subject == "patient" and t.min_age >= 18), t.source


def test_one_note_gives_a_person_one_cancer(templates):
    """ "tumeur cérébrale" and "? leucémie" in a toddler's note (a reading of issue 9):
    every cancer entry of health_condition.yaml joins group cancer, in every frame."""
    import re

    cancer = re.compile(r"^(K sein|K prostate|leucémie|tumeur cérébrale|lymphome|mélanome)$")
    named = [
        t for t in templates["health_condition"]
        if any(p.category and p.subject == "patient" and cancer.match(p.text) for p in t.pieces)
    ]  # fmt: skip
    assert len(named) > 100
    assert [t.source for t in named if "cancer" not in (t.group, *t.more_groups)] == []


def test_a_relatives_fact_fits_the_frame_it_is_written_in(templates):
    """ "trisomie 21 chez la sœur, qui vient parfois à sa place" and "s'occupe de son père
    atteint d'hospit en psy" (a reading of issue 9): a relative who acts for the patient
    takes no dependent fact (age_floors.yaml), a frame naming a disease no stay."""
    from breachbench.benchmarks.check import Record, rule_frame_fact

    texts = [_text(t) for family in templates.values() for t in family
             if {"acts", "disease"} & set(t.tags)]  # fmt: skip
    assert any("à sa place" in t for t in texts) and any("atteint de" in t for t in texts)
    found = [t for t in texts if rule_frame_fact(Record("P", t, []))]
    assert found == []


def test_a_follow_up_is_said_once(templates):
    """ "? à reprendre en consult, le Dr en reparlera en consult" (a reading of issue 9):
    the told frames and the doubt steps that say the doctor will take it up share a
    group, and check counts two of them in a note (clash follow_up_twice)."""
    from breachbench.benchmarks.check import Record, rule_clash

    said = [t for family in templates.values() for t in family
            if any(w in _text(t) for w in ("à reprendre en consult", "le Dr en reparlera",
                                           "le Dr doit confirmer", "? à vérifier"))]  # fmt: skip
    assert said and all("follow_up_said" in (t.group, *t.more_groups) for t in said)
    twice = "VIH ? à reprendre en consult, le Dr en reparlera en consultation"
    assert [f for f in rule_clash(Record("P", twice, [])) if "follow_up" in f.text]
    once = "VIH ? à reprendre en consult. Tiers payant"
    assert not [f for f in rule_clash(Record("P", once, [])) if "follow_up" in f.text]


def test_stories_that_recurred_word_for_word_have_other_phrasings():
    """About a note in eleven of 20,000 realistic rows (seed 7272) held a sentence of
    over 40 characters that ten other notes held word for word; the stories drawn most
    ("travaille de nuit et dort le matin, donc ne jamais appeler avant 14h": 28 of 6,000
    comments here) now have two other phrasings each, as data."""
    import collections
    import re

    from breachbench.generator.block import make_block
    from breachbench.generator.options import GenerateOptions

    options = GenerateOptions(seed=31, comment_rate=1.0, difficulty="realistic")
    texts = [t for t in make_block(options, 0, 6000).column("admin_comment").to_pylist() if t]
    split = re.compile(r"(?<=[.!?])\s+|\n")
    counts = collections.Counter(
        s for t in texts for s in {x.strip().rstrip(".").lower() for x in split.split(t)}
    )
    for story in (
        "travaille de nuit et dort le matin, donc ne jamais appeler avant 14h",
        "prévoir une consultation double, de préférence le dernier créneau de la journée",
        "consultation non réglée (chéquier oublié), a promis de passer régler dans la semaine",
    ):
        # 28 of them drawn in one phrasing before; with three phrasings about 12, and a
        # count of this size moves by +-4 when other templates change: 20 tells them apart.
        assert counts[story] <= 20, (story, counts[story])


@pytest.mark.parametrize(
    ("text", "age", "rule"),
    [
        ("Serait battue. Demande d'asile, parle peu français : venir avec quelqu'un", 2,
         "language_baby"),
        ("cardiaque ++. mutuelle d'entreprise depuis décembre.", 75, "company_cover_retired"),
    ],
)  # fmt: skip
def test_what_the_reading_of_session_17_found_is_counted(text, age, rule):
    """A girl of 2 who 'parle peu français', a new company mutuelle at 70 (the reading
    of 100 notes of seed 7272 after this branch's fixes)."""
    from breachbench.benchmarks.check import Record, rule_eligibility

    assert [f for f in rule_eligibility(Record("P", text, [], sex="F", age=age)) if rule in f.text]
    assert not [f for f in rule_eligibility(Record("P", text, [], sex="F", age=40))
                if rule in f.text]  # fmt: skip


def test_an_acute_sti_does_not_last(templates):
    """ "gonorrhée depuis 96, mais en parle difficilement" (the reading of session 17): an
    acute STI is brief (age_floors.yaml) and takes no lasting frame; check's brief_since
    reads it."""
    from breachbench.benchmarks.check import Record, rule_brief_since

    lasting = [_text(t) for t in templates["serology"]
               if "lasting" in t.tags and any(p.text == "gonorrhée" for p in t.pieces)]  # fmt: skip
    assert lasting == []
    text = "gonorrhée depuis 1996"
    span = (0, len("gonorrhée"), "serology", "patient", "affirmed")
    assert rule_brief_since(Record("P", text, [span]))


def test_a_recent_release_does_not_last(templates):
    """ "Récemment libérée depuis des années, ne veut pas que la famille le sache" (a
    reading of 200 justice spans, seed 8282): a release is an event, brief in
    age_floors.yaml, and takes no lasting frame; check's brief_since reads it."""
    from breachbench.benchmarks.check import Record, rule_brief_since

    lasting = [
        _text(t)
        for t in templates["justice"]
        if "lasting" in t.tags and any("récemment libéré" in p.text for p in t.pieces)
    ]
    assert lasting == []
    text = "récemment libérée depuis des années"
    span = (0, len("récemment libérée"), "justice", "patient", "historical")
    assert rule_brief_since(Record("P", text, [span]))


def test_a_denied_origin_is_never_written_for_one_born_in_its_countries(templates):
    """An origin's ``born:`` says where the affirmed origin fits. Denied, it fits everyone
    but those born in its own countries abroad: "Pas d'origine maghrébine, contrairement
    à ce que dit l'ancien dossier : à corriger" was written for a boy of 17 born in
    Algeria (a reading of 4,000 hard rows, seed 4343, session 18)."""
    from breachbench.generator.comments.births import load_birth_groups

    groups = load_birth_groups()
    denied = [
        t
        for family in templates.values()
        for t in family
        if t.category == "ethnic_origin"
        and any(p.assertion == "negated" and "maghréb" in (p.text or "") for p in t.pieces)
    ]
    assert denied
    for template in denied:
        born_in = groups.countries_of(template.born)
        assert "Algérie" not in born_in and "Maroc" not in born_in, _text(template)
        assert "France" in born_in, _text(template)


def test_la_femme_names_the_partner(templates):
    """ "la femme encore au pays" is the patient's wife: the phrase joins kin:partner, so
    no "conjointe réfugiée ukrainienne" follows it (1M hard rows, seed 12345, session
    18: a man born in Morocco whose wife was both "encore au pays" and a Ukrainian
    refugee)."""
    naming = [
        t
        for family in templates.values()
        for t in family
        if "la femme encore au pays" in _text(t) or "la femme et les enfants" in _text(t)
    ]
    assert naming and all("kin:partner" in (t.group, *t.more_groups) for t in naming)


def test_a_childhood_fact_is_dated_only_in_a_minors_note(templates):
    """ "maltraitance infantile en 1984" for a woman born in 1949, "plus d'abus sexuel
    dans l'enfance depuis 2017" at 35 (a reading of issue 9): a fact age_floors.yaml
    lists under ``childhood`` takes a frame that dates the patient's fact only while the
    patient is a minor, so the date falls in childhood; undated it fits every age."""
    from breachbench.generator.comments.templates import MINOR_MAX_AGE

    childhood = ("maltraitance infantile", "abus sexuel", "viol", "abusé enfant")
    dates = ("date", "month_year", "year")
    held = [t for family in templates.values() for t in family
            if t.category in ("violence", "sexual_violence")
            and "+frames." in t.source
            and any(p.subject == "patient" and p.text in childhood for p in t.pieces)
            and any(w in _text(t) for w in ("enfance", "infantile", "enfant"))]  # fmt: skip
    dated = [t for t in held
             if any(p.slot in dates and p.subject == "patient" for p in t.pieces)]  # fmt: skip
    undated = [t for t in held if t not in dated]
    assert dated and undated
    assert [t.source for t in dated if t.max_age > MINOR_MAX_AGE] == []
    assert max(t.max_age for t in undated) > MINOR_MAX_AGE


@pytest.mark.parametrize(
    ("text", "fact", "born", "found"),
    [
        ("maltraitance infantile en 1984", "maltraitance infantile", 1949, 1),
        ("maltraitance infantile en 1958", "maltraitance infantile", 1949, 0),
        ("1996 : maltraitance infantile", "maltraitance infantile", 1949, 1),
        ("plus d'abus sexuel dans l'enfance depuis 2017", "abus sexuel", 1982, 1),
        # A visit's date: the fact is told then, it happened long before.
        ("RDV du 26/07/2025 : maltraitance infantile, se confie enfin", "maltraitance infantile",
         1949, 0),
        ("maltraitance infantile, vaccin grippe fait en 2020", "maltraitance infantile", 1949, 0),
    ],
)  # fmt: skip
def test_check_counts_a_childhood_fact_dated_in_adulthood(text, fact, born, found):
    import datetime as dt
    import re

    from breachbench.benchmarks.check import Record, rule_dated_fact

    category = "sexual_violence" if "abus" in fact else "violence"
    start = text.index(fact)
    spans = [(start, start + len(fact), category, "patient", "affirmed")]
    for m in re.finditer(r"\d{2}/\d{2}/\d{4}|\b\d{4}\b", text):
        if not any(a <= m.start() < b for a, b, *_ in spans):
            spans.append((m.start(), m.end(), "date", "patient", "affirmed"))
    record = Record(
        "P", text, sorted(spans), birth_date=dt.date(born, 6, 1), created_at=dt.date(2025, 8, 1)
    )
    assert len(rule_dated_fact(record)) == found


def test_a_drinking_problem_is_an_older_teenagers(templates):
    """ "OH connu" at 13, "OH depuis 2023" at 14 (a reading of issue 9): "OH", a GP's
    shorthand for a drinking problem, and its withdrawal or relapse are stated from 16;
    denied or asked ("pas d'OH", "OH ? haleine") they keep 13."""
    stated, other = [], []
    for t in templates["addiction"]:
        for p in t.pieces:
            if p.subject == "patient" and p.text in ("OH", "OH+", "OH ++", "sevrage OH"):
                (stated if p.assertion == "affirmed" else other).append(t)
    assert stated and other
    assert min(t.min_age for t in stated) >= 16
    assert min(t.min_age for t in other) == 13


@pytest.mark.parametrize(
    ("text", "assertion", "age", "found"),
    [("OH", "affirmed", 13, 1), ("OH", "affirmed", 16, 0), ("OH", "negated", 13, 0)],
)
def test_check_counts_a_drinking_problem_stated_at_13(text, assertion, age, found):
    from breachbench.benchmarks.check import Record, rule_eligibility

    spans = [(0, len(text), "addiction", "patient", assertion)]
    findings = rule_eligibility(Record("P", text, spans, sex="M", age=age))
    assert len(findings) == found


@pytest.mark.parametrize(
    ("fact", "category", "oldest"),
    [("mineur non accompagné", "ethnic_origin", 17), ("mineure isolée", "ethnic_origin", 17),
     ("à la rue", "social_precarity", 85), ("SDF", "social_precarity", 85),
     ("sans domicile fixe", "social_precarity", 85)],
)  # fmt: skip
def test_a_status_of_an_age_is_not_written_past_it(templates, fact, category, oldest):
    """ "Pt mineur non accompagné." at 90, "à la rue" at 93 (a reading of issue 9): an
    unaccompanied minor is under 18, and living rough is not written past 85
    (age_floors.yaml ``ceiling``); a past one ("ancien SDF") keeps no ceiling."""
    stated = [t for t in templates[category]
              if any(p.subject == "patient" and p.text == fact and p.assertion == "affirmed"
                     for p in t.pieces)]  # fmt: skip
    assert stated
    assert max(t.max_age for t in stated) <= oldest


@pytest.mark.parametrize(
    ("text", "category", "age", "found"),
    [("mineur non accompagné", "ethnic_origin", 40, 1),
     ("mineur non accompagné", "ethnic_origin", 17, 0),
     ("à la rue", "social_precarity", 93, 1), ("à la rue", "social_precarity", 60, 0)],
)  # fmt: skip
def test_check_counts_a_status_past_its_age(text, category, age, found):
    from breachbench.benchmarks.check import Record, rule_eligibility

    spans = [(0, len(text), category, "patient", "affirmed")]
    findings = rule_eligibility(Record("P", text, spans, sex="M", age=age))
    assert len(findings) == found


def test_a_neighbours_or_grandmothers_bare_fact_is_not_a_childs(templates):
    """ "Grand-mère VIH +." at 2, "Voisin battu." at 1 (a reading of issue 9): a bare
    neighbour's or grandmother's fact, with no reason to note it, is written from 16;
    a family history ("grand-mère : diabète") stays open to every age."""
    import re

    bare_frame = re.compile(r"(voisin|grand-mère) (?!:)")
    bare = [t for family in templates.values() for t in family
            if "+frames." in t.source and bare_frame.match(_text(t))]  # fmt: skip
    assert bare and min(t.min_age for t in bare) >= 16
    history = [t for family in templates.values() for t in family
               if "+frames." in t.source and _text(t).startswith("grand-mère : ")]  # fmt: skip
    assert history and min(t.min_age for t in history) < 16


HOUSED, HOMELESS = "clash:housed_homeless:1", "clash:housed_homeless:0"


def test_where_the_patient_lives_and_homelessness_never_meet(templates):
    """ "Nouvelle adresse : 4 route Victor Hugo, 74140 Sciez. Sans-abri : tiers payant
    intégral" (a reading of issue 9): a note that writes where the patient lives now (the
    patient's own {address} or {street}) and one that says they have no home ("SDF",
    "sans domicile fixe") are the two sides of housed_homeless (comments/clashes.yaml),
    so a note holds one of them; an old or a work address ({address|patient:other}) is
    no home. Two addresses of the patient share group address: a note gives one."""
    own, other = [], []
    for family in templates.values():
        for t in family:
            for p in t.pieces:
                if p.slot in ("address", "street") and p.subject == "patient":
                    (other if "other" in p.role.split(":") else own).append(t)
    assert own and other
    assert [t.source for t in own if HOUSED not in t.tags] == []
    assert any(HOUSED not in t.tags for t in other)
    routine = [t for t in own if t.family != "sensitive"]
    assert [t.source for t in routine if "address" not in (t.group, *t.more_groups)] == []
    homeless = [t for t in templates["social_precarity"]
                if any(p.subject == "patient" and p.text in ("SDF", "sans domicile fixe")
                       and p.assertion == "affirmed" for p in t.pieces)]  # fmt: skip
    assert homeless
    assert [t.source for t in homeless if HOMELESS not in t.tags] == []


@pytest.mark.parametrize(
    ("text", "labels", "found"),
    [
        ("nouvelle adresse : 3 rue des Lilas. SDF", [("SDF", "patient", "affirmed")], 1),
        ("Domicile : 3 rue des Lilas. À la rue", [("À la rue", "patient", "affirmed")], 1),
        ("ancienne adresse : 3 rue des Lilas. SDF", [("SDF", "patient", "affirmed")], 0),
        ("nouvelle adresse : 3 rue des Lilas. père SDF", [("SDF", "relative", "affirmed")], 0),
        ("aide à domicile : Isabelle. Sans domicile", [("Sans domicile", "patient", "affirmed")],
         0),
        ("n'est plus SDF, habite 3 rue des Lilas", [("SDF", "patient", "historical")], 0),
        ("SDF. son fils habite à Sélestat, l'appeler si souci", [("SDF", "patient", "affirmed")],
         0),
    ],
)  # fmt: skip
def test_check_counts_a_homeless_patients_new_address(text, labels, found):
    from breachbench.benchmarks.check import Record, rule_clash

    spans = []
    for words, subject, assertion in labels:
        start = text.index(words)
        spans.append((start, start + len(words), "social_precarity", subject, assertion))
    findings = [f for f in rule_clash(Record("P", text, spans)) if "housed_homeless" in f.text]
    assert len(findings) == found


@pytest.mark.parametrize(
    ("text", "labels", "found"),
    [
        ("Incarcération dps 2007. RDV tous les mois pr le renouv", [("Incarcération", "affirmed")],
         1),
        ("écroué dps des années : discrétion à l'accueil", [("écroué", "affirmed")], 1),
        ("Joignable le soir, sur les chantiers. En prison", [("En prison", "affirmed")], 1),
        ("incarcéré depuis mars, dossier transmis à l'unité sanitaire", [("incarcéré", "affirmed")],
         0),
        ("détenu, sa mère appelle pour avoir des nouvelles", [("détenu", "affirmed")], 0),
        ("en maison d'arrêt, consultations à l'unité sanitaire, ne viendra plus au cabinet",
         [("maison d'arrêt", "affirmed")], 0),
        ("fils incarcéré, RDV le mardi", [("incarcéré", "relative")], 0),
        ("ancien détenu, RDV le mardi", [("détenu", "historical")], 0),
        ("sort de détention le 12/03, RDV à prévoir", [("sort de détention", "affirmed")], 0),
        ("Incarcéré ++. CMU : tiers payant intégral, droits à renouv en mars 2024",
         [("Incarcéré", "affirmed")], 0),
    ],
)  # fmt: skip
def test_check_counts_a_held_patient_at_the_desk(text, labels, found):
    from breachbench.benchmarks.check import Record, rule_clash

    spans = []
    for words, attribute in labels:
        start = text.index(words)
        subject = "relative" if attribute == "relative" else "patient"
        assertion = "affirmed" if attribute == "relative" else attribute
        spans.append((start, start + len(words), "justice", subject, assertion))
    findings = [f for f in rule_clash(Record("P", text, spans)) if "held_at_large" in f.text]
    assert len(findings) == found


def test_a_home_someone_holds_the_keys_to_is_a_home(templates):
    """ "le voisin, M. Faivre, a les clés et peut ouvrir pour une VAD ... SDF depuis 2003"
    and "enfant sans domicile. Mme Lenoir (mère), nouvelle adresse à saisir" (1M rows,
    seed 12345, after the lodging group was made), "SDF, VAD : clé chez la gardienne": a
    neighbour who keeps the keys, a new address to enter, a home visit or a door code
    says the patient has a home: the housed side of housed_homeless."""
    homes = [t for family in templates.values() for t in family
             if re.search(r"a les clés|nouvelle adresse à saisir|\bVAD\b|digicode|gardienne",
                          _text(t)) and "+frames." not in t.source]  # fmt: skip
    assert len(homes) >= 15
    assert [t.source for t in homes if HOUSED not in t.tags] == []
