"""Noise transforms keep labels exact: per transform, and through the whole engine."""

from __future__ import annotations

import functools
import re

import numpy as np
import pytest
from breachbench.generator.block import make_block
from breachbench.generator.comments.noise import (
    EDIT_TAGS,
    EDITS,
    VariantPool,
    load_noise,
    variant_pool,
)
from breachbench.generator.data import corpora
from breachbench.generator.options import DIFFICULTIES, GenerateOptions
from hypothesis import given, settings
from hypothesis import strategies as st

MODEL = load_noise()
# Text a labelled piece can hold: non-empty, no leading or trailing space.
LETTERS = st.text(
    alphabet=st.sampled_from(list("abcdeéèêàçôùïœ ABCÉ'-+0123456789/")), min_size=1, max_size=40
)
LABELLED = LETTERS.map(str.strip).filter(bool)


@given(LABELLED, st.integers(0, 2**32 - 1), st.sampled_from(EDITS))
def test_each_edit_keeps_a_labelled_piece_valid(text: str, seed: int, edit: str) -> None:
    out = MODEL.edit(edit)(text, np.random.default_rng(seed))
    for variant in (out, MODEL.strip_accents(out), MODEL.upper(out)):
        assert variant
        assert variant == variant.strip()


@given(LETTERS, st.integers(0, 2**32 - 1), st.sampled_from(EDITS))
def test_edits_never_touch_the_ends_of_an_unlabelled_piece(text: str, seed: int, edit: str):
    out = MODEL.edit(edit)(text, np.random.default_rng(seed))
    assert out.startswith(" ") == text.startswith(" ")
    assert out.endswith(" ") == text.endswith(" ")


def test_variant_pool_layout_and_change_flags() -> None:
    literals = ["dépression", "rendez-vous pour", "VIH"]
    pool = variant_pool(MODEL, literals)
    assert len(pool.texts) == len(EDITS) * 4 * len(literals)
    for i, text in enumerate(literals):
        assert pool.texts[i] == text  # variant 0 is the literal itself
        assert not pool.changed[0, i].any()
    upper = VariantPool.variant(np.array([0]), np.array([0]), np.array([1]))[0]
    assert pool.texts[upper * 3] == "DÉPRESSION"
    strip = VariantPool.variant(np.array([0]), np.array([1]), np.array([0]))[0]
    assert pool.texts[strip * 3] == "depression" and pool.changed[strip, 0, 1]
    sms = VariantPool.variant(np.array([EDITS.index("sms")]), np.array([0]), np.array([0]))[0]
    assert pool.texts[sms * 3 + 1] == "rdv pr"


def _check_block(table) -> None:
    tags_known = set(MODEL.difficulty_tags)
    for row in table.to_pylist():
        text, spans = row["admin_comment"], row["spans"]
        if text is None:
            assert spans == [] and row["difficulty_tags"] == []
            continue
        previous_end = 0
        for span in spans:
            piece = text[span["start"] : span["end"]]
            assert piece and piece == piece.strip(), (text, span)
            assert span["start"] >= previous_end
            previous_end = span["end"]
        assert row["categories"] == sorted({s["category"] for s in spans})
        assert set(row["difficulty_tags"]) <= tags_known


@settings(max_examples=12, deadline=None)
@given(st.integers(0, 2**31), st.sampled_from(DIFFICULTIES), st.floats(0, 1))
def test_any_seed_and_level_keeps_spans_exact(seed: int, difficulty: str, hn: float) -> None:
    options = GenerateOptions(
        seed=seed, difficulty=difficulty, hard_negative_rate=hn, comment_rate=0.9
    )
    _check_block(make_block(options, 0, 400))


@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_noise_tags_follow_the_level(difficulty: str) -> None:
    """The noise a level's rates allow shows, and nothing else does."""
    table = make_block(GenerateOptions(seed=3, difficulty=difficulty, comment_rate=1.0), 0, 4000)
    tags = [t for row in table.column("difficulty_tags").to_pylist() for t in row]
    level = MODEL.levels[difficulty]
    slips = level.pieces if level.noisy_row > 0 else {}
    expected = {EDIT_TAGS.get(e, e) for e, rate in slips.items() if rate > 0}
    expected |= {"sms"} if level.sms_row > 0 else set()
    expected |= {"upper_case"} if level.upper_row > 0 else set()
    expected |= {"no_accents"} if level.no_accents_row > 0 else set()
    noise = {"typo", "sms", "truncated", "no_accents", "upper_case", "doubled_space"}
    assert noise & set(tags) == expected
    exact = make_block(GenerateOptions(seed=3, difficulty=difficulty, comment_rate=1.0), 0, 4000)
    assert exact.equals(table)


def _capital_runs(value: object) -> list[str]:
    """The fixed runs in capitals of every string in a corpus file, read between its
    ``{slots}``: runs of three words or more, one of six letters (not an acronym, nor
    a lone "ATTENTION" that a note in capitals could hold)."""
    if isinstance(value, dict):
        return [run for item in value.values() for run in _capital_runs(item)]
    if isinstance(value, list):
        return [run for item in value for run in _capital_runs(item)]
    if not isinstance(value, str):
        return []
    pieces = (piece.strip(" :-,.") for piece in re.split(r"\{[^}]*\}", value))
    return [
        p for p in pieces if p.isupper() and len(p.split()) >= 3 and re.search(r"[A-ZÉÈ]{6}", p)
    ]


#: Warnings the corpora write in capitals, as a secretary types them.
_WRITTEN_IN_CAPITALS = tuple(
    run
    for path in sorted(corpora.path("comments").rglob("*.yaml"))
    for run in _capital_runs(corpora.read_yaml(str(path.relative_to(corpora.path("")))))
)


def test_a_sloppy_note_slips_once() -> None:
    """People slip locally (shared/REALISM.md, tell 3): one typo per note at most, and no
    note in capitals or stripped of every accent at the default level."""
    options = GenerateOptions(seed=4, comment_rate=1.0)
    texts = make_block(options, 0, 3000).column("admin_comment").to_pylist()
    # A note of acronyms only ("ATCD : TROD VIH") is in capitals as written, and so is a
    # warning the corpora type in capitals ("NE PAS DONNER LES RÉSULTATS AU TÉLÉPHONE"):
    # a note the noise put in capitals has longer words, outside those warnings.
    words = [[w for w in t.split() if len(w) >= 3 and w.isalpha()] for t in texts]
    long_word = [any(len(x) >= 6 for x in w) for w in words]
    shouted = [
        t
        for t, w, long in zip(texts, words, long_word, strict=True)
        if t.isupper() and len(w) >= 3 and long
    ]
    assert not [t for t in shouted if not any(run in t for run in _WRITTEN_IN_CAPITALS)]
    assert not any("  " in t for t in texts)
    accented = sum(any(c in "éèàêç" for c in t) for t in texts if len(t) > 60)
    assert accented > 0.5 * sum(len(t) > 60 for t in texts)


def test_hard_negative_rate_is_honoured() -> None:
    """A rate of 0 leaves no trap anywhere, a step after its lead included ("TPE en
    panne" after a payment): the whole block is read, as it costs no more to make."""

    def share(rate: float) -> float:
        options = GenerateOptions(seed=5, hard_negative_rate=rate, comment_rate=1.0)
        tags = make_block(options, 0, 65_536).column("difficulty_tags").to_pylist()
        return sum("hard_negative" in t for t in tags) / len(tags)

    assert share(0.0) == 0.0
    assert share(0.6) > share(0.15) > 0.0


# ------------------------------------------------------------------ evidence survives noise


@functools.cache
def _labelled_surfaces() -> list[str]:
    """Every distinct sensitive span surface the lexicons can write (read on first use,
    not at import: every test process collects this module, and loading the templates
    takes seconds)."""
    from breachbench.generator.comments.templates import load_templates

    surfaces = {
        piece.text
        for key, templates in load_templates().items()
        if key not in ("routine", "identifier", "hard_negative")
        for template in templates
        for piece in template.pieces
        if piece.category is not None and piece.slot is None
    }
    return sorted(surfaces)


_TOKEN = re.compile(r"[^\W\d_]+\.?|\S")
_ACRONYM = re.compile(r"\b\w*[A-Z]\w*[A-Z0-9]\w*\b")


def _one_slip(a: str, b: str) -> bool:
    """``b`` is ``a`` with one letter swapped, replaced, dropped or doubled."""
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        swap = len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
        return len(diff) == 1 or (swap and a[diff[1]] == b[diff[0]])
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return len(long) - len(short) == 1 and any(
        long[:i] + long[i + 1 :] == short for i in range(len(long))
    )


def recognisable(clean: str, noisy: str) -> bool:
    """What a French reader still reads as the same fact: the same words up to spaces, or
    the secretary's shorthand, or one word cut as notes cut it, or one slip in one long
    lower-case word that is not a protected drug name, or one accent left out."""
    clean, noisy = " ".join(clean.split()), " ".join(noisy.split())
    if noisy in (clean, MODEL.sms_style(clean)):
        return True
    a, b = _TOKEN.findall(clean), _TOKEN.findall(noisy)
    if len(a) != len(b):
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    if len(diff) != 1:
        return False
    word, written = a[diff[0]].rstrip("."), b[diff[0]]
    if MODEL.abbreviations.get(word.lower(), "").lower() == written.lower().rstrip("."):
        return True
    same_letters = MODEL.strip_accents(word) == MODEL.strip_accents(written)
    if word.islower() and _one_slip(word, written) and same_letters:
        return True  # one accent left out: "delai" still reads "délai"
    long_lower = len(word) >= MODEL.typo_min_letters and word.islower()
    slip = _one_slip(word, written.rstrip(".")) and written.endswith(".") == a[diff[0]].endswith(
        "."
    )
    return long_lower and word not in MODEL.typo_protected and slip


@settings(max_examples=400, deadline=None)
@given(
    st.deferred(lambda: st.sampled_from(_labelled_surfaces())),
    st.integers(0, 2**32 - 1),
    st.sampled_from(EDITS),
)
def test_noise_keeps_every_labelled_surface_recognisable(surface, seed, edit):
    """Guidelines, issue 9 item 6: a labelled span stays evidence whatever the noise.

    Acronyms come out untouched, pieces of at most four characters are never rewritten,
    and any other change is shorthand, a notes-style cut or one slip in a long word.
    """
    noisy = MODEL.edit(edit)(surface, np.random.default_rng(seed))
    assert recognisable(surface, noisy), (edit, surface, noisy)
    kept = set(_ACRONYM.findall(noisy))
    shorthand = set(_ACRONYM.findall(MODEL.sms_style(surface)))
    assert set(_ACRONYM.findall(surface)) <= kept | (set(_ACRONYM.findall(surface)) - shorthand)
    if len(surface) <= 4 and edit != "doubled_space":
        assert noisy == surface


def test_recognisable_rejects_what_the_issue_calls_unreadable() -> None:
    for clean, noisy in [
        ("Depakote", "Depako."),
        ("militant", "milit"),
        ("GIFLES", "GIFLFS"),
        ("TDAH", "TDZH"),
        ("Subutex", "Subut"),
        ("coke", "ckoe"),
    ]:
        assert not recognisable(clean, noisy), (clean, noisy)
    assert recognisable("hospitalisation en psychiatrie", "hospit. en psychiatrie")
    assert recognisable("idées suicidaires", "idées suicidiares")
    assert recognisable("rendez-vous pour TS", "rdv pr TS")


def test_truncation_cuts_only_where_notes_abbreviate() -> None:
    rng = np.random.default_rng(0)
    assert MODEL.truncate("Depakote", rng) == "Depakote"
    assert MODEL.truncate("militant CGT", rng) == "militant CGT"
    cuts = {MODEL.truncate("Hospitalisation", np.random.default_rng(s)) for s in range(20)}
    assert cuts == {"Hospit", "Hospit."}


def test_hard_is_harder_to_read_not_only_noisier() -> None:
    """Issue 9 item 7: `hard` favours the long notes (timelines, doubt across clauses, a
    relative's and the patient's facts together), so its sensitive notes are longer and
    hold more facts; `easy` never draws them."""

    def profile(difficulty: str) -> tuple[float, float, float]:
        options = GenerateOptions(seed=4, difficulty=difficulty, comment_rate=1.0)
        table = make_block(options, 0, 6000)
        rows = [
            (text, spans, tags)
            for text, spans, tags, sensitive in zip(
                table.column("admin_comment").to_pylist(),
                table.column("spans").to_pylist(),
                table.column("difficulty_tags").to_pylist(),
                table.column("sensitive").to_pylist(),
                strict=True,
            )
            if sensitive
        ]
        words = np.mean([len(text.split()) for text, _, _ in rows])
        identifiers = {"person", "phone", "email", "address", "date", "nir"}
        facts = np.mean(
            [sum(s["category"] not in identifiers for s in spans) for _, spans, _ in rows]
        )
        long_notes = np.mean(["long_note" in tags for _, _, tags in rows])
        return float(words), float(facts), float(long_notes)

    easy, realistic, hard = (profile(d) for d in ("easy", "realistic", "hard"))
    assert easy[2] == 0.0 and 0.0 < realistic[2] < 0.05 < hard[2]
    assert hard[0] > 1.15 * realistic[0] and hard[1] > 1.1 * realistic[1]


@functools.cache
def _literals() -> list[str]:
    """Every literal piece of the templates (read on first use, as the surfaces above)."""
    from breachbench.generator.comments.templates import load_templates

    return sorted(
        {p.text for ts in load_templates().values() for t in ts for p in t.pieces if not p.slot}
    )


def test_a_slip_never_reads_as_another_word_or_a_cut_one() -> None:
    """'sympathies' never becomes 'sympathis' (read as 'sympathis(ant)' cut short), nor
    'violent' 'violet': a word a typo writes is in no note, whole or begun. Every literal,
    a few draws each (without ``avoid``, about one slip in 600 did)."""
    literals = _literals()
    readings = MODEL.readings(literals)
    wrong = []
    for k, text in enumerate(literals * 3):
        written = MODEL.typo(text, np.random.default_rng(k), readings)
        before = {MODEL.plain(w) for w in re.findall(r"[^\W\d_]+", text)}
        new = {MODEL.plain(w) for w in re.findall(r"[^\W\d_]+", written)} - before
        if new & readings:
            wrong.append((text, written))
    assert not wrong, wrong[:5]


def test_a_slip_never_writes_an_ordinary_word_of_typo_real_words():
    """ "patiente" with a slip may read "patinete" or "patientte", never "patente": a
    reader takes a real word for what it says (``typo_real_words``); without the list,
    the same draws do write it."""
    import dataclasses

    model = load_noise()
    assert "patente" in model.real_words
    text = "la patiente rappellera"
    bare = dataclasses.replace(model, real_words=frozenset())

    def slips(noise) -> set[str]:
        avoid = noise.readings([text])
        rng = np.random.default_rng(0)
        return {noise.typo(text, rng, avoid).split()[1] for _ in range(3000)}

    assert "patente" in slips(bare)
    written = slips(model)
    assert "patente" not in written and len(written) > 10


def test_a_held_patients_unit_keeps_its_name():
    """ "incarcéré, consultations à l'unité snitaire" read as a visit here (check's
    held_at_large, 1 in 100,000 realistic rows of seed 7): the word that says where a held
    patient is seen takes no slip; without the listing, the same draws slip it."""
    import dataclasses

    model = load_noise()
    text = "l'unité sanitaire"
    bare = dataclasses.replace(model, typo_protected=model.typo_protected - {"sanitaire"})

    def slips(noise) -> set[str]:
        avoid = noise.readings([text])
        rng = np.random.default_rng(0)
        return {noise.typo(text, rng, avoid) for _ in range(500)}

    assert len(slips(bare)) > 5
    assert slips(model) == {text}
