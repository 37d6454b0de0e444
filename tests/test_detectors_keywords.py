"""The built-in keywords detector on hand-written French comments, hard negatives included."""

import itertools

import pytest
from breachbench.benchmarks.detectors import KeywordDetector
from breachbench.benchmarks.detectors.data import (
    drug_names,
    keyword_lexicon,
    taxonomy_categories,
)
from breachbench.benchmarks.detectors.fold import fold
from breachbench.benchmarks.protocol import AnswerNormaliser
from hypothesis import given, settings
from hypothesis import strategies as st


@pytest.fixture(scope="module")
def detector():
    return KeywordDetector()


def found(detector, text):
    return [(text[s:e], label) for s, e, label in detector([text])[0]]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("VIH+ sous trithérapie", [("VIH+", "serology"), ("trithérapie", "serology")]),
        ("Ag HBs +, VHC guéri", [("Ag HBs", "serology"), ("VHC", "serology")]),
        ("HSH, sous PrEP", [("HSH", "sexual_orientation"), ("PrEP", "serology")]),
        (
            "femme trans, en transition",
            [("femme trans", "gender_identity"), ("en transition", "gender_identity")],
        ),
        ("victime d'attouchements", [("attouchements", "sexual_violence")]),
        ("inceste (père)", [("inceste", "sexual_violence")]),
        (
            "violences conjugales, main courante",
            [("violences conjugales", "violence"), ("main courante", "violence")],
        ),
        ("TS en 2019, suivi CMP", [("TS", "mental_health"), ("CMP", "mental_health")]),
        ("hospit. en psy (HDT)", [("hospit. en psy", "mental_health"), ("HDT", "mental_health")]),
        ("OH chronique, sous Subutex", [("OH chronique", "addiction"), ("Subutex", "addiction")]),
        ("méthadone au CSAPA", [("méthadone", "addiction"), ("CSAPA", "addiction")]),
        ("IVG x2, FIV en cours", [("IVG", "reproductive_health"), ("FIV", "reproductive_health")]),
        ("ALD 30, diabète", [("ALD", "health_condition"), ("diabète", "health_condition")]),
        (
            "Témoin de Jéhovah : refuse transfusion",
            [("Témoin de Jéhovah", "religion"), ("refuse transfusion", "religion")],
        ),
        ("délégué CGT", [("délégué CGT", "political_union")]),
        (
            "sans-papiers, demandeur d'asile",
            [("sans-papiers", "ethnic_origin"), ("demandeur d'asile", "ethnic_origin")],
        ),
        (
            "sort de prison, bracelet électronique",
            [("sort de prison", "justice"), ("bracelet électronique", "justice")],
        ),
        (
            "SDF, AME, sous curatelle",
            [
                ("SDF", "social_precarity"),
                ("AME", "social_precarity"),
                ("curatelle", "social_precarity"),  # guidelines v1.1: minimal span
            ],
        ),
        ("accompagne sa mère au CMP", [("CMP", "mental_health")]),
        # accents, case, typographic apostrophe, hyphen/space, oe ligature
        ("SEROPOSITIF", [("SEROPOSITIF", "serology")]),
        ("demandeur d’asile", [("demandeur d’asile", "ethnic_origin")]),
        ("sans papiers", [("sans papiers", "ethnic_origin")]),
        ("colis des Restos du coeur", [("Restos du coeur", "social_precarity")]),
    ],
)
def test_finds_sensitive_terms(detector, text, expected):
    assert found(detector, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "M. Gay, à rappeler",
        "Mme Chrétien préfère le matin",
        "habite rue de la Santé",
        "permis de conduire: test réussi",
        "préfère les RDV le matin, tiers payant",
        "carte Vitale à mettre à jour",
        "rendez-vous place de l'Église",
        "violon le mardi",  # "viol" only as a whole word
        "ts les jours",  # exact abbreviations are case-sensitive
        "oh, il a oublié",
        "",
    ],
)
def test_hard_negatives_give_no_sensitive_span(detector, text):
    assert found(detector, text) == []


def test_offsets_are_per_text_in_a_batch(detector):
    texts = ["", "RAS", "Patiente VIH+", "sous Subutex depuis 2019", "éèà VHC"]
    results = detector(texts)
    assert len(results) == len(texts)
    assert [[t[s:e] for s, e, _ in r] for t, r in zip(texts, results, strict=True)] == [
        [],
        [],
        ["VIH+"],
        ["Subutex"],
        ["VHC"],
    ]


def test_lexicon_is_large_and_uses_only_sensitive_categories():
    lexicon = keyword_lexicon()
    sensitive = set(taxonomy_categories()["sensitive"])
    assert set(lexicon["terms"]) == sensitive
    assert set(lexicon["exact"]) <= sensitive
    total = sum(map(len, lexicon["terms"].values())) + sum(map(len, lexicon["exact"].values()))
    assert total >= 300


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # names only the edsnlp-derived table (corpora/reference/drugs.csv) knows
        ("sous Xeplion depuis 2019", [("Xeplion", "mental_health")]),
        ("Eliquis 5 mg x2", [("Eliquis", "health_condition")]),
        ("TIVICAY + Descovy", [("TIVICAY", "serology"), ("Descovy", "serology")]),
        ("patchs de nicotine", [("nicotine", "addiction")]),
        ("sous Optilova", [("Optilova", "reproductive_health")]),
        ("buprenorphine 8 mg", [("buprenorphine", "addiction")]),
    ],
)
def test_finds_drug_names_of_the_reference_table(detector, text, expected):
    assert found(detector, text) == expected


def test_drug_table_is_below_the_lexicon():
    """A name both list keeps the lexicon's category (Depakote: mental health, as a
    mood stabiliser, where the ATC table files it with the antiepileptics); a lexicon of
    one's own gets no drugs unless asked."""
    assert "Depakote" in drug_names()["health_condition"]
    assert found(KeywordDetector(), "sous Depakote") == [("Depakote", "mental_health")]
    own = {"terms": {"serology": ["VIH"]}}
    assert found(KeywordDetector(own), "Eliquis, VIH") == [("VIH", "serology")]
    with_drugs = KeywordDetector(own, drugs=drug_names())
    assert found(with_drugs, "Eliquis, VIH") == [
        ("Eliquis", "health_condition"),
        ("VIH", "serology"),
    ]
    assert KeywordDetector().version.endswith(f"+drugs-{sum(map(len, drug_names().values()))}")


def test_docstring_says_the_lexicon_is_independent():
    import breachbench.benchmarks.detectors.keywords as module

    assert "written independently" in module.__doc__


any_texts = st.lists(st.text(alphabet=st.characters(codec="utf-8"), max_size=60), max_size=8)


@settings(max_examples=50, deadline=None)
@given(any_texts)
def test_offsets_always_valid_and_non_overlapping(texts):
    _assert_offsets_valid_and_non_overlapping(texts)


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(any_texts)
def test_offsets_always_valid_and_non_overlapping_thoroughly(texts):
    """The same property on eight times the examples (``pytest -m slow``, run in CI)."""
    _assert_offsets_valid_and_non_overlapping(texts)


def _assert_offsets_valid_and_non_overlapping(texts):
    detector = KeywordDetector()
    results = detector(texts)
    AnswerNormaliser("spans").batch([str(i) for i in range(len(texts))], texts, results)
    for spans in results:
        for (s1, e1, _), (s2, _, _) in itertools.pairwise(spans):
            assert e1 <= s2 and s1 < e1


@given(st.text(max_size=80))
def test_fold_preserves_length(text):
    assert len(fold(text)) == len(text)
