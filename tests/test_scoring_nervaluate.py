"""Span metrics cross-checked against nervaluate on random gold/predicted span sets."""

from __future__ import annotations

import pytest
from breachbench.benchmarks.scoring import (
    SCHEMES,
    ScoringConfig,
    metrics_report,
    predictions_from_lists,
    score_batch,
)
from breachbench.benchmarks.scoring.labels import default_space
from hypothesis import given, settings
from hypothesis import strategies as st
from nervaluate import Evaluator
from support.synthetic import batch_from_spans

CATEGORIES = ("serology", "addiction", "person", "phone")
NO_BOOTSTRAP = ScoringConfig(bootstrap_replicates=0)


@st.composite
def gold_spans(draw: st.DrawFn) -> list[tuple[int, int, str]]:
    """Sorted, non-overlapping gold spans, as the dataset contract guarantees."""
    spans, position = [], 0
    for gap, length, cat in draw(
        st.lists(
            st.tuples(st.integers(0, 6), st.integers(1, 8), st.sampled_from(CATEGORIES)), max_size=5
        )
    ):
        start = position + gap
        spans.append((start, start + length, cat))
        position = start + length
    return spans


pred_spans = st.lists(
    st.tuples(st.integers(0, 40), st.integers(1, 10), st.sampled_from(CATEGORIES)).map(
        lambda t: (t[0], t[0] + t[1], t[2])
    ),
    max_size=6,
)
documents = st.lists(st.tuples(gold_spans(), pred_spans), min_size=1, max_size=5)


def _nervaluate(golds: list, preds: list, *, min_overlap: float = 1.0) -> dict:
    """nervaluate's results; its ``end`` is inclusive, ours exclusive: convert here only."""

    def to_dicts(docs: list) -> list:
        return [[{"label": c, "start": s, "end": e - 1} for s, e, c in doc] for doc in docs]

    tags = list(default_space().categories)
    evaluator = Evaluator(
        to_dicts(golds),
        to_dicts(preds),
        tags=tags,
        loader="dict",
        min_overlap_percentage=min_overlap,
    )
    return evaluator.evaluate()


def _row(result) -> list[int]:
    return [result.correct, result.incorrect, result.partial, result.missed, result.spurious]


min_overlaps = st.sampled_from([1.0, 1.0, 30.0, 50.0, 100.0])


@settings(max_examples=50, deadline=None)
@given(documents, min_overlaps)
def test_span_counts_equal_nervaluate(docs: list, min_overlap: float) -> None:
    _assert_counts_equal_nervaluate(docs, min_overlap)


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(documents, min_overlaps)
def test_span_counts_equal_nervaluate_thoroughly(docs: list, min_overlap: float) -> None:
    """The same property on eight times the examples (``pytest -m slow``, run in CI)."""
    _assert_counts_equal_nervaluate(docs, min_overlap)


def _assert_counts_equal_nervaluate(docs: list, min_overlap: float) -> None:
    golds = [g for g, _ in docs]
    preds = [p for _, p in docs]
    config = ScoringConfig(bootstrap_replicates=0, min_overlap_percentage=min_overlap)
    counts = score_batch(batch_from_spans(golds), predictions_from_lists(preds), config=config)
    expected = _nervaluate(golds, preds, min_overlap=min_overlap)
    report = metrics_report(counts)
    space = counts.space
    for s, scheme in enumerate(SCHEMES):
        if scheme in expected["overall"]:
            want = expected["overall"][scheme]
            assert counts.span_overall[s].tolist() == _row(want), scheme
            micro = report["span_level"][scheme]["micro"]
            assert micro["precision"] == pytest.approx(want.precision)
            assert micro["recall"] == pytest.approx(want.recall)
            assert micro["f1"] == pytest.approx(want.f1)
        for c, cat in enumerate(space.categories):
            result = expected["entities"].get(cat, {}).get(scheme)
            got = counts.span_category[c, s].tolist()
            assert got == (_row(result) if result else [0] * 5), (scheme, cat)
            if result:
                block = report["span_level"][scheme]["per_category"][cat]
                assert block["precision"] == pytest.approx(result.precision)
                assert block["recall"] == pytest.approx(result.recall)
                assert block["f1"] == pytest.approx(result.f1)


def test_known_example_all_schemes() -> None:
    """SemEval-style worked example: one exact, one shifted, one mislabelled, one spurious."""
    golds = [[(0, 5, "serology"), (10, 15, "addiction"), (20, 25, "person")]]
    preds = [[(0, 5, "serology"), (11, 15, "addiction"), (20, 25, "phone"), (30, 33, "phone")]]
    counts = score_batch(
        batch_from_spans(golds), predictions_from_lists(preds), config=NO_BOOTSTRAP
    )
    got = dict(zip(SCHEMES, counts.span_overall.tolist(), strict=True))
    assert got == {
        "strict": [1, 2, 0, 0, 1],
        "exact": [2, 1, 0, 0, 1],
        "partial": [2, 0, 1, 0, 1],
        "ent_type": [2, 1, 0, 0, 1],
    }
    assert got == {s: _row(r) for s, r in _nervaluate(golds, preds)["overall"].items()}
