"""Record-level metrics cross-checked against scikit-learn."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from breachbench.benchmarks.scoring import (
    ScoringConfig,
    metrics_report,
    predictions_from_lists,
    score_batch,
)
from breachbench.benchmarks.scoring.labels import default_space
from hypothesis import given, settings
from hypothesis import strategies as st
from support.synthetic import batch_from_spans

SPACE = default_space()
CATEGORIES = ("serology", "mental_health", "religion", "person", "phone", "nir")
category_sets = st.sets(st.sampled_from(CATEGORIES), max_size=4)
records = st.lists(st.tuples(category_sets, category_sets), min_size=1, max_size=30)


def _gold_batch(gold_sets: list[set[str]]):
    """One 2-character span per gold category, laid end to end."""
    return batch_from_spans(
        [[(2 * i, 2 * i + 2, c) for i, c in enumerate(sorted(s))] for s in gold_sets]
    )


def _indicator(sets: list[set[str]]) -> np.ndarray:
    return np.array([[c in s for c in SPACE.categories] for s in sets], dtype=int)


zero_divisions = st.sampled_from([0.0, 1.0])


@settings(max_examples=30, deadline=None)
@given(records, zero_divisions)
def test_record_metrics_equal_sklearn(data: list, zero_division: float) -> None:
    _assert_record_metrics_equal_sklearn(data, zero_division)


@pytest.mark.slow
@settings(max_examples=240, deadline=None)
@given(records, zero_divisions)
def test_record_metrics_equal_sklearn_thoroughly(data: list, zero_division: float) -> None:
    """The same property on eight times the examples (``pytest -m slow``, run in CI)."""
    _assert_record_metrics_equal_sklearn(data, zero_division)


def _assert_record_metrics_equal_sklearn(data: list, zero_division: float) -> None:
    # Imported here, not at the top: every test process collects this module, and
    # scikit-learn takes most of a second to import.
    from sklearn.metrics import precision_recall_fscore_support

    gold_sets = [g for g, _ in data]
    pred_sets = [p for _, p in data]
    counts = score_batch(
        _gold_batch(gold_sets),
        predictions_from_lists([set(p) for p in pred_sets]),
        config=ScoringConfig(bootstrap_replicates=0),
    )
    report = metrics_report(counts, zero_division=zero_division)
    sensitive = set(np.asarray(SPACE.categories)[SPACE.sensitive_mask])
    y_true = [bool(g & sensitive) for g in gold_sets]
    y_pred = [bool(p & sensitive) for p in pred_sets]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = precision_recall_fscore_support(
            y_true, y_pred, average="binary", zero_division=zero_division
        )
        block = report["record_level"]["sensitive"]
        assert (block["precision"], block["recall"], block["f1"]) == pytest.approx(expected[:3])

        yt, yp = _indicator(gold_sets), _indicator(pred_sets)
        per = precision_recall_fscore_support(yt, yp, average=None, zero_division=zero_division)
        cats = report["record_level"]["categories"]
        for i, cat in enumerate(SPACE.categories):
            got = cats["per_category"][cat]
            assert (got["precision"], got["recall"], got["f1"], got["support"]) == pytest.approx(
                [per[0][i], per[1][i], per[2][i], per[3][i]]
            )
        micro = precision_recall_fscore_support(
            yt, yp, average="micro", zero_division=zero_division
        )
        got = cats["micro"]
        assert (got["precision"], got["recall"], got["f1"]) == pytest.approx(micro[:3])
        present = [i for i in range(SPACE.size) if yt[:, i].any() or yp[:, i].any()]
        if present:
            macro = precision_recall_fscore_support(
                yt, yp, average="macro", labels=present, zero_division=zero_division
            )
            got = cats["macro"]
            assert (got["precision"], got["recall"], got["f1"]) == pytest.approx(macro[:3])
            all_report = metrics_report(counts, zero_division=zero_division, macro_over="all")
            macro_all = precision_recall_fscore_support(
                yt, yp, average="macro", zero_division=zero_division
            )
            got = all_report["record_level"]["categories"]["macro"]
            assert (got["precision"], got["recall"], got["f1"]) == pytest.approx(macro_all[:3])
