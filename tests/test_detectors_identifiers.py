"""The built-in identifiers detector: phones, emails, NIR with key, dates, names, addresses."""

import phonenumbers
import pytest
from breachbench.benchmarks.detectors import IdentifierDetector
from breachbench.benchmarks.detectors.identifiers import nir_is_valid, nir_key
from breachbench.benchmarks.protocol import AnswerNormaliser
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.fr import nir as stdnum_nir

DETECTOR = IdentifierDetector()


def found(text):
    return [(text[s:e], label) for s, e, label in DETECTOR([text])[0]]


@pytest.mark.parametrize(
    "phone",
    [
        "06 39 98 12 34",
        "0639981234",
        "06.39.98.12.34",
        "06-39-98-12-34",
        "+33 6 39 98 12 34",
        "+33639981234",
        "+33 (0)6 39 98 12 34",
        "0033 6 39 98 12 34",
        "01 99 00 12 34",
        "09 72 10 20 30",
    ],
)
def test_every_french_phone_format(phone):
    assert found(f"rappeler au {phone} svp") == [(phone, "phone")]


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from("12345679"),
    st.text(alphabet="0123456789", min_size=8, max_size=8),
    st.sampled_from(
        [
            phonenumbers.PhoneNumberFormat.NATIONAL,
            phonenumbers.PhoneNumberFormat.INTERNATIONAL,
            phonenumbers.PhoneNumberFormat.E164,
        ]
    ),
)
def test_phones_formatted_by_phonenumbers_are_found(zone, rest, style):
    number = phonenumbers.parse(f"0{zone}{rest}", "FR")
    written = phonenumbers.format_number(number, style)
    assert found(f"tél. {written}.") == [(written, "phone")]


def test_email():
    assert found("mail: jean-pierre.dupont+med@mail.example.org.") == [
        ("jean-pierre.dupont+med@mail.example.org", "email")
    ]


def _nir(draw_sex, year, month, dept, commune, order):
    body = f"{draw_sex}{year:02d}{month:02d}{dept}{commune:03d}{order:03d}"
    return body + f"{nir_key(body):02d}"


NIRS = st.builds(
    _nir,
    st.sampled_from("12"),
    st.integers(0, 99),
    st.integers(1, 12),
    st.sampled_from(["01", "13", "2A", "2B", "59", "75", "95"]),
    st.integers(1, 999),
    st.integers(1, 999),
)


@settings(max_examples=300, deadline=None)
@given(NIRS, st.booleans())
def test_every_nir_with_a_valid_key_is_found(nir, spaced):
    assert stdnum_nir.is_valid(nir)
    assert nir_is_valid(nir)
    written = (
        " ".join([nir[0], nir[1:3], nir[3:5], nir[5:7], nir[7:10], nir[10:13], nir[13:]])
        if spaced
        else nir
    )
    assert found(f"NIR : {written}, à vérifier") == [(written, "nir")]


@settings(max_examples=300, deadline=None)
@given(NIRS)
def test_nir_key_agrees_with_stdnum(nir):
    assert nir_key(nir[:13]) == int(stdnum_nir.calc_check_digits(nir[:13]))


@settings(max_examples=100, deadline=None)
@given(NIRS, st.integers(1, 96))
def test_a_wrong_key_is_rejected(nir, shift):
    wrong = nir[:13] + f"{(int(nir[13:]) + shift - 1) % 97 + 1:02d}"
    if wrong == nir:
        return
    assert not stdnum_nir.is_valid(wrong)
    assert found(f"NIR {wrong}") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("vu le 12/03/2019", [("12/03/2019", "date")]),
        ("né le 5/3/85", [("5/3/85", "date")]),
        ("RDV 12-03-2019", [("12-03-2019", "date")]),
        ("depuis le 12 mars 2019", [("12 mars 2019", "date")]),
        ("en mars 2019", [("mars 2019", "date")]),
        ("viol en 2012", [("2012", "date")]),
        ("le 1er avril", [("1er avril", "date")]),
        ("depuis 03/2020", [("03/2020", "date")]),
        ("prend 2000 mg", []),
        ("ordonnance 12/40", []),
        # Partial dates as notes write them: day and month, month and two-digit year, a
        # bare month after a word that places it, "mi-" with its month, years in brackets.
        ("rappelé le 14/03 à 9h", [("14/03", "date")]),
        ("[7/11] pansement fait", [("7/11", "date")]),
        ("titre valable jusqu'à fin 06/27", [("06/27", "date")]),
        ("TA 13/8, pouls 72", []),
        ("2,5/10 de douleur", []),
        ("opération prévue mi-avril", [("mi-avril", "date")]),
        ("à revoir début juin", [("juin", "date")]),
        ("en juin 2019", [("juin 2019", "date")]),
        ("deux césariennes (2011, 2014)", [("2011", "date"), ("2014", "date")]),
        ("arrivée 2021 avec ses enfants", [("2021", "date")]),
        ("DDN 1946 (et non 1964)", [("1964", "date")]),
    ],
)
def test_dates(text, expected):
    assert found(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("voir avec sa fille Julie", [("Julie", "person")]),
        ("adressée par le Dr Martin", [("Martin", "person")]),
        ("Docteur Le Gall", [("Le Gall", "person")]),
        ("M. Gay, à rappeler", [("Gay", "person")]),
        ("Mme DUPONT-MOREAU", [("DUPONT-MOREAU", "person")]),
        ("son fils Thomas vient demain", [("Thomas", "person")]),
        ("sa fille viendra", []),
        # An acronym the keyword lexicon knows ends the name: one shape, two readings.
        ("Mme Marie DUPONT", [("Marie DUPONT", "person")]),
        ("Mme Asseline UDAF", [("Asseline", "person")]),
        ("M. SPIP", []),
        # Names with no title: after a family word or a contact role with or without its
        # determiner, in brackets, after a verb of calling or "prénom"; a title typed in
        # capitals; a title after the family word belongs to the title's pattern.
        ("Fils Karim passe ce soir", [("Karim", "person")]),
        ("son frère (Youssef) traduit", [("Youssef", "person")]),
        ("Épouse : Agnès, personne de confiance", [("Agnès", "person")]),
        ("kiné : MARTIN Paul", [("MARTIN Paul", "person")]),
        ("son compagnon Hugo Lefort, qui", [("Hugo Lefort", "person")]),
        ("sa mère Mme Kaya", [("Kaya", "person")]),
        ("le mari, Mme ne parle pas français", []),
        ("rappeler Léa en priorité", [("Léa", "person")]),
        ("dossier au prénom Maël", [("Maël", "person")]),
        ("prénom d'usage : Noa", [("Noa", "person")]),
        ("MR DIALLO : ne pas rappeler", [("DIALLO", "person")]),
        ("Me Girard, notaire", [("Girard", "person")]),
        # A drug or a test in brackets after the family word, a line break after it.
        ("accompagne sa mère (Truvada)", []),
        ("sa mère (Ag HBs +)", []),
        ("chez la mère\nAttestation de droits", []),
        ("Dr B. vu ce jour", []),
    ],
)
def test_person_names(text, expected):
    assert found(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "habite 12 rue de la République, 69003 Lyon.",
            [("12 rue de la République, 69003 Lyon", "address")],
        ),
        ("3 bis avenue Victor Hugo", [("3 bis avenue Victor Hugo", "address")]),
        ("habite rue de la Santé", [("rue de la Santé", "address")]),
        ("déménage à 13001 Marseille", [("13001 Marseille", "address")]),
        ("FIV en cours, sur place", []),
        # With no house number, a street needs a capitalised name, numbers may lead it.
        ("à la rue en 1973", [("1973", "date")]),
        ("habite rue du 8 Mai 1945", [("rue du 8 Mai 1945", "address")]),
        # An address over two lines is two spans, as the guidelines draw it.
        (
            "12 rue des Lilas\n75011 Paris",
            [("12 rue des Lilas", "address"), ("75011 Paris", "address")],
        ),
    ],
)
def test_addresses(text, expected):
    assert found(text) == expected


def test_hard_negative_driving_test_has_no_sensitive_label():
    labels = {label for _, label in found("permis de conduire: test réussi")}
    assert labels == set()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=80), max_size=8))
def test_offsets_always_in_range(texts):
    results = DETECTOR(texts)
    AnswerNormaliser("spans").batch([str(i) for i in range(len(texts))], texts, results)
