"""Counts -> a JSON-friendly nested dict of every metric, with bootstrap intervals.

Everything here is a pure function of :class:`Counts`, so a report can be rebuilt from
saved counts with other options (coverage mode, zero-division value, confidence level).
Metrics that do not apply (span metrics when no record got spans) are ``None``, never 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np

from .bootstrap import BUCKETS
from .counts import BREAKDOWN_FIELDS, LEAK_FIELDS, REPLICATE_FIELDS, Counts
from .coverage import COVERAGE_MODES
from .exposure import (
    EXPOSURE_HEADLINES,
    exposure_block,
    exposure_figures,
    hundredths,
    load_severity,
)
from .formulas import mean_ignoring_nan, record_prf, span_prf
from .labels import GROUPS
from .matching import INC, MIS, OUTCOMES, PAR, SCHEMES, SPU

REPORT_SCHEMA = "breachbench.metrics/1"

HEADLINES: tuple[str, ...] = (
    "record_sensitive_precision",
    "record_sensitive_recall",
    "record_sensitive_f1",
    "span_strict_precision",
    "span_strict_recall",
    "span_strict_f1",
    "leak_rate_sensitive",
    "leak_rate_identifier",
    *EXPOSURE_HEADLINES,
)
"""Figures that get a bootstrap confidence interval and can be compared pairwise."""

Coverage = Literal["overlap", "full"]


def _num(value: Any) -> float | None:
    """A JSON-safe float: NaN becomes None."""
    value = float(value)
    return None if math.isnan(value) else value


def _confusion_block(row: np.ndarray, *, zero_division: float) -> dict[str, Any]:
    tp, fp, fn, tn = (int(v) for v in row)
    p, r, f = record_prf(tp, fp, fn, zero_division=zero_division)
    fpr = fp / (fp + tn) if fp + tn else zero_division
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "support": tp + fn,
        "predicted": tp + fp,
        "precision": _num(p),
        "recall": _num(r),
        "f1": _num(f),
        "false_positive_rate": _num(fpr),
    }


def _span_block(row: np.ndarray, *, zero_division: float) -> dict[str, Any]:
    cor, inc, par, mis, spu = (int(v) for v in row)
    possible, actual = cor + inc + par + mis, cor + inc + par + spu
    p, r, f = span_prf(cor, par, actual, possible, zero_division=zero_division)
    out = dict(zip(OUTCOMES, (cor, inc, par, mis, spu), strict=True))
    out.update(possible=possible, actual=actual, precision=_num(p), recall=_num(r), f1=_num(f))
    return out


def _record_categories(
    counts: Counts, *, zero_division: float, macro_over: str
) -> dict[str, Any] | None:
    if counts.records[2] == 0:
        return None
    table = counts.category
    present = (table[:, 0] + table[:, 1] + table[:, 2]) > 0
    chosen = present if macro_over == "present" else np.ones(len(table), dtype=bool)
    p, r, f = record_prf(table[:, 0], table[:, 1], table[:, 2], zero_division=zero_division)
    totals = table.sum(axis=0)
    return {
        "per_category": {
            cat: _confusion_block(table[i], zero_division=zero_division)
            for i, cat in enumerate(counts.space.categories)
        },
        "micro": _confusion_block(totals, zero_division=zero_division),
        "macro": {
            "precision": _num(mean_ignoring_nan(p[chosen])) if chosen.any() else None,
            "recall": _num(mean_ignoring_nan(r[chosen])) if chosen.any() else None,
            "f1": _num(mean_ignoring_nan(f[chosen])) if chosen.any() else None,
            "categories": int(chosen.sum()),
        },
    }


def _span_level(counts: Counts, *, zero_division: float) -> dict[str, Any] | None:
    if counts.records[3] == 0:
        return None
    out: dict[str, Any] = {}
    for s, scheme in enumerate(SCHEMES):
        per_cat = counts.span_category[:, s]
        used = per_cat.sum(axis=1) > 0
        cor, inc, par, mis, spu = per_cat.T
        p, r, f = span_prf(
            cor, par, cor + inc + par + spu, cor + inc + par + mis, zero_division=zero_division
        )
        macro = {
            key: _num(mean_ignoring_nan(values[used])) if used.any() else None
            for key, values in (("precision", p), ("recall", r), ("f1", f))
        }
        blocks = {
            cat: _span_block(per_cat[i], zero_division=zero_division)
            for i, cat in enumerate(counts.space.categories)
        }
        out[scheme] = {
            "micro": _span_block(counts.span_overall[s], zero_division=zero_division),
            "macro": {**macro, "categories": int(used.sum())},
            "per_category": blocks,
        }
    return out


def _leak_block(row: np.ndarray, *, coverage: Coverage) -> dict[str, Any] | None:
    values = dict(zip(LEAK_FIELDS, (int(v) for v in row), strict=True))
    if values["spans"] == 0:
        return None
    records = values["records"]
    return {
        "records": records,
        "leaked": values[f"leaked_{coverage}"],
        "leak_rate": values[f"leaked_{coverage}"] / records,
        "leak_rate_overlap": values["leaked_overlap"] / records,
        "leak_rate_full": values["leaked_full"] / records,
        "spans": values["spans"],
        "spans_exposed": values[f"exposed_{coverage}"],
        "span_exposure_rate": values[f"exposed_{coverage}"] / values["spans"],
    }


def _breakdowns(counts: Counts, *, coverage: Coverage, zero_division: float) -> dict[str, Any]:
    index = {name: i for i, name in enumerate(BREAKDOWN_FIELDS)}
    out: dict[str, Any] = {}
    for dimension, table in counts.breakdowns.items():
        rows: dict[str, Any] = {}
        for value, arr in sorted(table.items()):
            total = arr.sum(axis=0)
            spans = int(total[index["spans"]])
            recall = {}
            for scheme in SCHEMES:
                cor = total[index[f"{scheme}_cor"]]
                par = total[index["partial_par"]] if scheme == "partial" else 0
                recall[scheme] = _num(span_prf(cor, par, 0, spans, zero_division=zero_division)[1])
            leak = {}
            for g, group in enumerate(GROUPS):
                row = np.array([arr[g, index[f]] for f in LEAK_FIELDS])
                leak[group] = _leak_block(row, coverage=coverage)
            rows[value] = {"spans": spans, "recall": recall, "leak": leak}
        out[dimension] = rows
    return out


def headline_replicates(
    counts: Counts,
    *,
    leak_coverage: Coverage = "overlap",
    zero_division: float = 0.0,
    severity: Mapping[str, float] | None = None,
) -> dict[str, np.ndarray]:
    """Per-replicate values of the :data:`HEADLINES` (NaN where a figure is undefined)."""
    out = _headlines(
        counts.replicates.T, counts, leak_coverage=leak_coverage, zero_division=zero_division
    )
    out.update(_exposure(counts, counts.exposure_replicates, severity, zero_division=zero_division))
    return out


def _exposure(
    counts: Counts,
    values: np.ndarray,
    severity: Mapping[str, float] | None,
    *,
    zero_division: float,
) -> dict[str, np.ndarray]:
    """Exposure figures of ``values``; NaN throughout when no record was scored on spans."""
    weights = severity if severity is not None else load_severity(space=counts.space)
    figures = exposure_figures(values, counts.space, severity=weights, zero_division=zero_division)
    if counts.records[3] == 0:
        return {k: np.full(np.shape(v), np.nan) for k, v in figures.items()}
    if values.ndim == 2 and hundredths(weights, counts.space) != counts.severity:
        # Replicates summed other weights: no interval (rescore with these weights for one).
        figures["severity_leak"] = np.full(len(values), np.nan)
    return figures


def _headlines(
    columns: np.ndarray, counts: Counts, *, leak_coverage: Coverage, zero_division: float
) -> dict[str, np.ndarray]:
    col = dict(zip(REPLICATE_FIELDS, columns, strict=True))
    p, r, f = record_prf(
        col["sensitive_tp"], col["sensitive_fp"], col["sensitive_fn"], zero_division=zero_division
    )
    out = {"record_sensitive_precision": p, "record_sensitive_recall": r, "record_sensitive_f1": f}
    zeros = np.zeros_like(col["strict_cor"])
    sp, sr, sf = span_prf(
        col["strict_cor"],
        zeros,
        col["strict_actual"],
        col["strict_possible"],
        zero_division=zero_division,
    )
    span_applies = counts.records[3] > 0
    for name, value in zip(("precision", "recall", "f1"), (sp, sr, sf), strict=True):
        out[f"span_strict_{name}"] = value if span_applies else np.full(np.shape(value), np.nan)
    for group in GROUPS:
        den = np.asarray(col[f"{group}_leak_records"], dtype=np.float64)
        num = np.asarray(col[f"{group}_leaked_{leak_coverage}"], dtype=np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[f"leak_rate_{group}"] = np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
    return out


def _point_headlines(
    counts: Counts,
    *,
    leak_coverage: Coverage,
    zero_division: float,
    severity: Mapping[str, float] | None = None,
) -> dict[str, float | None]:
    s = counts.span_overall[0]
    lk = {g: dict(zip(LEAK_FIELDS, counts.leak[i], strict=True)) for i, g in enumerate(GROUPS)}
    column = np.array(
        [
            counts.sensitive[0],
            counts.sensitive[1],
            counts.sensitive[2],
            s[0],
            s[0] + s[INC] + s[PAR] + s[SPU],
            s[0] + s[INC] + s[PAR] + s[MIS],
            *(lk["sensitive"][k] for k in ("records", "leaked_overlap", "leaked_full")),
            *(lk["identifier"][k] for k in ("records", "leaked_overlap", "leaked_full")),
        ]
    )
    values = _headlines(column, counts, leak_coverage=leak_coverage, zero_division=zero_division)
    values.update(_exposure(counts, counts.exposure, severity, zero_division=zero_division))
    return {name: _num(v) for name, v in values.items()}


def metrics_report(
    counts: Counts,
    *,
    leak_coverage: Coverage = "overlap",
    zero_division: float = 0.0,
    confidence: float = 0.95,
    macro_over: Literal["present", "all"] = "present",
    severity: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """Every metric of ``counts`` as a nested, JSON-serialisable dict.

    Parameters
    ----------
    leak_coverage:
        Which coverage reading the headline leak rates use (both are always reported).
    zero_division:
        Value of a ratio whose denominator is 0 (0.0 like sklearn and nervaluate, 1.0 or nan).
    confidence:
        Level of the percentile bootstrap intervals.
    macro_over:
        Record-level macro averages over the categories seen in gold or predictions
        (``"present"``) or over every taxonomy category (``"all"``). Span macro averages are
        always over the categories seen, as nervaluate's per-entity results are.
    severity:
        Weight per category of the severity-weighted leak (default: the shipped table,
        ``corpora/metrics/severity.yaml``); applied here, so reweighting needs no rescoring.
    """
    if leak_coverage not in COVERAGE_MODES:
        raise ValueError(f"leak_coverage must be one of {COVERAGE_MODES}")
    if not 0 < confidence < 1:
        raise ValueError("confidence must be within (0, 1)")
    if macro_over not in ("present", "all"):
        raise ValueError("macro_over must be 'present' or 'all'")
    kw = {"zero_division": zero_division}
    spans_apply = counts.records[3] > 0
    severity = severity if severity is not None else load_severity(space=counts.space)
    points = _point_headlines(
        counts, leak_coverage=leak_coverage, zero_division=zero_division, severity=severity
    )
    headline: dict[str, Any] = {}
    replicate_values: dict[str, list[float | None]] = {}
    alpha = 1 - confidence
    reps = headline_replicates(
        counts, leak_coverage=leak_coverage, zero_division=zero_division, severity=severity
    )
    for name in HEADLINES:
        values = reps[name]
        finite = values[~np.isnan(values)]
        lo = hi = None
        if len(finite) and points[name] is not None:
            lo, hi = (float(v) for v in np.quantile(finite, [alpha / 2, 1 - alpha / 2]))
        headline[name] = {"value": points[name], "ci_low": lo, "ci_high": hi}
        replicate_values[name] = [_num(v) for v in values]
    return {
        "schema": REPORT_SCHEMA,
        "taxonomy_version": counts.space.version,
        "options": {
            "leak_coverage": leak_coverage,
            "zero_division": _num(zero_division),
            "confidence": confidence,
            "macro_over": macro_over,
            "min_overlap_percentage": counts.min_overlap_percentage,
        },
        "records": {
            "total": int(counts.records[0]),
            "comments": int(counts.records[1]),
            "category_level": int(counts.records[2]),
            "span_level": int(counts.records[3]),
        },
        "headline": headline,
        "record_level": {
            "sensitive": _confusion_block(counts.sensitive, **kw),
            "categories": _record_categories(counts, macro_over=macro_over, **kw),
            "sensitive_by_difficulty_tag": {
                tag: _confusion_block(row, **kw)
                for tag, row in sorted(counts.tag_sensitive.items())
            },
        },
        "span_level": _span_level(counts, **kw),
        "leak": (
            {
                "coverage": leak_coverage,
                **{
                    g: _leak_block(counts.leak[i], coverage=leak_coverage)
                    for i, g in enumerate(GROUPS)
                },
            }
            if spans_apply
            else None
        ),
        "breakdowns": _breakdowns(counts, coverage=leak_coverage, **kw) if spans_apply else None,
        "exposure": (
            exposure_block(counts.exposure, counts.space, severity=severity)
            if spans_apply
            else None
        ),
        "bootstrap": {
            "method": "poisson",
            "buckets": BUCKETS,
            "seed": counts.bootstrap_seed,
            "replicates": counts.bootstrap_replicates,
            "id_digest": f"{counts.id_digest:016x}",
            "replicate_values": replicate_values,
        },
    }
