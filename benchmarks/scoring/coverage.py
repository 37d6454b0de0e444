"""How much of each gold span a detector's predicted spans cover: the basis of leak rates.

Leak rates ask what stays readable after redacting every predicted span, so a gold span is
measured against the union of the predicted spans of its own group (a sensitive gold span
against predicted sensitive spans, an identifier against predicted identifiers), whatever
their exact category: a redactor hides the text, not the label. Two readings are kept:

- ``overlap`` (default): the span counts as covered if at least one of its code points is
  redacted. A partly redacted "séropositif" is mostly unreadable; this is the lenient
  reading and the one reported by default.
- ``full``: covered only if every code point is redacted (inside the union of predicted
  spans): the strict reading, for when any visible fragment counts as a leak.
"""

from __future__ import annotations

import numpy as np

from .matching import SpanArrays

COVERAGE_MODES: tuple[str, ...] = ("overlap", "full")


def covered_length(
    gold: SpanArrays, pred: SpanArrays, *, group_of: np.ndarray, n_records: int
) -> np.ndarray:
    """Code points of each gold span inside the union of same-group predicted spans (int64)."""
    if len(gold) == 0 or len(pred) == 0:
        return np.zeros(len(gold), dtype=np.int64)
    width = int(max(gold.end.max(), pred.end.max())) + 1
    n_groups = int(group_of.max()) + 1

    def keyed(spans: SpanArrays) -> tuple[np.ndarray, np.ndarray]:
        slot = group_of[spans.category].astype(np.int64) * n_records + spans.record
        base = slot * width
        return base + spans.start, base + spans.end

    if n_groups * n_records * width >= 2**62:
        raise OverflowError("batch too large for coverage keys; use smaller batches")
    p_start, p_end = keyed(pred)
    order = np.argsort(p_start, kind="stable")
    p_start, p_end = p_start[order], p_end[order]
    reach = np.maximum.accumulate(p_end)
    new = np.concatenate(([True], p_start[1:] > reach[:-1]))
    heads = np.flatnonzero(new)
    m_start = p_start[heads]
    m_end = np.maximum.reduceat(p_end, heads)

    g_start, g_end = keyed(gold)
    lo = np.searchsorted(m_end, g_start, side="right")
    hi = np.searchsorted(m_start, g_end, side="left")
    count = np.maximum(hi - lo, 0)
    gi = np.repeat(np.arange(len(gold)), count)
    mi = np.repeat(lo, count) + (
        np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    )
    inside = np.minimum(g_end[gi], m_end[mi]) - np.maximum(g_start[gi], m_start[mi])
    return np.bincount(gi, weights=inside, minlength=len(gold)).astype(np.int64)
