"""Paired bootstrap comparison of two runs on the same dataset.

Because bootstrap weights depend only on (seed, patient_id), replicate b of run A and
replicate b of run B resample the same records; the per-replicate difference of a metric
is therefore a draw from the bootstrap distribution of the difference, and the noise that
both runs share (which records are hard) cancels. This is far more sensitive than
comparing two separate intervals.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .counts import Counts
from .report import HEADLINES, headline_replicates, metrics_report


def _replicates_of(
    run: Counts | dict[str, Any], metric: str, **options: Any
) -> tuple[float | None, np.ndarray, tuple]:
    """(point value, replicate values, identity) of a Counts or a metrics_report dict."""
    if isinstance(run, Counts):
        report = metrics_report(run, **options)
        values = headline_replicates(run, **options)[metric]
        boot = report["bootstrap"]
        return (
            report["headline"][metric]["value"],
            values,
            (boot["seed"], boot["replicates"], boot["id_digest"], boot["buckets"]),
        )
    boot = run["bootstrap"]
    values = np.array(
        [np.nan if v is None else v for v in boot["replicate_values"][metric]], dtype=np.float64
    )
    return (
        run["headline"][metric]["value"],
        values,
        # Reports written before the bootstrap had buckets resampled records one by one.
        (boot["seed"], boot["replicates"], boot["id_digest"], boot.get("buckets")),
    )


def paired_difference(
    a: Counts | dict[str, Any],
    b: Counts | dict[str, Any],
    *,
    metric: str = "record_sensitive_f1",
    confidence: float = 0.95,
    leak_coverage: str = "overlap",
    zero_division: float = 0.0,
) -> dict[str, Any]:
    """Difference ``a - b`` of a headline metric, its paired percentile interval and p-value.

    ``a`` and ``b`` are :class:`Counts` or :func:`metrics_report` dicts of runs on the same
    records with the same bootstrap seed and replicate count (checked through the id digest).
    The two-sided p-value is ``min(1, 2 * min(P(d <= 0), P(d >= 0)))`` over the replicate
    differences d: the share of resamples in which the sign of the difference flips.
    ``leak_coverage`` and ``zero_division`` apply to Counts inputs only.

    Returns ``{"metric", "diff", "ci_low", "ci_high", "p_value", "replicates"}``; values are
    ``None`` when the metric is undefined for either run.
    """
    if metric not in HEADLINES:
        raise ValueError(f"metric must be one of {', '.join(HEADLINES)}")
    options = {"leak_coverage": leak_coverage, "zero_division": zero_division}
    point_a, rep_a, id_a = _replicates_of(a, metric, **options)
    point_b, rep_b, id_b = _replicates_of(b, metric, **options)
    if id_a != id_b:
        raise ValueError(
            "runs are not paired: bootstrap seed, replicate count, buckets or record set differ "
            f"({id_a} vs {id_b})"
        )
    d = rep_a - rep_b
    d = d[~np.isnan(d)]
    result: dict[str, Any] = {
        "metric": metric,
        "diff": None,
        "ci_low": None,
        "ci_high": None,
        "p_value": None,
        "replicates": len(d),
    }
    if point_a is None or point_b is None:
        return result
    result["diff"] = point_a - point_b
    if len(d):
        alpha = 1 - confidence
        lo, hi = np.quantile(d, [alpha / 2, 1 - alpha / 2])
        p = min(1.0, 2 * min(float(np.mean(d <= 0)), float(np.mean(d >= 0))))
        result.update(ci_low=float(lo), ci_high=float(hi), p_value=p)
    return result
