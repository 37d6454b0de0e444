"""Comment templates: markup parsing, expansion, and the data files against the taxonomy."""

from __future__ import annotations

import itertools
import re
import shutil
from collections import defaultdict
from collections.abc import Iterable
from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest
import yaml
from breachbench.generator.arrays.sampling import Categorical
from breachbench.generator.comments.splits import template_families
from breachbench.generator.comments.templates import (
    MAX_FRAME_WORDINGS,
    SLOT_CATEGORIES,
    Piece,
    Template,
    TemplateError,
    _frame_wordings,
    elide,
    escape_markup,
    load_connectors,
    load_templates,
    parse_markup,
)
from breachbench.generator.data.corpora import load_yaml_file
from hypothesis import given
from hypothesis import strategies as st
from test_age_floors import _clash_facts_only

CORPORA = Path(str(files("breachbench.corpora")))
TAXONOMY = yaml.safe_load((CORPORA / "taxonomy/taxonomy.yaml").read_text(encoding="utf-8"))
SENSITIVE = tuple(TAXONOMY["groups"]["sensitive"]["categories"])
IDENTIFIER = tuple(TAXONOMY["groups"]["identifier"]["categories"])
SUBJECTS = tuple(TAXONOMY["attributes"]["subject"]["values"])
ASSERTIONS = tuple(TAXONOMY["attributes"]["assertion"]["values"])


def render(template: Template) -> str:
    """Readable text of a template, slots shown as {name}."""
    return "".join(p.text if p.slot is None else "{" + p.slot + "}" for p in template.pieces)


@pytest.fixture(scope="module")
def templates() -> dict[str, tuple[Template, ...]]:
    return load_templates()


# ------------------------------------------------------------------ the shipped data


def test_keys_cover_families_and_every_sensitive_category(templates):
    assert set(templates) == {"routine", "identifier", "hard_negative", *SENSITIVE}
    for key, group in templates.items():
        assert group, key


def test_every_piece_is_valid_per_taxonomy(templates):
    for key, group in templates.items():
        for template in group:
            assert template.sex in ("any", "M", "F"), template.source
            assert template.weight > 0, template.source
            assert template.pieces, template.source
            for piece in template.pieces:
                if piece.slot == "partner":
                    # The partner's noun: labelled by the engine when it reveals orientation.
                    assert piece.category is None and piece.role and not piece.text
                    continue
                if piece.slot in ("town", "age"):
                    # A bare commune, an age: never labelled (TAXONOMY.md, "Not labelled";
                    # an age is no identifier).
                    assert piece.category is None and not piece.text, template.source
                    continue
                if piece.category is None:
                    assert piece.slot is None and piece.text, template.source
                    assert piece.subject is None and piece.assertion is None
                    continue
                assert piece.category in SENSITIVE + IDENTIFIER, template.source
                assert piece.subject in SUBJECTS, template.source
                assert piece.assertion in ASSERTIONS, template.source
                if piece.category in IDENTIFIER:
                    assert piece.assertion == "affirmed", template.source
                if piece.slot is not None:
                    assert piece.slot in SLOT_CATEGORIES, template.source
                    assert piece.category == SLOT_CATEGORIES[piece.slot]
                    assert piece.text == ""
                else:
                    assert piece.text and piece.text == piece.text.strip(), template.source
            if key in SENSITIVE:
                assert template.family == "sensitive" and template.category == key
                assert any(p.category == key for p in template.pieces), template.source
            else:
                assert template.family == key and template.category is None


def test_adjacent_literals_are_merged(templates):
    for group in templates.values():
        for template in group:
            for a, b in zip(template.pieces, template.pieces[1:], strict=False):
                literal = [p.category is None and p.slot is None for p in (a, b)]
                assert not all(literal), template.source


@pytest.mark.parametrize("category", SENSITIVE)
def test_each_category_has_every_subject_and_assertion(templates, category):
    subjects, assertions = set(), set()
    for template in templates[category]:
        for piece in template.pieces:
            if piece.category == category:
                subjects.add(piece.subject)
                assertions.add(piece.assertion)
    assert {"patient", "relative"} <= subjects
    assert assertions == set(ASSERTIONS)


@pytest.mark.parametrize("category", SENSITIVE)
def test_each_category_fits_both_sexes(templates, category):
    sexes = {t.sex for t in templates[category]}
    assert "any" in sexes or {"M", "F"} <= sexes


def test_non_sensitive_families_hold_no_sensitive_span(templates):
    for key in ("routine", "identifier", "hard_negative"):
        for template in templates[key]:
            assert not any(p.category in SENSITIVE for p in template.pieces), template.source
    assert all("hard_negative" in t.tags for t in templates["hard_negative"])
    assert all(any(p.category for p in t.pieces) for t in templates["identifier"])


def test_same_text_same_labels(templates):
    """Two templates that read the same must label it the same, or the data contradicts
    itself: cue words ("pas de", "ATCD de", "ancien") stay outside the span everywhere."""
    for key, group in templates.items():
        labels = defaultdict(set)
        for template in group:
            labels[render(template)].add(
                tuple(
                    (p.text or p.slot, p.category, p.subject, p.assertion)
                    for p in template.pieces
                    if p.category
                )
            )
        conflicts = {text: spans for text, spans in labels.items() if len(spans) > 1}
        assert not conflicts, (key, next(iter(conflicts.items())))


# Words the lexicons label as a fact that a phrase may still write unlabelled, and why.
UNLABELLED_ON_PURPOSE = {
    # a partner's noun reveals nothing when the partner is of the other sex
    "sa compagne": "partner",
    "son mari": "partner",
    "sa femme": "partner",
    "en couple avec une femme": "partner",
    # outside the minimal span, or another sense of the word
    "pratiquant": "a qualifier after the labelled religion",
    "pratiquante": "a qualifier after the labelled religion",
    "boit": "the verb before a labelled quantity",
    "plainte": "'s'en est plainte', a grievance",
    "islam": "the span is 'converti'",
    "coming out": "the labelled span says the orientation",
    "indétectable": "a qualifier after the labelled status",
    "trod": "the test's name before or after the labelled virus and result ('TROD VIH +')",
    "angoissée": "a feeling, not a diagnosis",
    "drépanocytose": "a screening test, no diagnosis",
    "titre de séjour": "its lack, stated by the labelled 'sans-papiers'",
    "pas de mutuelle": "next to the labelled benefit it calls for",
    "arabe": "a language, not labelled",
    "ase": "the care of an unaccompanied minor, not maltreatment",
    "cmi": "the disability card here, not a certificate of violence",
    "domiciliation": "the labelled service says it",
    "foyer": "a home, not a shelter",
    "prêtre": "a person, not a faith",
    "aumônier": "next to the labelled faith",
    "ccas": "an address next to the labelled fact",
    "udaf": "next to the labelled measure",
    "mandataire judiciaire": "next to the labelled measure",
    "assistante sociale": "a person, not a fact",
    "115": "a service number",
    "menace": "a landlord's threat of the labelled eviction",
    "menacé": "a threat of suicide, labelled as such",
}


def test_sensitive_phrases_label_the_facts_they_name(templates):
    """A phrase that names a fact the lexicons label elsewhere labels it too: an unlabelled
    "plainte déposée" or "dossier Banque de France" teaches a tagger to skip the fact, and
    hand-written notes label it (TAXONOMY.md guidelines)."""
    labelled: dict[str, int] = defaultdict(int)
    for category in SENSITIVE:
        for template in templates[category]:
            for p in template.pieces:
                if p.category in SENSITIVE and p.slot is None:
                    labelled[p.text.lower()] += 1
    surfaces = sorted((s for s, n in labelled.items() if n >= 3 and len(s) >= 3), key=len)
    pattern = re.compile(
        r"(?<!\w)(" + "|".join(re.escape(s) for s in reversed(surfaces)) + r")(?!\w)"
    )
    found = defaultdict(set)
    for category in SENSITIVE:
        for template in templates[category]:
            if ":phrases[" not in template.source:
                continue
            for p in template.pieces:
                if p.category is None and p.slot is None:
                    for match in pattern.finditer(p.text.lower()):
                        found[match.group(1)].add(template.source)
    unlabelled = {s: sorted(found[s]) for s in found if s not in UNLABELLED_ON_PURPOSE}
    assert not unlabelled, unlabelled
    # and the list stays short: a word labelled everywhere again leaves it
    assert set(UNLABELLED_ON_PURPOSE) <= set(found), set(UNLABELLED_ON_PURPOSE) - set(found)


def test_sources_are_unique_and_name_their_file(templates):
    seen = set()
    for group in templates.values():
        for template in group:
            assert template.source not in seen
            seen.add(template.source)
            file = template.source.split(":", 1)[0]
            assert (CORPORA / "comments" / file).is_file(), template.source


def test_attribute_tags_follow_the_spans(templates):
    for template in templates["serology"]:
        fact = next(p for p in template.pieces if p.category == "serology")
        if fact.assertion != "affirmed":
            assert fact.assertion in template.tags, template.source
        if fact.subject != "patient":
            assert fact.subject in template.tags, template.source


def test_elision_in_expanded_templates(templates):
    texts = {render(t) for t in templates["serology"]}
    assert "ATCD d'hépatite C" in texts
    assert "ATCD de hépatite C" not in texts
    assert "pas d'IST" in texts
    health = {render(t) for t in templates["health_condition"]}
    assert "pas de handicap" in health  # h aspiré
    assert "ATCD d'HTA" in health


def test_state_frames_agree_with_sex(templates):
    by_text = defaultdict(set)
    for template in templates["mental_health"]:
        by_text[render(template)].add(template.sex)
    assert by_text["patiente dépressive"] == {"F"}
    assert by_text["patient dépressif"] == {"M"}
    assert by_text["dépressive"] == {"F"}
    assert by_text["mère dépressive"] == {"any"}
    assert "patient dépressive" not in by_text


def test_a_woman_is_never_written_with_a_mans_title_of_office(templates):
    """ "Mère : délégué syndical" (a reader's find): the masculine noun is said of men only,
    the women get "déléguée syndicale"; and nobody is "pas musulmane non pratiquante"."""
    women = re.compile(
        r"\b(?:mère|sœur|fille|épouse|femme|compagne|patiente)\b[^.;]{0,3}délégué syndical"
    )
    texts = [render(t) for t in templates["political_union"]]
    assert any("déléguée syndicale" in text for text in texts)
    assert not [text for text in texts if women.search(text)]
    doubled = [
        render(t)
        for t in templates["religion"]
        if re.search(r"^pas \S+ non pratiquant", render(t), re.I)
    ]
    assert not doubled


def test_sex_restricted_cores_follow_the_subject(templates):
    for template in templates["reproductive_health"]:
        text = render(template)
        if text.startswith("IVG") or " IVG" in text:
            fact = next(p for p in template.pieces if p.category == "reproductive_health")
            if fact.subject == "patient":
                assert template.sex == "F", template.source
    texts = {render(t) for t in templates["reproductive_health"]}
    assert "fils : IVG" not in texts
    # No sibling's reproductive fact at all ("Sœur : stérilet" for a boy of 9), nor a bare
    # label of anyone's ("Épouse : pilule": frames tagged `label`).
    assert "sœur : IVG" not in texts and "frère : IVG" not in texts
    assert "épouse : IVG" not in texts and "fille : IVG" not in texts


def test_implicit_cores_skip_condition_frames(templates):
    texts = {render(t) for t in templates["serology"]}
    assert "Truvada" in texts
    assert "suivi pour Truvada" not in texts


def test_a_person_is_labelled_only_with_what_a_desk_writes_of_them(templates):
    """Frames like "frère : {fact}" take a relative's illness or addiction, not a service, a
    drug or a belonging pasted after a person ("Sœur : SMIT", "grand-père : judaïsme",
    "Grand-mère : TIG": shared/REALISM.md, tell 2)."""
    serology = {render(t) for t in templates["serology"]}
    assert "SMIT" in serology and "sœur : SMIT" not in serology
    assert "ATCD familiaux : protoxyde d'azote" not in {render(t) for t in templates["addiction"]}
    assert not any(render(t).startswith("grand-père : ") for t in templates["religion"])
    assert not any(render(t).startswith("grand-mère : ") for t in templates["justice"])
    health = {render(t) for t in templates["health_condition"]}
    assert "frère : diabète de type 1" in health
    assert "frère : 100 %" not in health


def test_a_relative_dies_only_of_what_people_die_of(templates):
    """Frames tagged `death` take the facts listed `lethal` in age_floors.yaml: a
    million rows wrote "père décédé d'herpès génital", "d'autisme", "de fibromyalgie"."""
    texts = {render(t) for category in templates.values() for t in category}
    died = {text for text in texts if text.startswith("père décédé d")}
    assert {"père décédé de sida", "père décédé d'infarctus", "père décédé de cirrhose"} <= died
    assert (
        not {
            "père décédé d'herpès génital",
            "père décédé d'autisme",
            "père décédé de fibromyalgie",
            "père décédé d'AIT",
            "père décédé d'hypothyroïdie",
        }
        & died
    )


def test_whatever_a_residence_rule_reads_is_drawn_only_where_it_is_given(templates):
    """Every template whose text a `residence` rule of checks/residence.yaml reads (the
    CSS, the AME, the CPAM, a cross-border job) carries a ``lives:`` restriction: "C2S"
    and "complémentaire santé solidaire", synonyms of the CSS, went without one and
    were written in Mayotte, where the CSS is not given (1M realistic rows, seed 12345)."""
    from breachbench.benchmarks.check import fold
    from breachbench.generator.comments.templates import ANY_HOME

    rules = load_yaml_file(CORPORA / "checks" / "residence.yaml")["rules"]
    patterns = [re.compile(p) for rule in rules for p in rule["patterns"]]
    unbounded = {
        render(t)
        for category in templates.values()
        for t in category
        if t.lives == ANY_HOME
        and all(p.subject == "patient" for p in t.pieces if p.category)
        and any(p.search(fold(render(t))) for p in patterns)
    }
    assert not unbounded, sorted(unbounded)[:10]


def test_a_dead_mother_was_ill_not_on_a_treatment(templates):
    """ "mère décédée, était {fact}" (tag condition) takes conditions, not a drug or a
    service (tag implicit): no "mère décédée, était sous TPE" or "sous Ritaline"."""
    serology = {render(t) for t in templates["serology"]}
    assert "mère décédée, était séropositive" in serology
    assert not any(t.startswith("mère décédée, était sous") for t in serology)


def test_no_mutuelle_as_a_fact_joins_the_mutuelle_group(templates):
    """ "pas de mutuelle" said as a fact shares the `mutuelle` group of the desk's
    "pas de mutuelle renseignée" and "mutuelle : X", so a note says it once: "Pas de
    mutuelle : les papiers se font avec l'assistante sociale ... - pas de mutuelle
    renseignée" (1M rows, seed 12345)."""
    facts = [t for t in templates["social_precarity"] if render(t).lower() == "pas de mutuelle"]
    routine = [t for t in templates["routine"] if render(t) == "pas de mutuelle renseignée"]
    assert facts and routine
    assert all("mutuelle" in (t.group, *t.more_groups) for t in facts + routine)


def test_a_partner_shares_the_patients_home(templates):
    """A partner's fact keeps the entry's ``lives:`` (they share the patient's home): "?
    AME chez le compagnon" was written in Bandrele, Mayotte, where the AME is not given
    (1M hard rows, seed 12345)."""
    from breachbench.generator.comments.templates import ANY_HOME

    partner = [t for t in templates["social_precarity"] if render(t) == "? AME chez le compagnon"]
    assert partner and all(t.lives != ANY_HOME for t in partner)


def test_a_transition_is_dated_from_16(templates):
    """A dated transition is a teenager's or an adult's: no "Transition en février 1983"
    for a girl then 15 (a reading of seed 9191)."""
    dated = [t for t in templates["gender_identity"] if render(t) == "transition en {year}"]
    assert dated and min(t.min_age for t in dated) == 16


def test_connectors():
    connectors = load_connectors()
    assert ". " in connectors.separators and "\n" in connectors.separators
    assert len(connectors.separators) == len(connectors.separator_weights)
    assert len(connectors.openers) == len(connectors.opener_weights)
    assert 0 <= connectors.opener_rate <= 1 and 0 <= connectors.closer_rate <= 1


# ------------------------------------------------------------------ markup


def test_parse_markup_defaults_and_slots():
    pieces = parse_markup("mère [dépressive|mental_health|relative] tél {phone|relative}")
    assert pieces == (
        Piece("mère ", None, None, None, None),
        Piece("dépressive", None, "mental_health", "relative", "affirmed"),
        Piece(" tél ", None, None, None, None),
        Piece("", "phone", "phone", "relative", "affirmed"),
    )
    pieces = parse_markup("[TS|mental_health] en {year}", assertion="historical")
    assert pieces[0].assertion == "historical"
    assert pieces[2] == Piece("", "year", "date", "patient", "affirmed")
    assert parse_markup(r"a \[b\] \{c\}") == (Piece("a [b] {c}", None, None, None, None),)


@pytest.mark.parametrize(
    "markup",
    [
        "[viol|unknown]",
        "[viol|violence|nobody]",
        "[viol|violence|patient|maybe]",
        "[ viol|violence]",
        "[|violence]",
        "[viol]",
        "{unknown_slot}",
        "{fact}",
        "{phone|nobody}",
        "[open|violence",
        "close]",
        "{phone",
        "[a {phone} b|violence]",
        "[Martin|person|patient|negated]",
    ],
)
def test_parse_markup_rejects(markup):
    with pytest.raises(TemplateError):
        parse_markup(markup)


@pytest.mark.parametrize(
    "markup",
    [
        "accord de {full_name|relative:mother} (mère)",
        "fille de {first_name_f}",
        "dit que {first_name_m} viendra",
    ],
)
def test_an_eliding_word_before_a_name_slot_is_refused(markup):
    # "accord de Adèle Attal (mère)": the word before a name cannot be elided at load time.
    with pytest.raises(TemplateError, match="cannot be elided"):
        parse_markup(markup)


def test_a_name_slot_after_a_word_that_never_elides_loads():
    assert parse_markup("accord de la mère, {full_name|relative:mother}, pour la vaccination")
    assert parse_markup("voir avec {first_name_f|relative:daughter}")


def test_elide():
    assert elide("ATCD de ", "hépatite C") == "ATCD d'"
    assert elide("pas de ", "IVG") == "pas d'"
    assert elide("pas de ", "handicap") == "pas de "
    assert elide("voir le ", "épisode") == "voir l'"
    assert elide("De ", "OH") == "D'"
    assert elide("Vendée ", "OH") == "Vendée "
    assert elide("ATCD de ", "TS") == "ATCD de "


_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_SURFACE = _TEXT.map(str.strip).filter(bool)
_LITERAL = st.builds(lambda t: Piece(t, None, None, None, None), _TEXT.filter(bool))
_SPAN = st.builds(
    lambda s, c, su, a: Piece(s, None, c, su, "affirmed" if c in IDENTIFIER else a),
    _SURFACE,
    st.sampled_from(SENSITIVE + IDENTIFIER),
    st.sampled_from(SUBJECTS),
    st.sampled_from(ASSERTIONS),
)
_SLOT = st.builds(
    lambda n, su: Piece("", n, SLOT_CATEGORIES[n], su, "affirmed"),
    st.sampled_from(sorted(SLOT_CATEGORIES)),
    st.sampled_from(SUBJECTS),
).filter(lambda p: not (p.slot == "town" and p.subject == "relative"))  # {town}: a commune


def _to_markup(piece: Piece) -> str:
    if piece.slot is not None:
        return "{" + piece.slot + "|" + piece.subject + "}"
    if piece.category is None:
        return escape_markup(piece.text)
    return f"[{escape_markup(piece.text)}|{piece.category}|{piece.subject}|{piece.assertion}]"


def _merge(pieces: list[Piece]) -> tuple[Piece, ...]:
    merged: list[Piece] = []
    for piece in pieces:
        if (
            merged
            and piece.slot is None
            and piece.category is None
            and merged[-1].slot is None
            and merged[-1].category is None
        ):
            merged[-1] = Piece(merged[-1].text + piece.text, None, None, None, None)
        else:
            merged.append(piece)
    return tuple(merged)


@given(st.lists(st.one_of(_LITERAL, _SPAN, _SLOT), max_size=8))
def test_parse_markup_round_trips(pieces):
    markup = "".join(_to_markup(p) for p in pieces)
    parsed = parse_markup(markup)
    assert parsed == _merge(pieces)
    # Literal text and span positions are what was built.
    text, positions = "", []
    for piece in parsed:
        if piece.category is not None and piece.slot is None:
            positions.append((len(text), len(text) + len(piece.text), piece.category))
        text += piece.text
    expected_text, expected_positions = "", []
    for piece in pieces:
        if piece.category is not None and piece.slot is None:
            start = len(expected_text)
            expected_positions.append((start, start + len(piece.text), piece.category))
        expected_text += piece.text
    assert (text, positions) == (expected_text, expected_positions)


# ------------------------------------------------------------------ validation of files


def _copy_corpora(tmp_path: Path, *, sensitive: Iterable[str] | None = None) -> Path:
    """The comments and the taxonomy, copied. With ``sensitive``, every other sensitive
    category keeps its file but no entry: a test that edits one file then expands that
    file alone (with the frames and the other families), not the whole lexicon, which
    takes seconds per load. A test about one entry it adds passes ``sensitive=[]``: each
    entry expands on its own, so the others of its file would only add a second."""
    root = tmp_path / "corpora"
    shutil.copytree(CORPORA / "comments", root / "comments")
    shutil.copytree(CORPORA / "taxonomy", root / "taxonomy")
    if sensitive is not None:
        for path in (root / "comments" / "sensitive").glob("*.yaml"):
            if path.stem not in sensitive:
                path.write_text(f"category: {path.stem}\n", encoding="utf-8")
        emptied = {path.stem for path in (root / "comments" / "sensitive").glob("*.yaml")}
        _floor_defaults_only(root, emptied - set(sensitive))
        _clash_facts_only(root, set(sensitive))
    return root


def _floor_defaults_only(root: Path, categories: Iterable[str]) -> None:
    """The age floors name entries by text: for ``categories``, whose entries a test
    removed or replaced, keep each default floor and drop the listed entries."""
    floors = root / "comments" / "age_floors.yaml"
    document = load_yaml_file(floors)  # libyaml, as the loader: many tests edit a copy
    for category in categories:
        if category in document:
            document[category] = {"default": document[category]["default"]}
    floors.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")


def _append(path: Path, key: str, line: str) -> None:
    document = load_yaml_file(path)
    document.setdefault(key, []).append(yaml.safe_load(line))
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize(
    ("file", "key", "entry", "needle"),
    [
        ("hard_negatives.yaml", "entries", '"M. [Gay|sexual_orientation]"', "hard_negative"),
        ("routine.yaml", "entries", '{text: "ok", sex: X}', "sex"),
        ("routine.yaml", "entries", '{text: "ok", group: []}', "group"),
        ("routine.yaml", "entries", '{text: "ok", group: [story, 3]}', "group"),
        ("routine.yaml", "entries", "{text: []}", "text"),
        ("routine.yaml", "entries", '{text: ["ok", ""]}', "text"),
        ("routine.yaml", "entries", '{text: ["ok", "ok"]}', "same wording"),
        ("routine.yaml", "entries", '{text: "RDV ((le matin)) seulement"}', "two or more"),
        ("routine.yaml", "entries", '{text: "RDV ((le matin|le soir seulement"}', "unbalanced"),
        ("routine.yaml", "entries", '{text: "voir ((Mme [X|person]|lui))"}', "plain"),
        ("routine.yaml", "entries", '{text: "((|))"}', "empty"),
        ("routine.yaml", "entries", '{text: "((a|b))((a|b))((a|b))((a|b))((a|b))"}', "more than"),
        ("routine.yaml", "entries", '{text: "pas de fax", lacks: [fax]}', "lacks lists"),
        ("routine.yaml", "entries", '{text: "fixe", has: [home], lacks: [home]}', "no record"),
        ("routine.yaml", "entries", '{text: "muet", has: [mobile], lacks: [phone]}', "no record"),
        ("routine.yaml", "entries", '{text: "x", has: [phone], lacks: [mobile, home]}', "no rec"),
        ("identifiers.yaml", "entries", '"sans identifiant"', "identifier"),
        ("sensitive/addiction.yaml", "phrases", '{text: "[OH|violence]"}', "addiction"),
        ("sensitive/addiction.yaml", "cores", '{text: "OH", weight: -1}', "weight"),
        ("sensitive/addiction.yaml", "states", '{m: "ivre"}', "state"),
        ("frames.yaml", "noun", '{text: "sans fait"}', "{fact}"),
        ("frames.yaml", "state", '{text: "{fact}"}', "gender"),
        ("frames.yaml", "noun", "{text: []}", "text"),
        ("frames.yaml", "noun", '{text: ["{fact} ici", "sans fait"]}', "{fact}"),
        ("frames.yaml", "noun", '{text: ["{fact} ici", "{fact} ((ici|là))"]}', "same wording"),
        ("frames.yaml", "noun", '{text: "{fact} ((a|b)) ((c|d)) ((e|f)) ((g|h))"}', "more than 8"),
        (
            "frames.yaml",
            "noun",
            '{text: [{ms: "{fact} ((vu|su))", fs: "{fact} vue", mp: "{fact} x", fp: "{fact} y"}]}',
            "different (( ))",
        ),
        ("frames.yaml", "state", '{text: {m: "{fact} ((a|b))"}, gender: each}', "agreement forms"),
    ],
)
def test_invalid_entries_raise_one_line_errors(tmp_path, file, key, entry, needle):
    root = _copy_corpora(tmp_path, sensitive=[])
    _append(root / "comments" / file, key, entry)
    with pytest.raises(TemplateError) as error:
        load_templates(root)
    message = str(error.value)
    assert "\n" not in message and needle in message
    assert Path(file).name in message


def test_missing_category_file_raises(tmp_path):
    root = _copy_corpora(tmp_path, sensitive=[])
    (root / "comments/sensitive/religion.yaml").unlink()
    with pytest.raises(TemplateError, match="religion"):
        load_templates(root)


def test_custom_root_loads_like_the_default(tmp_path, templates):
    """A root of one's own is read instead of the installed files, into the very templates
    the installed files give. Two categories keep their entries and the others are
    emptied, which shows the root is the one read and keeps the load short."""
    kept = ("addiction", "religion")
    custom = load_templates(_copy_corpora(tmp_path, sensitive=kept))
    assert set(custom) == set(templates)
    for key, group in custom.items():
        if key in SENSITIVE and key not in kept:
            assert group == (), key
        else:
            assert group and group == templates[key], key


@pytest.mark.parametrize(
    "path", sorted((CORPORA / "comments/sensitive").glob("*.yaml")), ids=lambda p: p.stem
)
def test_cores_and_states_are_unique_within_a_category(path: Path) -> None:
    """A duplicate doubles a form's weight and, in the family-held-out check, lands on
    both sides of the split, flattering the figure."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key in ("cores", "states"):
        texts = [repr(entry.get("text", entry)) for entry in data.get(key) or []]
        assert len(texts) == len(set(texts)), sorted({t for t in texts if texts.count(t) > 1})


# ------------------------------------------------------------------ labelled part of a core


def _expand_with(tmp_path: Path, key: str, entry: str) -> list[Template]:
    """The templates one entry expands to, alone in addiction.yaml, found by its source."""
    root = _copy_corpora(tmp_path, sensitive=[])
    path = root / "comments/sensitive/addiction.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    index = len(document.get(key) or [])
    _append(path, key, entry)
    prefix = f"sensitive/addiction.yaml:{key}[{index}]+"
    return [t for t in load_templates(root)["addiction"] if t.source.startswith(prefix)]


def test_a_fact_years_ago_needs_years_past_its_youngest_age(tmp_path):
    """ "IVG il y a quelques années" is not written at 14: a `years_ago` frame asks five
    years more than the fact's own floor, and frames without the tag ask nothing more."""
    expanded = _expand_with(tmp_path, "cores", '{text: "rhum", min_age: 30}')
    ages = {render(t): t.min_age for t in expanded if t.family == "sensitive"}
    years_ago = {text: age for text, age in ages.items() if "il y a " in text}
    assert years_ago and all(age >= 35 for age in years_ago.values()), years_ago
    assert ages["rhum"] == 30


def test_bracketed_part_of_a_core_is_the_only_labelled_words(tmp_path):
    """Guidelines v1.1: "sous Subutex" gives the span "Subutex"; the context travels
    with the core through every frame, elided and merged like any literal."""
    expanded = _expand_with(tmp_path, "cores", '{text: "sous [Zubsolv]"}')
    assert expanded
    texts = set()
    for template in expanded:
        labelled = [p for p in template.pieces if p.category == "addiction"]
        assert [p.text for p in labelled] == ["Zubsolv"]
        assert "sous Zubsolv" in render(template)
        kinds = [(p.slot is None and p.category is None) for p in template.pieces]
        assert not any(a and b for a, b in itertools.pairwise(kinds))
        texts.add(render(template))
    assert "ATCD sous Zubsolv" not in texts and "ATCD de sous Zubsolv" in texts


def test_a_drug_takes_no_history_frame(tmp_path):
    """An implicit entry (a drug, a service) is no condition: "ATCD : Zubsolv" is a list,
    "ATCD de Zubsolv" is no French, like "suivi pour Zubsolv"."""
    texts = {
        render(t) for t in _expand_with(tmp_path, "cores", '{text: "Zubsolv", tags: [implicit]}')
    }
    assert "ATCD : Zubsolv" in texts
    assert not {"ATCD de Zubsolv", "pas d'ATCD de Zubsolv", "suivi pour Zubsolv"} & texts


def test_bracketed_part_of_a_state_keeps_its_agreement(tmp_path):
    expanded = _expand_with(tmp_path, "states", '{m: "suivi au [CJC]", f: "suivie au [CJC]"}')
    rendered = {render(t) for t in expanded}
    assert "patiente suivie au CJC" in rendered and "patient suivi au CJC" in rendered
    for template in expanded:
        assert [p.text for p in template.pieces if p.category == "addiction"] == ["CJC"]


def test_elision_looks_at_the_context_before_the_labelled_part(tmp_path):
    expanded = _expand_with(tmp_path / "a", "cores", '{text: "[OH] chronique"}')
    rendered = {render(t) for t in expanded}
    assert "ATCD d'OH chronique" in rendered and "pas d'OH chronique" in rendered
    expanded = _expand_with(tmp_path / "b", "cores", '{text: "usage d\'[héroïne]"}')
    assert "ATCD d'usage d'héroïne" in {render(t) for t in expanded}


@pytest.mark.parametrize(
    "text", ["sous [Zubsolv", "sous [Zubsolv] et [Subutex]", "sous [ Zubsolv]", "sous []"]
)
def test_malformed_labelled_part_raises_one_line_error(tmp_path, text):
    root = _copy_corpora(tmp_path, sensitive=[])
    _append(root / "comments/sensitive/addiction.yaml", "cores", f'{{text: "{text}"}}')
    with pytest.raises(TemplateError) as error:
        load_templates(root)
    assert "\n" not in str(error.value) and "addiction.yaml: cores[" in str(error.value)


# ------------------------------------------------------------------ rank frequencies


def _ranked_cores(tmp_path: Path, cores: list[str], zipf: float = 1.0) -> dict[int, float]:
    """Total template weight per core of addiction.yaml, its cores replaced by ``cores``
    (YAML entries alike but for their text, so every one fits the same frames)."""
    root = _copy_corpora(tmp_path, sensitive=["addiction"])
    path = root / "comments/sensitive/addiction.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    document["cores"] = [yaml.safe_load(line) for line in cores]
    document["states"], document["phrases"] = [], []
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    _floor_defaults_only(root, ["addiction"])
    (root / "comments/frequencies.yaml").write_text(f"zipf: {zipf}\n", encoding="utf-8")
    mass: dict[int, float] = defaultdict(float)
    for template in load_templates(root)["addiction"]:
        index = int(template.source.split("cores[")[1].split("]")[0])
        mass[index] += template.weight
    return mass


def _observed(mass: dict[int, float], draws: int = 6000) -> np.ndarray:
    """How often each core is drawn by the engine's alias sampler over its templates'
    weights (one cell per template, as in the compiled tables), seed 0."""
    cores = sorted(mass)
    chosen = Categorical.from_weights([mass[c] for c in cores]).sample(
        np.random.default_rng(0), draws
    )
    return np.bincount(chosen, minlength=len(cores))


def _chi_square(observed: np.ndarray, share: np.ndarray) -> float:
    expected = share / share.sum() * observed.sum()
    return float(((observed - expected) ** 2 / expected).sum())


# chi-square with 5 degrees of freedom: exceeded with probability 0.001 under the law.
CHI2_5_DOF_P001 = 20.52


def test_cores_are_drawn_by_rank_with_zipf_weights(tmp_path):
    """Rank r weighs 1/r (zipf 1): the first entries of a list are drawn that often."""
    names = ["alcool", "bière", "vin", "whisky", "pastis", "rhum"]
    mass = _ranked_cores(tmp_path, [f'{{text: "{n}"}}' for n in names])
    zipf = 1 / np.arange(1, 7)
    assert np.allclose([mass[i] for i in range(6)] / zipf, mass[0])  # same frames each
    observed = _observed(mass)
    assert _chi_square(observed, zipf) < CHI2_5_DOF_P001
    # The law itself is not a uniform draw: the same counts are far from uniform.
    assert _chi_square(observed, np.ones(6)) > 50 * CHI2_5_DOF_P001
    # Weights average 1 over the list: the list keeps its share of the category.
    uniform = _ranked_cores(tmp_path / "uniform", [f'{{text: "{n}"}}' for n in names], 0)
    assert sum(mass.values()) == pytest.approx(sum(uniform.values()))
    assert len(set(uniform.values())) == 1


def test_an_explicit_w_overrides_the_rank_weight(tmp_path):
    """``w: 1`` on the fifth core makes it as common as the first."""
    cores = ['{text: "alcool"}', '"bière"', '"vin"', '"whisky"', '{text: "pastis", w: 1}']
    cores.append('{text: "rhum", w: 0.5}')
    mass = _ranked_cores(tmp_path, cores)
    share = np.array([1, 1 / 2, 1 / 3, 1 / 4, 1, 0.5])
    assert np.allclose([mass[i] / mass[0] for i in range(6)], share)
    assert _chi_square(_observed(mass), share) < CHI2_5_DOF_P001


@pytest.mark.parametrize(
    ("key", "entry", "needle"),
    [
        ("cores", '{text: "rhum", w: 0}', "cores[1]: w must be a positive number, got 0"),
        ("cores", '{text: "rhum", w: "often"}', "cores[1]: w must be a positive number"),
        ("states", '{text: "ivre", w: -1}', "states[0]: w must be a positive number, got -1"),
        ("cores", '{text: "rhum", w: .inf}', "cores[1]: w must be a positive number"),
        ("phrases", '{text: "[OH|addiction]", w: 2}', "phrases[0]: w (a rank's weight) is"),
    ],
)
def test_an_invalid_w_is_a_one_line_error(tmp_path, key, entry, needle):
    root = _copy_corpora(tmp_path, sensitive=["addiction"])
    path = root / "comments/sensitive/addiction.yaml"
    document = {"category": "addiction", "cores": ['"alcool"'], "states": [], "phrases": []}
    document = {k: [yaml.safe_load(x) for x in v] if isinstance(v, list) else v
                for k, v in document.items()}  # fmt: skip
    document[key].append(yaml.safe_load(entry))
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    with pytest.raises(TemplateError) as error:
        load_templates(root)
    message = str(error.value)
    assert "\n" not in message and f"sensitive/addiction.yaml: {needle}" in message


def test_rank_weights_are_in_the_corpora_digest_that_keys_the_caches():
    """The template and compiled-array caches are keyed by every corpora file: the
    exponent's file is one of them, like the lexicons that carry ``w``."""
    from breachbench.generator.data.corpora import checksums

    assert {"comments/frequencies.yaml", "comments/sensitive/serology.yaml"} <= set(checksums())


@pytest.mark.parametrize("value", ["-1", "often", "true", "9"])
def test_an_invalid_zipf_exponent_is_a_one_line_error(tmp_path, value):
    root = _copy_corpora(tmp_path, sensitive=[])
    (root / "comments/frequencies.yaml").write_text(f"zipf: {value}\n", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"^frequencies\.yaml: zipf: must be a number"):
        load_templates(root)


def test_a_frame_s_group_reaches_its_templates(templates):
    """A frame's ``group`` is one its templates join: the note that says "tiers payant
    intégral" through a social_precarity story says no "pas de tiers payant" too."""
    grouped = [
        t
        for t in templates["social_precarity"]
        if any("tiers payant intégral" in (p.text or "") for p in t.pieces)
    ]
    assert grouped and all("tiers_payant" in t.more_groups for t in grouped)
    assert not any("tiers_payant" in t.more_groups for t in templates["serology"])


def test_a_rape_is_never_filed_like_a_card_update():
    """No "Mme Masson : viol, dossier à jour" (readings of seeds 3033 and 2027): the
    name frames that end with "dossier à jour" are excluded for sexual violence."""
    texts = [
        "".join(piece.text or "{}" for piece in template.pieces)
        for template in load_templates()["sexual_violence"]
    ]
    assert texts and not [text for text in texts if text.endswith("dossier à jour")]


def test_a_note_says_once_that_the_patient_comes_with_the_partner(templates):
    """A routine note or a trap that says the patient comes with the partner is of group
    with_partner, so a note says it once: "vient toujours avec son mari (suivi ici
    aussi)" then "mariée depuis 35 ans, vient avec son mari" said it twice (and check's
    years_since read "suivi ici ... depuis 35 ans" as a follow-up older than the record:
    1 in 100,000 realistic rows of seed 7)."""
    says = re.compile(
        r"\bvient (toujours )?avec (son mari|sa femme|son compagnon|sa compagne|\{partner)"
        r"|le couple vient|RDV groupés avec \{partner"
    )
    for template in itertools.chain.from_iterable(templates.values()):
        if template.family != "sensitive" and says.search(render(template)):
            assert "with_partner" in (template.group, *template.more_groups), template.source


def test_an_entrys_wordings_are_one_note_written_several_ways():
    """``text: [a, b, c]``: one template per wording, sharing the entry's weight, its
    family (the source without the wording's number: a held-out split keeps them
    together) and a group of their own beside the entry's, so that a note holds one."""
    by_family: dict[str, list[Template]] = {}
    for template in load_templates()["routine"]:
        (family,) = template_families(template.source)
        by_family.setdefault(family, []).append(template)
    several = {f: ts for f, ts in by_family.items() if len(ts) > 1}
    assert len(several) >= 20
    for family, templates in several.items():
        assert [t.source for t in templates] == [f"{family}:w{i}" for i in range(len(templates))]
        groups = {(t.group, *t.more_groups) for t in templates}
        assert len(groups) == 1, family
        assert f"wordings of {family}" in next(iter(groups))
        assert len({t.weight for t in templates}) == 1
        assert len({t.pieces for t in templates}) == len(templates)


@pytest.mark.parametrize(
    ("text", "wordings"),
    [
        ("RDV ((le matin|avant midi))", ["RDV le matin", "RDV avant midi"]),
        ("ordo((| à renouveler)) à déposer", ["ordo à déposer", "ordo à renouveler à déposer"]),
        (
            "((TP|tiers payant)) ((AMO|part Sécu))",
            ["TP AMO", "TP part Sécu", "tiers payant AMO", "tiers payant part Sécu"],
        ),
        (
            ["pas de RDV le mercredi", "le mercredi ((non|jamais))"],
            ["pas de RDV le mercredi", "le mercredi non", "le mercredi jamais"],
        ),
    ],
)
def test_alternatives_expand_in_order(tmp_path, text, wordings):
    root = _copy_corpora(tmp_path, sensitive=[])
    path = root / "comments" / "routine.yaml"
    document = load_yaml_file(path)
    document["entries"] = [{"text": text, "weight": 3}]
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    routine = load_templates(root)["routine"]
    assert ["".join(p.text for p in t.pieces) for t in routine] == wordings
    assert {t.weight for t in routine} == {3 / len(wordings)}
    assert {template_families(t.source) for t in routine} == {("routine.yaml:entries[0]",)}


def test_a_frames_wordings_meet_every_fact(tmp_path):
    """A frame's ``text`` may be a list of wordings, and ``((a|b))`` inside one writes one
    of its alternatives, as an entry's: each wording meets every core, with the frame's
    weight shared among them, a family of its own (the wording's number dropped: a
    held-out split keeps the frame whole) and a group of their own, so that a note holds
    one of them. Agreement forms expand in step: the n-th wording of each form."""
    root = _copy_corpora(tmp_path, sensitive=[])
    (root / "comments/sensitive/serology.yaml").write_text(
        'category: serology\ncores:\n  - {text: "hépatite C", g: f}\n', encoding="utf-8"
    )
    agreement = {
        key: f"{{fact}} (({a}|{b}))"
        for key, a, b in (
            ("ms", "connu", "signalé"),
            ("fs", "connue", "signalée"),
            ("mp", "connus", "signalés"),
            ("fp", "connues", "signalées"),
        )
    }
    frames = {
        "noun": [
            {"text": [agreement, "suivi pour {fact} ici"], "weight": 3},
            {"text": "{fact}"},
        ],
        "state": [{"text": "{fact}", "gender": "each"}],
    }
    (root / "comments/frames.yaml").write_text(
        yaml.safe_dump(frames, allow_unicode=True), encoding="utf-8"
    )
    serology = load_templates(root)["serology"]
    assert ["".join(p.text for p in t.pieces) for t in serology] == [
        "hépatite C connue",
        "hépatite C signalée",
        "suivi pour hépatite C ici",
        "hépatite C",
    ]
    entry = "sensitive/serology.yaml:cores[0]"
    assert [t.source for t in serology] == [
        f"{entry}+frames.noun[0]:w0",
        f"{entry}+frames.noun[0]:w1",
        f"{entry}+frames.noun[0]:w2",
        f"{entry}+frames.noun[1]",
    ]
    assert {template_families(t.source) for t in serology[:3]} == {(entry, "frames.noun[0]")}
    assert [t.weight for t in serology] == [1.0, 1.0, 1.0, 1.0]  # 3 shared by 3, and 1
    assert all("wordings of frames.noun[0]" in t.more_groups for t in serology[:3])
    assert not any("wordings" in g for g in (serology[3].group, *serology[3].more_groups))


def test_a_glob_that_excludes_one_wording_excludes_the_frame(tmp_path):
    """``frames_exclude`` globs match every wording of a frame: a fact takes a frame whole
    or not at all, whichever wording a note draws."""
    root = _copy_corpora(tmp_path, sensitive=[])
    (root / "comments/sensitive/serology.yaml").write_text(
        'category: serology\nframes_exclude: ["*chez le père"]\n'
        'cores:\n  - {text: "hépatite C", g: f}\n',
        encoding="utf-8",
    )
    frames = {
        "noun": [{"text": ["{fact} du père", "{fact} chez le père"]}, {"text": "{fact}"}],
        "state": [{"text": "{fact}", "gender": "each"}],
    }
    (root / "comments/frames.yaml").write_text(
        yaml.safe_dump(frames, allow_unicode=True), encoding="utf-8"
    )
    serology = load_templates(root)["serology"]
    assert [t.source for t in serology] == ["sensitive/serology.yaml:cores[0]+frames.noun[1]"]


_WORD = st.text(alphabet="abcdefghij", min_size=1, max_size=4)


@given(
    choices=st.lists(st.lists(_WORD, min_size=2, max_size=3, unique=True), min_size=0, max_size=4),
    forms=st.booleans(),
)
def test_frame_wordings_are_every_choice_in_step_up_to_the_cap(choices, forms):
    """``((a|b))`` in a frame writes every combination of its alternatives, in order, the
    agreement forms of one wording choosing alike; more than the cap is refused."""
    text = "{fact}" + "".join(f" (({'|'.join(options)}))" for options in choices)
    count = int(np.prod([len(options) for options in choices]))
    keys = ("ms", "fs", "mp", "fp") if forms else ("",)
    written = {key: text + f" {key}" for key in keys} if forms else text
    if count > MAX_FRAME_WORDINGS:
        with pytest.raises(TemplateError, match="more than"):
            _frame_wordings(written, keys, "comments/frames.yaml", "noun[0]")
        return
    wordings = _frame_wordings(written, keys, "comments/frames.yaml", "noun[0]")
    expected = [" ".join(("{fact}", *picked)) for picked in itertools.product(*choices)]
    assert len(wordings) == count
    for wording, plain in zip(wordings, expected, strict=True):
        assert set(wording) == set(keys)
        for key, form in wording.items():
            assert form == (f"{plain} {key}" if key else plain)


def test_frames_written_several_ways_are_one_family_and_one_group():
    """The installed frames written several ways: each wording is a template family
    member of its frame (a held-out split keeps them together) and joins the group of its
    frame's wordings."""
    frames: dict[str, set[str]] = defaultdict(set)
    for template in itertools.chain.from_iterable(load_templates().values()):
        frame = template.source.partition("+")[2]
        if ":w" not in frame:
            continue
        family = template_families(template.source)[1]
        assert ":" not in family, template.source
        assert f"wordings of {family}" in template.more_groups, template.source
        frames[family].add(frame.removesuffix(":m").removesuffix(":f"))
    assert len(frames) >= 30
    assert all(2 <= len(w) <= MAX_FRAME_WORDINGS for w in frames.values())


@pytest.mark.parametrize(
    ("family", "share"), [("routine", 0.95), ("identifier", 0.75), ("hard_negative", 0.5)]
)
def test_most_long_entries_are_written_several_ways(family, share):
    """A desk writes the same thing in many ways: an entry of over 40 characters written
    one way only, drawn across a dataset, is a sentence dozens of notes share word for word
    (a third of 30,000 notes shared one with another note, 100,000 rows of seed 3131). Most
    of the weight of the long entries is on entries written several ways."""
    by_entry: dict[str, list[Template]] = defaultdict(list)
    for template in load_templates()[family]:
        (entry,) = template_families(template.source)
        by_entry[entry].append(template)
    long = {
        entry: templates
        for entry, templates in by_entry.items()
        if len("".join(p.text for p in templates[0].pieces if p.slot is None)) > 40
    }
    assert long
    weight = {entry: sum(t.weight for t in templates) for entry, templates in long.items()}
    several = sum(weight[entry] for entry, templates in long.items() if len(templates) > 1)
    assert several / sum(weight.values()) >= share
