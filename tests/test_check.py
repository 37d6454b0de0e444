"""``breachbench check``: each rule on hand-made rows, the command's exit codes, the reader."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from breachbench.benchmarks.check import (
    RULES,
    check_dataset,
    fold,
    load_eligibility,
    parse_date_span,
)
from breachbench.benchmarks.dataset import open_dataset
from breachbench.generator.contract.schema import RECORD_SCHEMA
from breachbench.generator.contract.taxonomy import load_taxonomy
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from breachbench.cli import main

Label = tuple[str, str, str, str]  # span text, category, subject, assertion


def make_row(comment: str | None, labels: list[Label] = (), **fields: Any) -> dict[str, Any]:
    """A row of the real schema: a 41-year-old woman, Claire Martin, unless told otherwise."""
    spans, cursor = [], 0
    for text, category, subject, assertion in labels:
        assert comment is not None
        start = comment.index(text, cursor)
        spans.append(
            {
                "start": start,
                "end": start + len(text),
                "category": category,
                "subject": subject,
                "assertion": assertion,
            }
        )
        cursor = start + len(text)
    group = load_taxonomy().group_of
    row = {
        "patient_id": fields.pop("patient_id", "P1"),
        "last_name": "Martin",
        "birth_name": "Lefèvre",
        "first_name": "Claire",
        "sex": "F",
        "birth_date": dt.date(1980, 5, 17),
        "birth_place": "Lyon",
        "nir": "280056912345678",
        "phone_mobile": "06 39 98 12 34",
        "phone_home": "+33 1 99 00 56 78",
        "email": "claire.martin@example.com",
        "address": "3 rue des Lilas",
        "postcode": "69003",
        "city": "Lyon",
        "insee_code": "69383",
        "doctor_rpps": "10000000000",
        "doctor_name": "Dr Bernard",
        "created_at": dt.datetime(2021, 6, 1, 9, 30),
        "admin_comment": comment,
        "sensitive": any(group[s["category"]] == "sensitive" for s in spans),
        "categories": sorted({s["category"] for s in spans}),
        "spans": spans,
        "difficulty_tags": [],
    }
    row.update(fields)
    # The note is last edited seven weeks after the opening unless the case says when.
    row.setdefault("updated_at", row["created_at"] + dt.timedelta(days=49))
    return row


def write(path: Path, rows: list[dict[str, Any]]) -> Path:
    pq.write_table(pa.Table.from_pylist(rows, schema=RECORD_SCHEMA), path)
    return path


def counts(path: Path) -> dict[str, int]:
    return {r["id"]: r["contradictions"] for r in check_dataset(path)["rules"]}


P, R, T = "patient", "relative", "third_party"
A, H, N = "affirmed", "historical", "negated"
MAN = {"sex": "M", "first_name": "Paul", "nir": "180056912345678"}
CHILD = {"birth_date": dt.date(2018, 3, 2)}  # 3 on the note's date

# rule -> (contradicting row, consistent row)
CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "title_sex": (
        make_row("M. Martin a appelé", [("Martin", "person", P, A)]),
        make_row("Mme Martin a appelé", [("Martin", "person", P, A)]),
    ),
    "patient_name": (
        make_row("Mme Durand a appelé", [("Durand", "person", P, A)]),
        make_row(
            "MME LEFEVRE, née Lefèvre, Claire pour les intimes",
            [("LEFEVRE", "person", P, A), ("Lefèvre", "person", P, A), ("Claire", "person", P, A)],
        ),
    ),
    "patient_phone": (
        make_row("rappeler au 06 39 98 99 99", [("06 39 98 99 99", "phone", P, A)]),
        make_row(
            "rappeler au 0639981234 ou au 01.99.00.56.78, nouveau numéro : 06 39 98 77 77",
            [
                ("0639981234", "phone", P, A),
                ("01.99.00.56.78", "phone", P, A),
                ("06 39 98 77 77", "phone", P, A),
            ],
        ),
    ),
    "patient_email": (
        make_row("mail : paul.durand@example.org", [("paul.durand@example.org", "email", P, A)]),
        make_row(
            "mail : Claire.Martin@example.com, ancien mail cm@example.net",
            [("Claire.Martin@example.com", "email", P, A), ("cm@example.net", "email", P, A)],
        ),
    ),
    "contacts": (
        make_row("Pas de portable, appeler le fixe", [], phone_mobile="06 39 98 12 34"),
        make_row("Pas de portable, appeler le fixe", [], phone_mobile=None),
    ),
    "nir": (
        make_row(
            "NIR de sa mère : 2 80 05 69 123 456 78",
            [("2 80 05 69 123 456 78", "nir", R, A)],
        ),
        make_row(
            "NIR 2 80 05 69 123 456 78, NIR de son mari 1 52 01 75 111 222 33",
            [("2 80 05 69 123 456 78", "nir", P, A), ("1 52 01 75 111 222 33", "nir", R, A)],
        ),
    ),
    "date_before_birth": (
        make_row(
            "curatelle depuis 1997",
            [("curatelle", "social_precarity", P, A), ("1997", "date", P, A)],
            **CHILD,
        ),
        make_row(
            "vue le 12/02, suivie depuis les années 2000, RDV 09/2019",
            [("12/02", "date", P, A), ("années 2000", "date", P, A), ("09/2019", "date", P, A)],
        ),
    ),
    "birth_date_stated": (
        make_row("DDN 17/05/1981 (vérifiée)", [("17/05/1981", "date", P, A)]),
        make_row(
            "née le 17 mai 1980, DDN 17/05/81 sur la carte : erreur à corriger",
            [("17 mai 1980", "date", P, A), ("17/05/81", "date", P, A)],
        ),
    ),
    "date_after_creation": (
        make_row("carte scannée le 3 mars 2024", [("3 mars 2024", "date", P, A)]),
        make_row("RDV le 3 mars 2024 à prévoir", [("3 mars 2024", "date", P, A)]),
    ),
    # A record opened in June 2021 cannot name France Travail (2024), dated or not.
    "anachronism_at_opening": (
        make_row("inscrit à France Travail"),
        make_row("inscrit à Pôle emploi, C2S"),
    ),
    # Nothing presumes a patient still coming once the record is closed.
    "after_leaving": (
        make_row("a quitté la région, dossier clos. À revoir dans un mois"),
        make_row(
            "à revoir dans un mois. Mère décédée, à rappeler. A quitté la région, dossier clos"
        ),
    ),
    # An event or a course of weeks does not last; over since then, it may be dated so.
    "brief_since": (
        make_row("chimio depuis 1982", [("chimio", "health_condition", P, A)]),
        make_row(
            "plus de chimio depuis 2015, diabète depuis 2010",
            [("chimio", "health_condition", P, H), ("diabète", "health_condition", P, A)],
        ),
    ),
    # A fact that never ends is not over; one that may end is ("ATCD de" says neither).
    "lifelong_ended": (
        make_row("plus de VIH depuis 2019", [("VIH", "serology", P, H)]),
        make_row(
            "ATCD de VIH, plus de VHC depuis 2019",
            [("VIH", "serology", P, H), ("VHC", "serology", P, H)],
        ),
    ),
    # A clause about the patient agrees with her sex; one about a relative with theirs.
    "agreement": (
        make_row("Employé de mairie, horaires fixes"),
        make_row("Employée de mairie. Mari : employé de mairie"),
    ),
    # A comma after a relative's fact hands the next fact to the relative; a stop does not.
    "comma_hands_over": (
        make_row(
            "Mère placée en GAV, épicerie sociale",
            [("GAV", "justice", R, A), ("épicerie sociale", "social_precarity", P, A)],
        ),
        make_row(
            "Mère placée en GAV. Épicerie sociale",
            [("GAV", "justice", R, A), ("Épicerie sociale", "social_precarity", P, A)],
        ),
    ),
    # A maiden name is noted only where it differs from the name in use.
    "maiden_name": (
        make_row("nom de jeune fille : Martin", birth_name="Martin"),
        make_row("nom de jeune fille : Lefèvre"),
    ),
    # Two desk clauses that cannot both hold; each alone, or beside an unrelated one, can.
    "service_as_fact": (
        make_row("Plus de CeGIDD depuis 2016", [("CeGIDD", "serology", P, H)]),
        make_row("plus de suivi au CeGIDD depuis 2016", [("CeGIDD", "serology", P, H)]),
    ),
    "dead_relative": (
        make_row("mère décédée, était diabétique. ALD (selon la mère)."),
        make_row("mère décédée du sida en 1992. Beau-père alcoolique, grand-mère : Alzheimer"),
    ),
    "frame_fact": (
        make_row(
            "trisomie 21 chez la sœur, qui vient parfois à sa place : ne rien lui remettre",
            [("trisomie 21", "health_condition", R, A)],
        ),
        make_row(
            "trisomie 21. Frère alcoolique, vient parfois chercher les ordonnances à sa place",
            [("trisomie 21", "health_condition", P, A), ("alcoolique", "addiction", R, A)],
        ),
    ),
    "one_of_kind": (
        make_row(
            "tumeur cérébrale. ? leucémie",
            [
                ("tumeur cérébrale", "health_condition", P, A),
                ("leucémie", "health_condition", P, "hypothetical"),
            ],
        ),
        make_row(
            "tumeur cérébrale, chimio en cours. mère : leucémie",
            [
                ("tumeur cérébrale", "health_condition", P, A),
                ("chimio", "health_condition", P, A),
                ("leucémie", "health_condition", R, A),
            ],
        ),
    ),
    # Born in 1980: a partner who died in 1990 died in her childhood.
    "partner_death_young": (
        make_row("a perdu son mari (AVC) en 1990, vit seule depuis"),
        make_row("a perdu son mari (AVC) en 2015, vit seule depuis"),
    ),
    "clash": (
        make_row("pas de mutuelle renseignée. 12/06/2021 : nouvelle mutuelle saisie"),
        make_row("pas de mutuelle renseignée. tiers payant"),
    ),
    # The record was opened on 1 June 2021: the desk acts on it from then on, while the
    # patient's history may be older.
    "desk_before_opening": (
        make_row("message laissé le 12/03/2020", [("12/03/2020", "date", P, A)]),
        make_row(
            "hospitalisée en mars 2019, message laissé le 12/06/2021",
            [("mars 2019", "date", P, A), ("12/06/2021", "date", P, A)],
        ),
    ),
    # A new patient's note written years after the opening belongs near it.
    "new_after_opening": (
        make_row("nouvelle patiente de 41 ans", updated_at=dt.datetime(2024, 6, 1, 9, 30)),
        make_row("nouvelle patiente de 41 ans, MT déclaré le jour de la première consultation"),
    ),
    # A newcomer's state years after the opening: a record no one updated.
    "arrival_after_opening": (
        make_row(
            "Demandeuse d'asile, AME en attente",
            [("Demandeuse d'asile", "ethnic_origin", P, A)],
            updated_at=dt.datetime(2030, 6, 1, 9, 30),
            birth_place="Afghanistan",
        ),
        make_row(  # the procedure's own years, or a past state later on
            "Demandeuse d'asile, AME en attente",
            [("Demandeuse d'asile", "ethnic_origin", P, A)],
            birth_place="Afghanistan",
        ),
    ),
    "anachronism": (
        make_row(
            "CSS depuis 2012, SMS du 03/02/1994",
            [
                ("CSS", "social_precarity", P, A),
                ("2012", "date", P, A),
                ("03/02/1994", "date", P, A),
            ],
        ),
        make_row(
            "CMU-C en 2010, CSS depuis 2020, sous Biktarvy ; né en 1980",
            [
                ("CMU-C", "social_precarity", P, A),
                ("2010", "date", P, A),
                ("CSS", "social_precarity", P, A),
                ("2020", "date", P, A),
                ("Biktarvy", "serology", P, A),
                ("1980", "date", P, A),
            ],
        ),
    ),
    "eligibility": (
        make_row("suivi pour grossesse", [("grossesse", "reproductive_health", P, A)], **MAN),
        make_row(
            "sa femme enceinte, lui : adénome prostatique",
            [
                ("enceinte", "reproductive_health", R, A),
                ("adénome prostatique", "health_condition", P, A),
            ],
            **MAN,
        ),
    ),
    "same_sex_partner": (
        make_row("vient avec sa compagne Julie", [("Julie", "person", R, A)]),
        make_row(
            "vient avec sa compagne Julie ; son fils vient avec son compagnon",
            [("sa compagne", "sexual_orientation", P, A), ("Julie", "person", R, A)],
        ),
    ),
    "repeated_clause": (
        make_row("préfère les RDV le matin. tiers payant. préfère les RDV le matin"),
        make_row("préfère les RDV le matin. tiers payant. RDV le matin si possible"),
    ),
    "unreadable_span": (
        make_row("sous Depako. depuis 2010", [("Depako.", "mental_health", P, A)]),
        make_row("sous Dépakote depuis 2010", [("Dépakote", "mental_health", P, A)]),
    ),
    "join": (
        make_row("tiers payant..  carte vitale ?."),
        make_row("tiers payant... carte Vitale ? à voir."),
    ),
    # A child is named by first name, not "Mme" at 3.
    "title_child": (
        make_row("Mme Martin a appelé", [("Martin", "person", P, A)], **CHILD),
        make_row("Claire Martin a appelé", [("Claire Martin", "person", P, A)], **CHILD),
    ),
    # Claire Martin is 41 on the note's day (born 1980-05-17, note of 2021-07-20).
    "age_stated": (
        make_row("patiente de 45 ans, vit seule"),
        make_row("Mme Martin, 41 ans, vit seule", [("Martin", "person", P, A)]),
    ),
    "miss_title": (
        make_row("Mlle Martin a appelé", [("Martin", "person", P, A)]),
        make_row(
            "Mlle Lefèvre a appelé",
            [("Lefèvre", "person", P, A)],
            last_name="Lefèvre",
            birth_date=dt.date(2000, 5, 17),
        ),
    ),
    "period": (
        make_row("incarcéré de 2012 à 2012", [("incarcéré", "justice", P, H)], **MAN),
        make_row("incarcéré de 2012 à 2014", [("incarcéré", "justice", P, H)], **MAN),
    ),
    "flu_season": (
        make_row("vaccin grippe fait le 13/08/2014", [("13/08/2014", "date", P, A)]),
        make_row(
            "vaccin grippe fait le 13/11/2014, RDV le 16/06/2022. grippe fait - né le 6 mars",
            [("13/11/2014", "date", P, A), ("16/06/2022", "date", P, A), ("6 mars", "date", P, A)],
        ),
    ),
    "negative_result": (
        make_row("handicap mental : négatif", [("handicap mental", "health_condition", P, N)]),
        make_row(
            "VIH : négatif, test de grossesse nég",
            [("VIH", "serology", P, N), ("test de grossesse", "reproductive_health", P, N)],
        ),
    ),
    "dated_fact": (
        make_row(
            "IMC depuis 2010",
            [("IMC", "health_condition", P, A), ("2010", "date", P, A)],
            **{**MAN, "birth_date": dt.date(2000, 3, 2), "created_at": dt.datetime(2011, 5, 2)},
        ),
        make_row(
            "IMC, kiné depuis 2010 ; trisomie 21 connue depuis 2000",
            [
                ("IMC", "health_condition", P, A),
                ("2010", "date", P, A),
                ("trisomie 21", "health_condition", P, A),
                ("2000", "date", P, A),
            ],
            **{**MAN, "birth_date": dt.date(2000, 3, 2), "created_at": dt.datetime(2011, 5, 2)},
        ),
    ),
    "years_since": (
        make_row("patiente du cabinet depuis 15 ans"),
        make_row(
            "patiente du cabinet depuis 15 ans, ancien dossier papier ressaisi. "
            "Mariée depuis 20 ans ; sa mère vit ici depuis 60 ans"
        ),
    ),
    "origin_reason": (
        make_row("Voisin haïtien. Ecstasy le week-end", [("haïtien", "ethnic_origin", T, A)]),
        make_row(
            "mère haïtienne, parle peu français : interprète",
            [("haïtienne", "ethnic_origin", R, A)],
        ),
    ),
    "kin_reason": (
        make_row("père sous PrEP", [("PrEP", "serology", R, A)], **CHILD),
        make_row(
            "VIH chez la mère : suivi sérologique de l'enfant au CHU",
            [("VIH", "serology", R, A)],
            **CHILD,
        ),
    ),
    "residence": (
        make_row("frontalier, travaille à Genève", insee_code="97407", **MAN),
        make_row(
            "frontalier, travaille à Genève. CPAM : attestation à jour, feuille CSS du site",
            insee_code="74010",
            **MAN,
        ),
    ),
    "birth_country": (
        make_row("sans-papiers, AME", [("sans-papiers", "ethnic_origin", P, A)]),
        make_row(
            "sans-papiers, parle peu français ; sa mère ne parle que l'arabe",
            [("sans-papiers", "ethnic_origin", P, A)],
            birth_place="Mali",
        ),
    ),
}


@pytest.mark.parametrize("rule", [r.id for r in RULES])
def test_rule_fires_on_a_contradiction_and_not_on_a_consistent_row(
    rule: str, tmp_path: Path
) -> None:
    bad, good = CASES[rule]
    found = counts(write(tmp_path / "bad.parquet", [bad]))
    assert found[rule] >= 1, found
    assert counts(write(tmp_path / "good.parquet", [good]))[rule] == 0


# 3 months and 12 days on the note's day, 2021-06-01
BABY = {"birth_date": dt.date(2021, 2, 20), "updated_at": dt.datetime(2021, 6, 1, 9, 30)}


@pytest.mark.parametrize(
    ("text", "labels", "fields", "wrong"),
    [
        ("bébé de 3 mois, vaccins à jour", [], BABY, False),
        ("Bébé de 4 mois, vaccins à jour", [], BABY, True),
        ("bebe de 101 jours", [], BABY, False),
        ("RDV annulé. bébé de 12 jours", [], BABY, True),
        ("M. Martin (41 ans) : RDV à redonner", [("Martin", "person", P, A)], MAN, False),
        ("M. Martin (40 ans) : RDV à redonner", [("Martin", "person", P, A)], MAN, True),
        ("nouvelle patiente de 41 ans, dossier à récupérer", [], {}, False),
        # Someone else's age, or the patient's own years of something: no finding.
        ("mère d'un enfant de 12 ans, suivi à Bordeaux", [], {}, False),
        ("sa fille (14 ans) l'accompagne", [], {}, False),
        ("patiente du cabinet depuis 20 ans", [], {}, False),
    ],
)
def test_stated_age_is_the_rows_on_the_notes_day(
    text: str, labels: list[Label], fields: dict[str, Any], wrong: bool, tmp_path: Path
) -> None:
    found = counts(write(tmp_path / "age.parquet", [make_row(text, labels, **fields)]))
    assert found["age_stated"] == int(wrong), found


@pytest.mark.parametrize(
    ("row", "rule"),
    [
        (make_row("sa compagne : négligence grave", **CHILD), "eligibility"),
        (make_row("son âme sœur l'accompagne", **CHILD), "eligibility"),
        (make_row("mesure ASE, ne rien dire", [("ASE", "violence", P, A)]), "eligibility"),
        (make_row("certificat crèche fait"), "eligibility"),
        (
            make_row(
                "habite 3 rue Haute, EHPAD, 69003 Lyon",
                [("3 rue Haute, EHPAD, 69003 Lyon", "address", P, A)],
                **CHILD,
            ),
            "eligibility",
        ),
        (
            make_row("curatelle renforcée", [("curatelle", "social_precarity", P, A)], **CHILD),
            "eligibility",
        ),
        (make_row("orientée HSH", [("HSH", "sexual_orientation", P, A)], **CHILD), "eligibility"),
        (
            make_row("Sans-papiers", [("Sans-papiers", "ethnic_origin", P, A)], **CHILD),
            "eligibility",
        ),
        (make_row("Mineur : autorisation parentale signée", **CHILD), "agreement"),
        (make_row("appeler entre 12h et 14h au 06 39 98 12 34. Rappeler après 18h"), "clash"),
        # A story's discretion on the phone, then the step asking it again or lifting it
        # (seed 3131, 100,000 rows).
        (
            make_row("Dépression ? ne pas l'aborder au téléphone. Ne pas en parler au téléphone"),
            "clash",
        ),
        (
            make_row(
                "Son mari est au courant, ok pour lui parler au téléphone. "
                "ne pas en parler au téléphone"
            ),
            "clash",
        ),
        # A woman's fertility care or breast cancer, said of a man (seed 3031, 300,000 rows).
        (
            make_row(
                "2013 : don d'ovocytes", [("don d'ovocytes", "reproductive_health", P, H)], **MAN
            ),
            "eligibility",
        ),
        (
            make_row("Antécédent d'IIU.", [("IIU", "reproductive_health", P, H)], **MAN),
            "eligibility",
        ),
        (make_row("K du sein", [("K du sein", "health_condition", P, A)], **MAN), "eligibility"),
        # A child is on a parent's carte Vitale until 12, and a parent pays.
        (make_row("a oublié sa carte Vitale", **CHILD), "eligibility"),
        (make_row("paie par chèque, pas de carte bancaire", **CHILD), "eligibility"),
        (make_row("oublie souvent ses RDV, SMS la veille", **CHILD), "eligibility"),
        # A doubt about a child of 3 is taken up with the parents (seed 3131, 100,000 rows).
        (
            make_row(
                "peut-être battue. à voir avc le Dr avant d'en parler à la pte.",
                [("battue", "violence", P, "hypothetical")],
                **CHILD,
            ),
            "eligibility",
        ),
        (
            make_row("patiente musulmane", [("musulmane", "religion", P, A)], **CHILD),
            "eligibility",
        ),
        (
            make_row("Mme Martin vient avec son mari", [("Martin", "person", P, A)], **MAN),
            "title_sex",
        ),
        (make_row("vient avec son mari", **MAN), "same_sex_partner"),
        (
            make_row("tél : +33 6 39 98 00 00", [("+33 6 39 98 00 00", "phone", P, A)]),
            "patient_phone",
        ),
        (make_row("suivi VIh", [("VIh", "serology", P, A)]), "unreadable_span"),
        (make_row("dps 1/6/85", [("1/6/85", "date", P, A)], **CHILD), "date_before_birth"),
        # A language, an interpreter, an arrival from another country than the row's birth.
        (make_row("carte Vitale bloquée, appeler la CPAM", insee_code="97209"), "residence"),
        (make_row("carte Vitale bloquée, appeler la CGSS"), "residence"),
        (make_row("régime local Alsace-Moselle"), "residence"),
        (make_row("pas de mutuelle, CSS à demander", insee_code="97611"), "residence"),
        # The oldest age of a lexicon's entries: no union delegate at 78, no ASS at 70.
        (
            make_row(
                "délégué syndical",
                [("délégué syndical", "political_union", P, A)],
                **{**MAN, "birth_date": dt.date(1943, 1, 5)},
            ),
            "eligibility",
        ),
        (
            make_row("ASS", [("ASS", "social_precarity", P, A)], birth_date=dt.date(1950, 1, 5)),
            "eligibility",
        ),
        # A fact dated under its floor, or ended as soon as it could begin.
        (
            make_row(
                "délégué CGT depuis 2014",
                [("délégué CGT", "political_union", P, A), ("2014", "date", P, A)],
                **{**MAN, "birth_date": dt.date(1998, 1, 5)},
            ),
            "dated_fact",
        ),
        (
            make_row(
                "plus de chimio depuis 2019",
                [("chimio", "health_condition", P, H), ("2019", "date", P, A)],
                **{**MAN, "birth_date": dt.date(2019, 1, 5)},
            ),
            "dated_fact",
        ),
        (
            make_row(
                "séropositif depuis 20 ans",
                [("séropositif", "serology", P, A)],
                **{**MAN, "birth_date": dt.date(2005, 1, 5)},
            ),
            "years_since",
        ),
        # The practice's own acts fall after the record is opened (a reading of seed 6161).
        (
            make_row("DMT faite le 17/01/2021", [("17/01/2021", "date", P, A)]),
            "desk_before_opening",
        ),
        (make_row("ne parle que l'arabe, venir avec son fils"), "birth_country"),
        (make_row("vient avec une amie qui traduit", birth_place="Belgique"), "birth_country"),
        (make_row("parle portugais", birth_place="Maroc"), "birth_country"),
        (
            make_row(
                "[réfugiée syrienne], interprète en arabe",
                [("réfugiée syrienne", "ethnic_origin", P, A)],
                birth_place="Maroc",
            ),
            "birth_country",
        ),
        (
            make_row(
                "arrivée de Guinée en 2019",
                [("arrivée de Guinée", "ethnic_origin", P, A)],
                birth_place="Mali",
            ),
            "birth_country",
        ),
        (make_row("AME à renouveler", [("AME", "social_precarity", P, A)]), "birth_country"),
        # A Portuguese or a Belgian has lived in France freely over the records' span.
        (
            make_row(
                "réfugiée politique",
                [("réfugiée politique", "ethnic_origin", P, A)],
                birth_place="Portugal",
            ),
            "birth_country",
        ),
        (
            make_row(
                "? en situation irrégulière",
                [("situation irrégulière", "ethnic_origin", P, "hypothetical")],
                birth_place="Belgique",
            ),
            "birth_country",
        ),
        (
            make_row(
                "née aux Comores",
                [("née aux Comores", "ethnic_origin", P, A)],
                birth_place="Italie",
            ),
            "birth_country",
        ),
        (make_row("IVG depuis 2015", [("IVG", "reproductive_health", P, A)]), "brief_since"),
        (make_row("Ancien autiste.", [("autiste", "health_condition", P, H)]), "lifelong_ended"),
        (make_row("NB : sportive de haut niveau", **MAN), "agreement"),
        (make_row("RAS. Absent au dernier RDV sans prévenir"), "agreement"),
        (
            make_row("Nom de naissance Combes.", last_name="Combes", birth_name="Combes"),
            "maiden_name",
        ),
        (
            make_row(
                "changement de nom après mariage, carte Vitale à mettre à jour",
                birth_name="Martin",
                **MAN,
            ),
            "maiden_name",
        ),
        (make_row("rappel SMS désactivé à sa demande - SMS de rappel la veille"), "clash"),
        (make_row("Tiers payant intégral ; pas de tiers payant complémentaire"), "clash"),
        (
            make_row("Ne pas laisser de message. RDV annulé, message laissé sur le répondeur"),
            "clash",
        ),
        (make_row("Ok pr les SMS de rappel. Rappel SMS désactivé à sa demande"), "clash"),
        (
            make_row(
                "en CHRS depuis mars 2020, hébergée chez une amie",
                [("CHRS", "social_precarity", P, A)],
            ),
            "clash",
        ),
        (make_row("DID (ancien)", [("DID", "health_condition", P, H)]), "lifelong_ended"),
        (
            make_row("bilan ok. Plus de VIH depuis 2019", [("VIH", "serology", P, H)]),
            "lifelong_ended",
        ),
        (make_row("A été VIH + (ancien)", [("VIH +", "serology", P, H)]), "lifelong_ended"),
        (
            make_row("bipolaire jusqu'en 2010", [("bipolaire", "mental_health", P, H)]),
            "lifelong_ended",
        ),
        (
            make_row("? C2S", created_at=dt.datetime(2005, 3, 1, 10, 0)),
            "anachronism_at_opening",
        ),
        (make_row("GAV depuis des années", [("GAV", "justice", P, A)], **MAN), "brief_since"),
        (
            make_row(
                "Covid connu aussi de la pharmacie du quartier, qui appelle quand l'ordo n'est "
                "pas arrivée",
                [("Covid", "health_condition", P, A)],
            ),
            "brief_since",
        ),
        (make_row("covid depuis 2021", [("covid", "health_condition", P, A)]), "brief_since"),
        (  # 71: the children are adults
            make_row("double rattachement des enfants à faire", birth_date=dt.date(1950, 1, 1)),
            "eligibility",
        ),
        (
            make_row(
                "vient de Gassin, nouveau dans le secteur",
                updated_at=dt.datetime(2024, 12, 5, 9, 30),
                **MAN,
            ),
            "new_after_opening",
        ),
        (
            make_row(
                "primo-arrivant, bilan de santé à faire",
                [("primo-arrivant", "ethnic_origin", P, A)],
                updated_at=dt.datetime(2023, 6, 2, 9, 30),
                birth_place="Afghanistan",
                **MAN,
            ),
            "arrival_after_opening",
        ),
        (  # 16 on the note's day: "Mme Lagrange" reads as her mother
            make_row(
                "Mme Martin a appelé", [("Martin", "person", P, A)], birth_date=dt.date(2005, 3, 2)
            ),
            "title_child",
        ),
        (
            make_row("RDV du 03/05/2021 reporté", [("03/05/2021", "date", P, A)]),
            "desk_before_opening",
        ),
        (
            make_row("1re consult. le 14/04/2020", [("14/04/2020", "date", P, A)]),
            "desk_before_opening",
        ),
        (
            make_row("Consult. impayée du 2 mai 2021", [("2 mai 2021", "date", P, A)]),
            "desk_before_opening",
        ),
        (
            make_row(
                "injection de rappel faite par l'IDE du cabinet le 22/02/2011",
                [("22/02/2011", "date", P, A)],
            ),
            "desk_before_opening",
        ),
    ],
)
def test_more_contradictions(row: dict[str, Any], rule: str, tmp_path: Path) -> None:
    assert counts(write(tmp_path / "d.parquet", [row]))[rule] == 1


@pytest.mark.parametrize(
    "row",
    [
        make_row("certificat crèche pour sa fille"),
        # "âme sœur" is no AME (the state medical aid, not given in Mayotte).
        make_row("son âme sœur l'accompagne", insee_code="97610"),
        # No message on the landline leaves the mobile's voicemail open.
        make_row(
            "NE PAS LAISSER DE MESSAGE SUR LE FIXE, rappeler sur le portable. RDV reporté,"
            " message laissé sur le répondeur."
        ),
        # A country denied names no origin: the correction story beside a newcomer's fact.
        make_row(
            "Sans-papiers, vient avec une asso, pas d'origine malienne, contrairement à ce"
            " que dit l'ancien dossier : à corriger.",
            [
                ("Sans-papiers", "ethnic_origin", P, A),
                ("origine malienne", "ethnic_origin", P, N),
            ],
            birth_place="Maroc",
        ),
        # A shelter denied is no second lodging.
        make_row(
            "Sans logement, hébergée chez une amie. Pas d'hébergement en foyer pour femmes battues",
            [("foyer pour femmes battues", "violence", P, N)],
        ),
        make_row("rattaché à la carte Vitale de la mère ; la mère paie en espèces", **CHILD),
        make_row("a oublié sa carte Vitale, paie par chèque"),
        make_row("la mère oublie souvent ses RDV", **CHILD),
        make_row(
            "enfant musulmane, patiente depuis 2019", [("musulmane", "religion", P, A)], **CHILD
        ),
        make_row("pt dps 2019", [("2019", "date", P, A)], **CHILD),
        # A commune's name may hold a separator: "- Le Chevain le 23 octobre" is no clause
        # of its own (a false alarm of date_after_creation in 100,000 hard rows of seed 7).
        make_row(
            "RDV chez l'ophtalmo à Saint-Paterne - Le Chevain le 23 octobre 2021",
            [("23 octobre 2021", "date", P, A)],
        ),
        make_row(
            "pas de dépassement d'honoraires : CSS", [("CSS", "social_precarity", P, A)], **CHILD
        ),
        make_row("vit chez sa mère et son compagnon", **CHILD),
        make_row("tél travail : 06 39 98 55 55", [("06 39 98 55 55", "phone", P, A)]),
        make_row(
            "ATCD de grossesse extra-utérine",
            [("grossesse extra-utérine", "reproductive_health", P, H)],
            birth_date=dt.date(1930, 1, 1),
        ),
        make_row("VIH nég", [("VIH", "serology", P, N)]),
        make_row("placée à l'ASE de 8 à 16 ans", [("placée à l'ASE", "violence", P, H)]),
        make_row(
            "demande test de grossesse : négatif",
            [("grossesse", "reproductive_health", P, N)],
        ),
        make_row(
            "hospit. en psy en 2015",
            [("hospit. en psy", "mental_health", P, H), ("2015", "date", P, A)],
        ),
        make_row("M. Gay, voisin, a les clés", [("Gay", "person", T, A)]),
        # Identifiers state no fact, and a clause about a sister, the family, a flatmate
        # or a doctor is not about the patient.
        make_row(
            "habite impasse de la Prison", [("impasse de la Prison", "address", P, A)], **CHILD
        ),
        make_row(
            "sœur : maltraitance en EHPAD",
            [("maltraitance", "violence", R, A)],
            birth_date=dt.date(1991, 3, 2),  # 30, under EHPAD's 40 (a minor's note: kin_reason)
        ),
        make_row("ATCD familiaux : CMPP", [("CMPP", "mental_health", R, H)]),
        make_row("dossier repris du Dr Morel (retraite)", [("Morel", "person", T, A)], **CHILD),
        make_row("adresse pro : 79260 La Crèche", [("79260 La Crèche", "address", P, A)]),
        make_row("hospitalisée à La Crèche du 10/03 au 30/09"),  # a bare town, unlabelled
        make_row("suivi par un confrère à Saint-Règle", **CHILD),  # a town, not a payment
        make_row("RDV chez l'ophtalmo à Crêches-sur-Saône", birth_date=dt.date(1958, 7, 14)),
        make_row(
            "Née le 20 juin 1961 à Saint-Amé",
            [("20 juin 1961", "date", P, A)],
            birth_date=dt.date(1961, 6, 20),
        ),
        make_row(
            "enfant mort-né en 2000",
            [("enfant mort-né", "reproductive_health", P, H), ("2000", "date", P, A)],
        ),
        # "Né" in a commune name, a DDN ending the line before, a relative's birth.
        make_row(
            "déménagement prévu à 16300 Saint-Palais-du-Né en mars 2022",
            [("mars 2022", "date", P, A)],
        ),
        # (the arrival at the practice is the record's opening, June 2021)
        make_row("vérifier la DDN\n06/2021 : arrivée au cabinet", [("06/2021", "date", P, A)]),
        make_row("enft né en 2011", [("2011", "date", P, A)]),
        # A stylesheet and a software key share a name with the CSS and the RSA.
        make_row(
            "feuille CSS du site à corriger, clé RSA du logiciel renouvelée",
            created_at=dt.datetime(2005, 3, 1, 10, 0),
            birth_date=dt.date(1960, 1, 1),
        ),
        # Lasting facts, and an assault's aftermath, may be dated with "depuis".
        make_row("viol conjugal depuis 2019", [("viol conjugal", "sexual_violence", P, A)]),
        make_row("chimio orale depuis mars 2021", [("chimio orale", "health_condition", P, A)]),
        make_row(
            "agressions sexuelles depuis 2019", [("agressions sexuelles", "sexual_violence", P, A)]
        ),
        # A desk entry in the weeks after the opening; a police custody seen ("vue") is
        # history, not the desk's.
        make_row("RDV du 03/06/2021 reporté", [("03/06/2021", "date", P, A)]),
        make_row("dossier envoyé au nouveau méd. le 20/06/2021", [("20/06/2021", "date", P, A)]),
        make_row(
            "garde à vue le 28/06/2017",
            [("garde à vue", "justice", P, H), ("28/06/2017", "date", P, A)],
            **MAN,
        ),
        # A planned date, even when the note shortens "à renouveler".
        make_row(
            "titre de séjour à renouv en juin 2022",
            [("titre de séjour", "ethnic_origin", P, A), ("juin 2022", "date", P, A)],
            birth_place="Maroc",
        ),
        # An origin is not a birth; a relative's language or papers are the relative's;
        # a child born in France is on the family's AME.
        make_row("comorienne, à Marseille depuis 2001", [("comorienne", "ethnic_origin", P, A)]),
        # "Ne" / "ne" is a negation, not "né" without its accent
        make_row(
            "Ne semble pas comorienne",
            [("comorienne", "ethnic_origin", P, N)],
            birth_place="Italie",
        ),
        make_row(
            "ne pas donner de RDV entre 12h et 14h, comorienne ?",
            [("comorienne", "ethnic_origin", P, "hypothetical")],
        ),
        # a prescription that has not arrived is no arrival (1M rows, seed 12345)
        make_row(
            "Serait comorienne, diabète connu de la pharmacie aussi, qui appelle si "
            "l'ordonnance n'est pas arrivée",
            [
                ("comorienne", "ethnic_origin", P, "hypothetical"),
                ("diabète", "health_condition", P, A),
            ],
        ),
        make_row("d'origine malienne", [("origine malienne", "ethnic_origin", P, A)]),
        make_row("Mme Sarrazin (mère), parle anglais", [("Sarrazin", "person", R, A)]),
        make_row("mari sans-papiers", [("sans-papiers", "ethnic_origin", R, A)]),
        # a trans patient's former name is no maiden name
        make_row(
            "carte Vitale au nom de naissance, appeler Mme Martin",
            [("nom de naissance", "gender_identity", P, A), ("Martin", "person", P, A)],
            birth_name="Martin",
        ),
        make_row("dépistage VIH (ancien)", [("VIH", "serology", P, H)]),
        # an origin or a trip names no country fled (1M rows of seed 12345)
        make_row(
            "bébé d'origine tchétchène, demande d'asile : les papiers se font avec l'AS",
            [
                ("origine tchétchène", "ethnic_origin", P, A),
                ("demande d'asile", "ethnic_origin", P, A),
            ],
            birth_place="Liban",
            birth_date=dt.date(2024, 5, 1),
        ),
        make_row(
            "Peut-être réfugié politique, vaccin fièvre jaune fait pour un voyage au Sénégal",
            [("réfugié politique", "ethnic_origin", P, "hypothetical")],
            birth_place="Maroc",
            **MAN,
        ),
        # a surname is no fact: "Paye" is no payment by a girl of 2 (1M realistic rows)
        make_row(
            "deux dossiers Yasin Paye au cabinet, vérifier la date de naissance",
            [("Yasin Paye", "person", "third_party", A)],
            birth_date=dt.date(2023, 2, 27),
            created_at=dt.datetime(2025, 3, 4, 10, 0),
        ),
        # a screening written with a typo is still a screening; a positive rapid test
        # is a result, not an infection said to be over (1M hard rows of seed 12345)
        make_row("dépistgae VIH il y a des années, plus rien", [("VIH", "serology", P, H)]),
        make_row("A été VIH + au TROD", [("VIH +", "serology", P, H)]),
        # a pregnancy's term is a date to come
        make_row(
            "Grossesse en cours (terme mai 2015), pas de saignements",
            [("Grossesse", "reproductive_health", P, A), ("mai 2015", "date", P, A)],
            created_at=dt.datetime(2014, 11, 3, 10, 0),
        ),
        # a test before the opening, then a consultation here after it
        make_row(
            "bilan IST tous les 3 mois, dernier le 28/04/2021 : syphilis nég. "
            "Le 05-06-2021 : fins de mois difficiles, à revoir dans 15 jours",
            [("28/04/2021", "date", P, A), ("05-06-2021", "date", P, A)],
        ),
        make_row(
            "en errance, hébergée chez une amie. fils hébergé au 115 ?",
            [("errance", "social_precarity", P, A), ("hébergé au 115", "social_precarity", R, A)],
        ),
        # a frame's partner noun, for a woman of 18 (formats/kinship.yaml partners.min_age)
        make_row(
            "dépression chez sa conjointe, qui refuse de consulter",
            [("dépression", "mental_health", R, A), ("sa conjointe", "sexual_orientation", P, A)],
            birth_date=dt.date(2003, 1, 2),
        ),
        make_row("sans-papiers", [("sans-papiers", "ethnic_origin", P, A)], birth_place="Roumanie"),
        make_row(
            "naturalisée en 2001", [("naturalisée", "ethnic_origin", P, A)], birth_place="Italie"
        ),
        make_row("AME (famille)", [("AME", "social_precarity", P, A)], **CHILD),
        make_row(
            "[réfugié] ([Syrie]), parle arabe",
            [("réfugié", "ethnic_origin", P, A), ("Syrie", "ethnic_origin", P, A)],
            birth_place="Syrie",
        ),
        # a consultation here a week after the opening, its clause cut by "hosp."
        make_row(
            "le 09/07/2012 : hosp. en psychiatrie, à revoir dans 15 jours",
            [("09/07/2012", "date", P, A)],
            created_at=dt.datetime(2012, 7, 2, 18, 0),
        ),
        # a lab result of the weeks before the opening, then another clause planning a
        # renewal "à revoir fin mai": no consultation here before the opening
        make_row(
            "bilan du 17/01/2019 : pas de VIH, à rappeler pour le lui dire, très inquiet."
            " à revoir fin mai 2019 pour le renouvellement.",
            [
                ("17/01/2019", "date", P, A),
                ("VIH", "serology", P, N),
                ("mai 2019", "date", P, A),
            ],
            created_at=dt.datetime(2019, 2, 6, 16, 27),
        ),
        make_row(None),
    ],
)
def test_consistent_rows_stay_silent(row: dict[str, Any], tmp_path: Path) -> None:
    info = check_dataset(write(tmp_path / "d.parquet", [row]))
    assert info["contradictions"] == 0, info["rules"]


def test_rates_are_per_1000_comments_and_examples_name_the_field(tmp_path: Path) -> None:
    bad, good = CASES["patient_phone"]
    rows = (
        [{**bad, "patient_id": "BAD"}]
        + [{**good, "patient_id": f"G{i}"} for i in range(3)]
        + [make_row(None, patient_id=f"N{i}") for i in range(4)]
    )
    info = check_dataset(write(tmp_path / "d.parquet", rows))
    assert info["rows"] == 8 and info["comments"] == 4
    phone = next(r for r in info["rules"] if r["id"] == "patient_phone")
    assert phone["per_1000"] == 250.0
    assert phone["examples"] == [
        {
            "patient_id": "BAD",
            "text": "06 39 98 99 99",
            "field": "phone_mobile/phone_home",
            "value": "0639981234 / 0199005678",
        }
    ]
    assert info["contradicting_per_1000"] == 250.0


def test_command_exit_codes_and_json(tmp_path: Path) -> None:
    runner = CliRunner()
    good = write(tmp_path / "good.parquet", [CASES[r][1] for r in CASES])
    bad = write(tmp_path / "bad.parquet", [CASES["title_sex"][0], CASES["join"][1]])
    ok = runner.invoke(main, ["check", str(good)])
    assert ok.exit_code == 0, ok.output
    assert "title_sex" in ok.output and "within the threshold" in ok.output
    failed = runner.invoke(main, ["check", str(bad)])
    assert failed.exit_code == 1
    assert "'M. Martin' vs sex = 'F'" in failed.output
    loose = runner.invoke(main, ["check", str(bad), "--max-per-1000", "500", "--json"])
    assert loose.exit_code == 0
    info = json.loads(loose.output)
    assert info["passed"] and info["contradicting_per_1000"] == 500.0
    missing = runner.invoke(main, ["check", str(tmp_path / "nope.parquet")])
    assert missing.exit_code == 2
    negative = runner.invoke(main, ["check", str(good), "--max-per-1000", "-1"])
    assert negative.exit_code == 2


def test_jsonl_with_few_row_columns_skips_the_rules_it_cannot_run(tmp_path: Path) -> None:
    row = make_row(
        "Mme Martin : grossesse",
        [("Martin", "person", P, A), ("grossesse", "reproductive_health", P, A)],
    )
    record = {
        k: row[k] for k in ("patient_id", "admin_comment", "sensitive", "categories", "spans")
    }
    record.update(sex="M", birth_date="1980-05-17")
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    info = check_dataset(path)
    ids = {r["id"]: r["contradictions"] for r in info["rules"]}
    assert ids["title_sex"] == 1 and ids["eligibility"] == 1  # sex alone is enough
    assert {"patient_phone", "date_after_creation"} <= set(info["skipped_rules"])


_OPENED = dt.datetime(2012, 3, 5, 9, 0)


def _pregnant_at_opening(**dates: dt.datetime) -> dict[str, Any]:
    """A pregnancy in the note of a girl who was 12 when her record was opened."""
    return make_row(
        "grossesse en cours",
        [("grossesse", "reproductive_health", P, A)],
        birth_date=dt.date(2000, 1, 10),
        patient_id="P1",
        **dates,
    )


def test_rules_read_the_note_s_date_and_the_opening_where_they_mean_it(
    tmp_path: Path,
) -> None:
    """The note is written as of ``updated_at``: a fact's age, what is named and what is
    dated read it, while a desk entry cannot predate the opening (``created_at``)."""
    dates = {"created_at": _OPENED, "updated_at": dt.datetime(2024, 6, 3, 10, 0)}
    rows = [
        # 12 when the record was opened, 24 when the note was written: a woman's own.
        _pregnant_at_opening(**dates),
        make_row(
            "C2S, hospitalisée en mars 2023, patiente du cabinet depuis 10 ans",
            [("mars 2023", "date", P, A)],
            patient_id="P2",
            **dates,
        ),
        # Twelve years open, not fifteen; a desk entry before the opening; a stay after
        # the note's date, planned by nothing.
        make_row(
            "patiente du cabinet depuis 15 ans. message laissé le 12/03/2010. "
            "hospitalisée le 12/09/2024",
            [("12/03/2010", "date", P, A), ("12/09/2024", "date", P, A)],
            patient_id="P3",
            **dates,
        ),
    ]
    found = counts(write(tmp_path / "d.parquet", rows))
    assert found["eligibility"] == 0 and found["anachronism_at_opening"] == 0
    assert found["years_since"] == 1 and found["desk_before_opening"] == 1
    assert found["date_after_creation"] == 1


def test_a_dataset_without_updated_at_reads_the_note_at_created_at(tmp_path: Path) -> None:
    """Datasets written before ``updated_at`` date the note at ``created_at``: ages are
    at the opening, and a desk entry of the ``desk_days`` after it passes."""
    rows = [
        _pregnant_at_opening(created_at=_OPENED),
        make_row(
            "message laissé le 12/06/2021. hospitalisée le 12/09/2021",
            [("12/06/2021", "date", P, A), ("12/09/2021", "date", P, A)],
            patient_id="P2",
        ),
    ]
    table = pa.Table.from_pylist(rows, schema=RECORD_SCHEMA).drop_columns(["updated_at"])
    path = tmp_path / "old.parquet"
    pq.write_table(table, path)
    found = counts(path)
    assert found["eligibility"] == 1  # a pregnancy at 12
    assert found["date_after_creation"] == 1  # the stay, not the message of the desk's weeks


def test_reader_reads_requested_extra_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "d.parquet", [make_row("x")])
    dataset = open_dataset(path, extra_columns={"sex": pa.string(), "nope": pa.int8()})
    assert [f.name for f in dataset.extra_fields] == ["sex"]
    batch = next(dataset.batches())
    assert batch.schema.names[-1] == "sex" and batch.column("sex").to_pylist() == ["F"]
    assert "sex" not in next(open_dataset(path).batches()).schema.names
    lines = tmp_path / "d.jsonl"
    lines.write_text(
        json.dumps(
            {
                "patient_id": "1",
                "admin_comment": "x",
                "sensitive": False,
                "categories": [],
                "spans": [],
                "birth_date": "1990-02-03",
                "created_at": "2020-01-01 10:00:00",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    types = {"birth_date": pa.date32(), "created_at": pa.timestamp("ms")}
    batch = next(open_dataset(lines, extra_columns=types).batches())
    assert batch.column("birth_date").to_pylist() == [dt.date(1990, 2, 3)]
    assert batch.column("created_at").type == pa.timestamp("ms")


def test_eligibility_rules_load_and_name_who_they_exclude() -> None:
    rules = {r.id: r for r in load_eligibility()}
    assert rules["pregnancy_male"].excludes("M", 30) and not rules["pregnancy_male"].excludes(
        "F", 30
    )
    assert rules["partner_child"].excludes("F", 12) and not rules["partner_child"].excludes("F", 13)
    assert rules["childhood_service_adult"].excludes("M", 40)


@given(st.text(alphabet="aàâäçéèêëîïôöùûüÿœÀÉÈÇ ABCxyz-'", max_size=40))
def test_fold_keeps_offsets(text: str) -> None:
    folded = fold(text)
    assert len(folded) == len(text)
    assert folded == folded.lower()
    assert not set(folded) & set("àâäçéèêëîïôöùûüÿ")


@given(st.dates(min_value=dt.date(1901, 1, 1), max_value=dt.date(2030, 12, 31)))
def test_parse_date_span_places_every_layout(day: dt.date) -> None:
    months = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
              "septembre", "octobre", "novembre", "décembre"]  # fmt: skip
    full = [f"{day:%d/%m/%Y}", f"{day.day} {months[day.month - 1]} {day.year}",
            f"{day:%d.%m.%Y}", f"{day:%d-%m-%Y}"]  # fmt: skip
    for text in full:
        assert parse_date_span(text) == (day, day), text
    for text in (f"{day:%m/%Y}", f"{months[day.month - 1]} {day.year}"):
        lo, hi = parse_date_span(text)
        assert lo <= day <= hi and lo.day == 1 and (hi - lo).days < 31
    lo, hi = parse_date_span(f"en {day.year}")
    assert lo <= day <= hi and lo.year == hi.year
    lo, hi = parse_date_span(f"années {day.year % 100 // 10}0")
    assert lo.year % 10 == 0 and hi.year == lo.year + 9
    assert parse_date_span(f"{day:%d/%m}") is None


@pytest.mark.slow
@pytest.mark.parametrize("difficulty", ["easy", "realistic", "hard"])
def test_million_rows_have_no_contradiction(
    difficulty: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from breachbench.generator.api import generate_dataset
    from breachbench.generator.options import GenerateOptions

    out = tmp_path_factory.mktemp(difficulty) / "d.parquet"
    generate_dataset(
        out, GenerateOptions(rows=1_000_000, seed=12345, difficulty=difficulty), progress=False
    )
    result = CliRunner().invoke(main, ["check", str(out), "--json"])
    info = json.loads(result.output)
    assert info["rows"] == 1_000_000
    assert result.exit_code == 0, {r["id"]: r["per_1000"] for r in info["rules"]}


@pytest.fixture(scope="module")
def hard_rows(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4,000 generated rows of the hardest difficulty, shared by the tests that read them."""
    from breachbench.generator.api import generate_dataset
    from breachbench.generator.options import GenerateOptions

    out = tmp_path_factory.mktemp("hard") / "d.parquet"
    generate_dataset(out, GenerateOptions(rows=4000, seed=5, difficulty="hard"), progress=False)
    return out


def test_generated_rows_have_no_contradiction(hard_rows: Path) -> None:
    """Every rule, age floors and contacts included, finds nothing in generated rows: the
    default run's guard, on 4,000 rows (a million of each difficulty in ``pytest -m slow``)."""
    found = {r["id"]: r["contradictions"] for r in check_dataset(hard_rows)["rules"]}
    assert found == dict.fromkeys(found, 0)


def test_gates_never_hold_back_a_finding(hard_rows: Path, tmp_path: Path) -> None:
    """The vectorised prefilters only skip rows on which every rule would find nothing."""
    from breachbench.benchmarks.check import EXTRA_COLUMNS, _records

    out = tmp_path / "d.parquet"
    # The generator writes coherent rows: give each comment its neighbour's person, so
    # that every rule has contradictions to find (or to be held back from).
    table = pq.read_table(hard_rows)
    for name in ("sex", "birth_date", "first_name", "last_name", "birth_name", "nir",
                 "phone_mobile", "phone_home", "email"):  # fmt: skip
        column = table.column(name).combine_chunks()
        shifted = pa.concat_arrays([column[1:], column[:1]])
        table = table.set_column(table.schema.get_field_index(name), name, shifted)
    pq.write_table(table, out)
    gated = {r["id"]: r["contradictions"] for r in check_dataset(out)["rules"]}
    dataset = open_dataset(out, extra_columns=EXTRA_COLUMNS)
    present = {f.name for f in dataset.extra_fields}
    ungated = dict.fromkeys(gated, 0)
    for batch in dataset.batches():
        keep = [bool(t) for t in batch.column("admin_comment").to_pylist()]
        for record in _records(batch.filter(pa.array(keep)), present):
            for rule in RULES:
                ungated[rule.id] += len(rule.function(record))
    assert gated == ungated
    assert sum(v > 0 for v in gated.values()) >= 5, gated


@given(
    st.integers(min_value=0, max_value=99_999_999),
    st.sampled_from(["spaces", "dots", "solid", "plus33", "plus33_spaces", "dashes", "0033"]),
    st.sampled_from(["spaces", "solid", "plus33_spaces"]),
)
def test_a_phone_in_any_layout_is_the_row_s_phone(number: int, shown: str, stored: str) -> None:
    from breachbench.benchmarks.check import Record, rule_patient_phone

    digits = f"06{number:08d}"
    pairs = [digits[i : i + 2] for i in range(0, 10, 2)]
    layouts = {
        "spaces": " ".join(pairs),
        "dots": ".".join(pairs),
        "solid": digits,
        "plus33": "+33" + digits[1:],
        "plus33_spaces": "+33 " + digits[1] + " " + " ".join(pairs[1:]),
        "dashes": "-".join(pairs),
        "0033": "0033" + digits[1:],
    }
    text = f"tél : {layouts[shown]}"
    span = (6, len(text), "phone", "patient", "affirmed")
    record = Record("P", text, [span], phones=(layouts[stored],), has_phones=True)
    assert rule_patient_phone(record) == []
    other = Record("P", text, [span], phones=("0199000000",), has_phones=True)
    assert len(rule_patient_phone(other)) == 1


@settings(deadline=None)
@given(
    born=st.dates(dt.date(1900, 1, 1), dt.date(2025, 12, 31)),
    years=st.integers(0, 110),
    shift=st.integers(-2, 2),
)
def test_ages_count_birthdays_by_month_and_day(born: dt.date, years: int, shift: int) -> None:
    """Around each birthday, leap years or not: born 1 March 2000, one year old on
    1 March 2001 (day-of-year arithmetic made it the 2nd)."""
    from breachbench.benchmarks.check import _ages

    try:
        birthday = born.replace(year=born.year + years)
    except ValueError:  # 29 February in a common year: the birthday is 1 March
        birthday = dt.date(born.year + years, 3, 1)
    on = birthday + dt.timedelta(days=shift)
    if on < born:
        return
    created = pa.array([dt.datetime.combine(on, dt.time(9))], pa.timestamp("ms"))
    assert _ages(pa.array([born], pa.date32()), created)[0] == years - (shift < 0)


def test_desk_entries_fall_in_the_weeks_before_the_note(tmp_path: Path) -> None:
    """On generated rows (8,000 of each difficulty), the desk's own entries are dated on or
    after the record's opening, on or before the note's date (``updated_at``) and no
    earlier than ``desk_days`` before it, while the patient's history keeps its older
    dates; check finds neither kind of contradiction."""
    from breachbench.benchmarks.check import (
        _desk_entry,
        _records,
        clause_around,
        load_markers,
        spelled_out,
    )
    from breachbench.generator.api import generate_dataset
    from breachbench.generator.options import GenerateOptions
    from breachbench.generator.records.dates import desk_days

    rules = ("desk_before_opening", "date_after_creation")
    planning = load_markers().planning
    for difficulty in ("realistic", "hard"):
        out = tmp_path / f"{difficulty}.parquet"
        generate_dataset(
            out, GenerateOptions(rows=8_000, seed=21, difficulty=difficulty), progress=False
        )
        found = {r["id"]: r["contradictions"] for r in check_dataset(out, rules=rules)["rules"]}
        assert found == dict.fromkeys(rules, 0)
        table = pq.read_table(out)
        table = table.filter(pa.compute.is_valid(table["admin_comment"]))
        desk = history = 0
        for batch in table.to_batches():
            for record in _records(batch, {"created_at", "updated_at", "birth_date"}):
                assert record.updated_at >= record.created_at
                for start, end, category, _, _ in record.spans:
                    day = parse_date_span(record.text[start:end])
                    if category != "date" or day is None or day[0] != day[1]:
                        continue  # a year or a month alone is no day to compare
                    offset = (day[0] - record.updated_at).days
                    if _desk_entry(record, start, end):
                        desk += 1
                        assert day[0] >= record.created_at, record.text
                        # Else the opening itself ("21/10/10 : arrivée au cabinet").
                        assert offset >= -desk_days() or day[0] == record.created_at, record.text
                        clause = spelled_out(clause_around(record, start, end))
                        # "RDV le ... avec le Dr X" may be planned months ahead.
                        assert offset <= 0 or planning.search(clause), record.text
                    elif offset < 0:
                        history += 1
        assert desk > 20 and history > 20, (desk, history)


def test_a_closed_record_ends_its_note(tmp_path: Path) -> None:
    """On generated rows, a clause that closes the record (a death, a move away, the file
    sent on) is the note's last one, and check finds no patient still coming after it."""
    from breachbench.benchmarks.check import _leaving, clauses
    from breachbench.generator.api import generate_dataset
    from breachbench.generator.options import GenerateOptions

    out = tmp_path / "d.parquet"
    generate_dataset(out, GenerateOptions(rows=20_000, seed=5), progress=False)
    info = check_dataset(out, rules=("after_leaving",))
    assert info["rules"][0]["contradictions"] == 0
    leaving = _leaving()[0]
    closed = 0
    for text in pq.read_table(out, columns=["admin_comment"])["admin_comment"].to_pylist():
        if text and leaving.search(fold(text)):
            closed += 1
            lo, hi = clauses(text)[-1]
            # The last clause closes the record (a comma may join it to the one before).
            assert leaving.search(fold(text[max(0, lo - 60) : hi])), text
    assert closed > 20


def test_one_contradiction_in_a_million_rows_is_above_a_threshold_of_zero() -> None:
    """The report rounds the rate to two decimals; the verdict must not."""
    from breachbench.benchmarks.check import within_threshold

    info = {"comments": 300_000, "contradicting_comments": 1, "contradicting_per_1000": 0.0}
    assert not within_threshold(info, 0.0)
    assert within_threshold(info, 0.01)
    assert within_threshold({"comments": 0, "contradicting_comments": 0}, 0.0)


def test_the_dot_of_an_abbreviated_month_ends_no_clause() -> None:
    """ "RDV du 17 nov. 2025 reporté" is one clause: two postponed visits of a note are no
    clause written twice ("2025 reporté" twice, 100,000 realistic rows of seed 3131),
    whether the accents are typed or not; a sentence's dot still ends one."""
    from breachbench.benchmarks.check import Record, clauses, rule_repeated_clause

    for text in (
        "grève SNCF : RDV du 17 nov. 2025 reporté. RDV du 5 déc. 2025 reporté.",
        "RDV du 3 Févr. 2024 reporté. RDV du 9 fevr. 2024 reporté",
    ):
        assert not rule_repeated_clause(Record("P", text, [])), text
    assert rule_repeated_clause(
        Record("P", "RDV reporté en nov. tiers payant. RDV reporté en nov.", [])
    )
    text = "vu le 3 janv. 2024. tiers payant, vu en sept. puis en oct."
    assert [text[lo:hi] for lo, hi in clauses(text)] == [
        "vu le 3 janv. 2024",
        "tiers payant, vu en sept",
        "puis en oct",
    ]
