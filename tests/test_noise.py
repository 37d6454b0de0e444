"""Noise transforms keep labels exact: per transform, and through the whole engine."""

from __future__ import annotations

import numpy as np
import pytest
from breachbench.generator.block import make_block
from breachbench.generator.comments.noise import EDITS, VariantPool, load_noise, variant_pool
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
    table = make_block(GenerateOptions(seed=3, difficulty=difficulty, comment_rate=1.0), 0, 4000)
    tags = [t for row in table.column("difficulty_tags").to_pylist() for t in row]
    noise = {"typo", "sms", "truncated", "no_accents", "upper_case", "doubled_space"}
    shown = noise & set(tags)
    if difficulty == "easy":
        assert not shown
    else:
        assert shown == noise
    exact = make_block(GenerateOptions(seed=3, difficulty=difficulty, comment_rate=1.0), 0, 4000)
    assert exact.equals(table)


def test_hard_negative_rate_is_honoured() -> None:
    def share(rate: float) -> float:
        options = GenerateOptions(seed=5, hard_negative_rate=rate, comment_rate=1.0)
        tags = make_block(options, 0, 3000).column("difficulty_tags").to_pylist()
        return sum("hard_negative" in t for t in tags) / len(tags)

    assert share(0.0) == 0.0
    assert share(0.6) > share(0.15) > 0.0
