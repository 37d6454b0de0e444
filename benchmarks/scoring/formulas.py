"""The two precision/recall/F1 formulas, each written once, vectorised, zero-guarded.

Record level follows scikit-learn (``precision_recall_fscore_support``): F1 is
``2tp / (2tp + fp + fn)`` and any 0/0 takes ``zero_division``. Span level follows
nervaluate: precision and recall give partial matches half credit, F1 is their harmonic
mean and is 0 when both are 0. ``zero_division`` (default 0.0, as both libraries) may also
be 1.0 or ``nan``; with ``nan`` macro averages skip undefined categories, as sklearn does.
"""

from __future__ import annotations

import numpy as np


def divide(num: np.ndarray | float, den: np.ndarray | float, *, zero_division: float) -> np.ndarray:
    """``num / den`` elementwise, ``zero_division`` where ``den == 0``."""
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), zero_division)


def record_prf(
    tp: np.ndarray, fp: np.ndarray, fn: np.ndarray, *, zero_division: float = 0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn's binary precision, recall and F1 from counts.

    >>> [float(x) for x in record_prf(3, 1, 2)]
    [0.75, 0.6, 0.6666666666666666]
    """
    precision = divide(tp, np.add(tp, fp), zero_division=zero_division)
    recall = divide(tp, np.add(tp, fn), zero_division=zero_division)
    f1 = divide(
        2 * np.asarray(tp), 2 * np.asarray(tp) + np.add(fp, fn), zero_division=zero_division
    )
    return precision, recall, f1


def span_prf(
    cor: np.ndarray,
    par: np.ndarray,
    actual: np.ndarray,
    possible: np.ndarray,
    *,
    zero_division: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """nervaluate's precision, recall and F1 (partial matches count half).

    >>> [float(x) for x in span_prf(2, 2, 5, 4)]
    [0.6, 0.75, 0.6666666666666665]
    """
    credit = np.asarray(cor, dtype=np.float64) + 0.5 * np.asarray(par, dtype=np.float64)
    precision = divide(credit, actual, zero_division=zero_division)
    recall = divide(credit, possible, zero_division=zero_division)
    total = precision + recall
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(total > 0, 2 * precision * recall / np.where(total > 0, total, 1.0), 0.0)
    f1 = np.where(np.isnan(total), np.nan, f1)
    return precision, recall, f1


def mean_ignoring_nan(values: np.ndarray) -> float:
    """Mean that skips NaN (sklearn's macro average with ``zero_division=nan``)."""
    values = np.asarray(values, dtype=np.float64)
    kept = values[~np.isnan(values)]
    return float(kept.mean()) if len(kept) else float("nan")
