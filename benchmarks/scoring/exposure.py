"""Exposure: what a breach of the redacted comments would still reveal, as mergeable counts.

F1 is not what a breach costs. A note still leaks when one mention of a name survives, or
when the patient's HIV status sits next to their phone number. These counts read the
detector's spans as a redaction: every character inside any predicted span is masked,
whatever the span's label (a redactor hides the text, not the label), and a gold span is
*protected* only when every one of its characters is masked (the Text Anonymization
Benchmark's rule: an entity is protected only when all its mentions are).

Every figure is a ratio of integer sums over records, so one vector per record is summed
per batch (:data:`EXPOSURE_FIELDS` then, per category, gold spans and leaked spans); batches
merge with ``+`` and the Poisson bootstrap sums the same vectors weighted per replicate,
which gives the intervals for free. The per-category columns let the severity weights
(``corpora/metrics/severity.yaml`` or ``--severity FILE``) be applied when the report is
made, so a new weight table needs no rescoring.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from .labels import GROUPS, CategorySpace
from .matching import COR, SpanArrays

REPLICATED_FIELDS: tuple[str, ...] = (
    "identifier_records",
    "identifier_protected",
    "sensitive_records",
    "sensitive_protected",
    "linked_records",
    "linked_disclosed",
    "sensitive_strict_cor",
    "sensitive_actual",
    "sensitive_possible",
    "identifier_strict_cor",
    "identifier_actual",
    "identifier_possible",
    "gold_chars",
    "gold_chars_exposed",
    "unlabelled_chars",
    "unlabelled_masked",
    "severity_spans",
    "severity_leaked",
)
"""Per-record columns summed per bootstrap replicate: what the headline figures need.
``severity_*`` are the gold spans and the readable ones weighted by the scoring-time
severity weights, in hundredths."""

EXPOSURE_FIELDS: tuple[str, ...] = (
    *REPLICATED_FIELDS,
    "sensitive_chars",
    "sensitive_chars_exposed",
    "identifier_chars",
    "identifier_chars_exposed",
)
"""Per-record columns of the totals; then ``spans`` (C) and ``leaked`` (C) per category."""

LINKING_IDENTIFIERS: tuple[str, ...] = ("person", "phone", "email", "address", "nir")
"""Identifier categories that point at one person. A bare date does not: "le 12/03" next
to a diagnosis is not, on its own, a disclosure about someone, so dates do not count for
linked disclosure (they still count for protection and character leaks)."""

EXPOSURE_HEADLINES: tuple[str, ...] = (
    "span_sensitive_precision",
    "span_sensitive_recall",
    "span_sensitive_f1",
    "span_identifier_precision",
    "span_identifier_recall",
    "span_identifier_f1",
    "protection_identifier",
    "protection_sensitive",
    "linked_disclosure",
    "char_leak_rate",
    "severity_leak",
    "over_redaction",
)
"""Headline figures computed from the exposure counts, in report order."""


def width(n_categories: int) -> int:
    """Length of one exposure vector for a space of ``n_categories``."""
    return len(EXPOSURE_FIELDS) + 2 * n_categories


def layout(space: CategorySpace) -> list[str]:
    """Column names of an exposure vector: the fixed fields, then per-category columns."""
    return [
        *EXPOSURE_FIELDS,
        *(f"spans:{c}" for c in space.categories),
        *(f"leaked:{c}" for c in space.categories),
    ]


def masked_length(spans: SpanArrays, *, n_records: int) -> np.ndarray:
    """Code points per record inside the union of its spans (overlaps counted once)."""
    out = np.zeros(n_records, dtype=np.int64)
    if len(spans) == 0:
        return out
    order = np.lexsort((spans.start, spans.record))
    rec = spans.record[order].astype(np.int64)
    start = spans.start[order].astype(np.int64)
    end = spans.end[order].astype(np.int64)
    # Within a record, a span starts a new merged run when it begins after every earlier end.
    big = int(end.max()) + 1
    key_end = rec * big + end
    reach = np.maximum.accumulate(key_end)
    new = np.ones(len(rec), dtype=bool)
    new[1:] = (rec[1:] != rec[:-1]) | (rec[1:] * big + start[1:] > reach[:-1])
    heads = np.flatnonzero(new)
    run_start = start[heads]
    run_end = np.maximum.reduceat(end, heads)
    np.add.at(out, rec[heads], run_end - run_start)
    return out


def exposure_rows(
    *,
    gold: SpanArrays,
    subject: np.ndarray,
    patient_code: int,
    strict_status: np.ndarray,
    pred: SpanArrays,
    covered: np.ndarray,
    lengths: np.ndarray,
    rows: np.ndarray,
    space: CategorySpace,
    severity: np.ndarray,
) -> np.ndarray:
    """Per-record exposure vectors (len(rows) x :func:`width`), int64.

    ``gold``/``pred`` are the span-level gold and predicted spans of the batch, ``covered``
    the code points of each gold span inside the union of *all* predicted spans,
    ``strict_status`` each gold span's strict outcome, ``lengths`` each record's comment
    length and ``rows`` the records counted (span-level records with a comment).
    """
    c = space.size
    m = len(rows)
    # Work on the counted records only (a third of a batch or less), renumbered 0..m-1.
    slot_of = np.full(len(lengths), -1, dtype=np.int64)
    slot_of[rows] = np.arange(m)
    g_rec = slot_of[gold.record]
    p_rec = slot_of[pred.record]
    g_keep = g_rec >= 0  # a gold span cannot point into an empty comment; drop if it does
    gold = SpanArrays(g_rec[g_keep], gold.start[g_keep], gold.end[g_keep], gold.category[g_keep])
    subject, strict_status, covered = subject[g_keep], strict_status[g_keep], covered[g_keep]
    p_keep = p_rec >= 0
    pred = SpanArrays(p_rec[p_keep], pred.start[p_keep], pred.end[p_keep], pred.category[p_keep])
    group_of = space.group_of
    f = {name: i for i, name in enumerate(EXPOSURE_FIELDS)}
    per = np.zeros((m, width(c)), dtype=np.int64)
    length = (gold.end - gold.start).astype(np.int64)
    exposed_chars = length - covered
    survives = covered < length
    g = group_of[gold.category].astype(np.int64)
    linking = np.isin(
        np.asarray(space.categories, dtype=object)[gold.category], LINKING_IDENTIFIERS
    )
    patient = subject == patient_code

    def per_record(mask: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        w = None if weights is None else weights[mask]
        return np.bincount(gold.record[mask], weights=w, minlength=m).astype(np.int64)

    for gi, group in enumerate(GROUPS):
        mine = g == gi
        has = per_record(mine) > 0
        leaked = per_record(mine & survives) > 0
        per[:, f[f"{group}_records"]] = has
        per[:, f[f"{group}_protected"]] = has & ~leaked
        per[:, f[f"{group}_chars"]] = per_record(mine, length)
        per[:, f[f"{group}_chars_exposed"]] = per_record(mine, exposed_chars)
        per[:, f[f"{group}_strict_cor"]] = per_record(mine & (strict_status == COR))
        per[:, f[f"{group}_possible"]] = per_record(mine)
        p_mine = group_of[pred.category] == gi
        per[:, f[f"{group}_actual"]] = np.bincount(pred.record[p_mine], minlength=m)
    sens, ident = g == GROUPS.index("sensitive"), g == GROUPS.index("identifier")
    pid = ident & linking & patient
    psens = sens & patient
    per[:, f["linked_records"]] = (per_record(pid) > 0) & (per_record(psens) > 0)
    per[:, f["linked_disclosed"]] = (per_record(pid & survives) > 0) & (
        per_record(psens & survives) > 0
    )
    every = np.ones(len(gold), dtype=bool)
    per[:, f["gold_chars"]] = per_record(every, length)
    per[:, f["gold_chars_exposed"]] = per_record(every, exposed_chars)
    masked = masked_length(pred, n_records=m)
    gold_masked = per[:, f["gold_chars"]] - per[:, f["gold_chars_exposed"]]
    per[:, f["unlabelled_chars"]] = np.maximum(lengths[rows] - per[:, f["gold_chars"]], 0)
    per[:, f["unlabelled_masked"]] = np.maximum(masked - gold_masked, 0)
    weight = severity[gold.category].astype(np.int64)
    per[:, f["severity_spans"]] = per_record(every, weight)
    per[:, f["severity_leaked"]] = per_record(survives, weight)
    base = len(EXPOSURE_FIELDS)
    slot = gold.record.astype(np.int64) * c + gold.category
    per[:, base : base + c] = np.bincount(slot, minlength=m * c).reshape(m, c)
    per[:, base + c :] = np.bincount(slot[survives], minlength=m * c).reshape(m, c)
    return per


# ---------------------------------------------------------------------------------------
# Severity weights and the figures


class SeverityError(ValueError):
    """A severity weight file is unreadable or does not cover the taxonomy; one line."""


@cache
def _default_weights() -> dict[str, float]:
    import yaml

    text = (resources.files("breachbench.corpora") / "metrics" / "severity.yaml").read_text(
        encoding="utf-8"
    )
    return {str(k): float(v) for k, v in yaml.safe_load(text)["weights"].items()}


def default_hundredths(space: CategorySpace) -> tuple[int, ...]:
    """The shipped weights of ``space``'s categories, in hundredths (1.0 if not listed)."""
    return hundredths(load_severity(space=space), space)


def load_severity(path: str | Path | None = None, *, space: CategorySpace) -> dict[str, float]:
    """Weights per category from ``path`` (default: the shipped table).

    A file may give only some categories: the others keep their default weight, so a
    teacher can raise ``religion`` without copying the whole table.
    """
    import yaml

    defaults = _default_weights()
    weights = {cat: defaults.get(cat, 1.0) for cat in space.categories}
    if path is None:
        return weights
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise SeverityError(f"cannot read {path}: {error.strerror or error}") from None
    except yaml.YAMLError as error:
        raise SeverityError(f"{path} is not valid YAML: {' '.join(str(error).split())}") from None
    table = data.get("weights", data) if isinstance(data, dict) else None
    if not isinstance(table, dict):
        raise SeverityError(f"{path}: expected a mapping 'category: weight' (or under 'weights')")
    for cat, value in table.items():
        if cat not in weights:
            raise SeverityError(f"{path}: unknown category {cat!r} (not in the taxonomy)")
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise SeverityError(f"{path}: weight of {cat!r} must be a number >= 0, got {value!r}")
        weights[cat] = float(value)
    return weights


def hundredths(weights: Mapping[str, float], space: CategorySpace) -> tuple[int, ...]:
    """Weights per category id in hundredths: the integers scoring sums (mergeable)."""
    return tuple(round(100 * weights[cat]) for cat in space.categories)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def exposure_figures(
    values: np.ndarray,
    space: CategorySpace,
    *,
    severity: Mapping[str, float],
    zero_division: float = 0.0,
) -> dict[str, np.ndarray]:
    """The :data:`EXPOSURE_HEADLINES` of exposure sums (one vector, or one row per replicate).

    Totals carry per-category counts, so their severity leak uses ``severity``, whatever
    it is; replicate rows carry only the scoring-time weighted sums (the caller checks
    that ``severity`` is those weights, else the interval does not apply).

    A figure whose denominator is 0 is NaN (not applicable): a run with no identifier in
    its gold cannot protect identifiers, well or badly. Span P/R/F1 follow ``zero_division``
    as the other span figures do.
    """
    from .formulas import span_prf

    v = np.asarray(values)
    col = {name: v[..., i] for i, name in enumerate(EXPOSURE_FIELDS[: v.shape[-1]])}
    c = space.size
    base = len(EXPOSURE_FIELDS)
    out: dict[str, np.ndarray] = {}
    for group in GROUPS:
        cor = col[f"{group}_strict_cor"]
        actual, possible = col[f"{group}_actual"], col[f"{group}_possible"]
        p, r, f1 = span_prf(cor, np.zeros_like(cor), actual, possible, zero_division=zero_division)
        undefined = (actual + possible) == 0
        for name, value in (("precision", p), ("recall", r), ("f1", f1)):
            out[f"span_{group}_{name}"] = np.where(undefined, np.nan, value)
    for group in ("identifier", "sensitive"):
        out[f"protection_{group}"] = _ratio(col[f"{group}_protected"], col[f"{group}_records"])
    out["linked_disclosure"] = _ratio(col["linked_disclosed"], col["linked_records"])
    out["char_leak_rate"] = _ratio(col["gold_chars_exposed"], col["gold_chars"])
    if v.shape[-1] >= base + 2 * c:  # totals: any weights, from the per-category counts
        spans, leaked = v[..., base : base + c], v[..., base + c : base + 2 * c]
        w = np.array([severity[cat] for cat in space.categories], dtype=np.float64)
        out["severity_leak"] = _ratio(leaked @ w, spans @ w)
    else:  # replicates: only the weights used when scoring, summed into two columns
        out["severity_leak"] = _ratio(col["severity_leaked"], col["severity_spans"])
    out["over_redaction"] = _ratio(col["unlabelled_masked"], col["unlabelled_chars"])
    return out


def exposure_block(
    values: np.ndarray, space: CategorySpace, *, severity: Mapping[str, float]
) -> dict[str, Any]:
    """The ``exposure`` section of a metrics report: every numerator and denominator."""
    col = {name: int(values[i]) for i, name in enumerate(EXPOSURE_FIELDS)}
    c = space.size
    base = len(EXPOSURE_FIELDS)
    per_category = {
        cat: {
            "spans": int(values[base + i]),
            "leaked": int(values[base + c + i]),
            "weight": severity[cat],
        }
        for i, cat in enumerate(space.categories)
    }
    return {
        "definition": "masked = inside any predicted span, whatever its label; a span is"
        " protected only when all its characters are masked",
        "counts": col,
        "linking_identifiers": list(LINKING_IDENTIFIERS),
        "severity_weights": dict(severity),
        "per_category": per_category,
    }
