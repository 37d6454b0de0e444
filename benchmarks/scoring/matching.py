"""SemEval-2013 span matching (strict, exact, partial, ent_type), vectorised over a batch.

The schemes are those of nervaluate (>= 1.0), reproduced exactly, including its greedy
order: predictions are visited in the detector's order and each one takes the first still
unmatched gold span that qualifies (for ``ent_type``, the same-label gold span with the
closest boundaries), so one gold span is matched at most once. "Overall" (micro) figures
match all labels together; per-category figures match each label on its own, as
nervaluate's per-entity results do, so they do not sum to the overall ones.

Why vectorised: a per-record Python loop (see ``reference.py``) is two orders of magnitude
short of the 500k records/s the harness needs. Candidate (prediction, gold) pairs are
built per record with repeat/cumsum, and the greedy order is kept by stepping over a
prediction's rank within its record (one numpy pass per rank, usually fewer than five),
all records at once.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

SCHEMES: tuple[str, ...] = ("strict", "exact", "partial", "ent_type")
OUTCOMES: tuple[str, ...] = ("cor", "inc", "par", "mis", "spu")
COR, INC, PAR, MIS, SPU = range(5)

_SPURIOUS, _FIRST_CHOICE, _FALLBACK = 0, 1, 2


@dataclass(frozen=True)
class SpanArrays:
    """Parallel span arrays; ``record`` ascending, list order kept within a record."""

    record: np.ndarray
    start: np.ndarray
    end: np.ndarray
    category: np.ndarray

    def __len__(self) -> int:
        return len(self.record)


@dataclass(frozen=True)
class MatchResult:
    """Counts of one batch and the fate of every gold span under each scheme.

    ``overall`` is (scheme, outcome); ``per_category`` is (category, scheme, outcome);
    ``gold_status`` is (scheme, gold span) with values COR, INC, PAR or MIS, from the
    overall matching, used for breakdowns by span attribute.
    """

    overall: np.ndarray
    per_category: np.ndarray
    gold_status: np.ndarray


def _group_starts(keys: np.ndarray) -> np.ndarray:
    """Indices where a run of equal consecutive keys begins."""
    if len(keys) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))


def _ranks(keys: np.ndarray) -> np.ndarray:
    """Rank of each element among the elements with the same key, in array order."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    positions = np.arange(len(keys))
    starts = np.zeros(len(keys), dtype=np.int64)
    first = _group_starts(sorted_keys)
    starts[first] = first
    np.maximum.accumulate(starts, out=starts)
    ranks = np.empty(len(keys), dtype=np.int64)
    ranks[order] = positions - starts
    return ranks


def candidate_pairs(
    gold: SpanArrays, pred: SpanArrays, *, n_records: int, min_overlap_percentage: float
) -> tuple[np.ndarray, np.ndarray]:
    """All (pred, gold) index pairs of a record whose overlap nervaluate deems sufficient.

    Sufficient means nervaluate's test: overlap / gold length * 100 >= the threshold (its
    inclusive-end arithmetic equals ours on end-exclusive offsets). Pairs come sorted by
    prediction, then gold, in list order.
    """
    g_count = np.bincount(gold.record, minlength=n_records)
    g_first = np.cumsum(g_count) - g_count
    per_pred = g_count[pred.record]
    total = int(per_pred.sum())
    p = np.repeat(np.arange(len(pred), dtype=np.int64), per_pred)
    offsets = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(per_pred) - per_pred, per_pred)
    g = g_first[pred.record[p]] + offsets
    ps, pe = pred.start[p].astype(np.int64), pred.end[p].astype(np.int64)
    gs, ge = gold.start[g].astype(np.int64), gold.end[g].astype(np.int64)
    overlap = np.minimum(pe, ge) - np.maximum(ps, gs)
    keep = overlap > 0
    keep[keep] = (overlap[keep] / (ge[keep] - gs[keep])) * 100.0 >= min_overlap_percentage
    return p[keep], g[keep]


def _first_per_pred(pp: np.ndarray, gg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    starts = _group_starts(pp)
    return pp[starts], gg[starts]


def _closest_per_pred(
    pp: np.ndarray, gg: np.ndarray, dist: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    starts = _group_starts(pp)
    best = np.minimum.reduceat(dist, starts)
    sizes = np.diff(np.append(starts, len(pp)))
    keep = dist == np.repeat(best, sizes)
    return _first_per_pred(pp[keep], gg[keep])


def greedy_match(
    p: np.ndarray,
    g: np.ndarray,
    rank: np.ndarray,
    *,
    first_choice: np.ndarray,
    fallback: np.ndarray | None,
    distance: np.ndarray | None,
    n_pred: int,
    n_gold: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Run nervaluate's greedy loop for all groups at once.

    Each prediction, in rank order within its group, takes among still unmatched candidate
    gold spans the first ``first_choice`` one (the closest one when ``distance`` is given),
    else the first ``fallback`` one, else nothing. Returns per prediction 0 (spurious),
    1 (first choice) or 2 (fallback), and per gold span whether it was matched, and to
    which choice (0 none, 1, 2).
    """
    pred_result = np.zeros(n_pred, dtype=np.int8)
    gold_result = np.zeros(n_gold, dtype=np.int8)
    if len(p) == 0:
        return pred_result, gold_result
    order = np.argsort(rank, kind="stable")
    p, g, rank, first_choice = p[order], g[order], rank[order], first_choice[order]
    fallback = fallback[order] if fallback is not None else None
    distance = distance[order] if distance is not None else None
    bounds = np.searchsorted(rank, np.arange(int(rank[-1]) + 2))
    for lo, hi in itertools.pairwise(bounds):
        if lo == hi:
            continue
        pp, gg = p[lo:hi], g[lo:hi]
        free = gold_result[gg] == 0
        m = first_choice[lo:hi] & free
        if m.any():
            if distance is None:
                wp, wg = _first_per_pred(pp[m], gg[m])
            else:
                wp, wg = _closest_per_pred(pp[m], gg[m], distance[lo:hi][m])
            pred_result[wp] = _FIRST_CHOICE
            gold_result[wg] = _FIRST_CHOICE
        if fallback is not None:
            m = fallback[lo:hi] & free & (pred_result[pp] == _SPURIOUS)
            if m.any():
                wp, wg = _first_per_pred(pp[m], gg[m])
                pred_result[wp] = _FALLBACK
                gold_result[wg] = _FALLBACK
    return pred_result, gold_result


def _tally(
    pred_result: np.ndarray,
    gold_result: np.ndarray,
    fallback_outcome: int,
    pred_cat: np.ndarray,
    gold_cat: np.ndarray,
    n_categories: int,
) -> np.ndarray:
    """(category, outcome) counts of one scheme."""
    out = np.zeros((n_categories, len(OUTCOMES)), dtype=np.int64)
    out[:, COR] = np.bincount(pred_cat[pred_result == _FIRST_CHOICE], minlength=n_categories)
    out[:, fallback_outcome] = np.bincount(
        pred_cat[pred_result == _FALLBACK], minlength=n_categories
    )
    out[:, SPU] = np.bincount(pred_cat[pred_result == _SPURIOUS], minlength=n_categories)
    out[:, MIS] = np.bincount(gold_cat[gold_result == 0], minlength=n_categories)
    return out


def match_spans(
    gold: SpanArrays,
    pred: SpanArrays,
    *,
    n_records: int,
    n_categories: int,
    min_overlap_percentage: float = 1.0,
) -> MatchResult:
    """Score predicted against gold spans under the four schemes, overall and per category."""
    n_pred, n_gold = len(pred), len(gold)
    p, g = candidate_pairs(
        gold, pred, n_records=n_records, min_overlap_percentage=min_overlap_percentage
    )
    same_label = pred.category[p] == gold.category[g]
    same_bounds = (pred.start[p] == gold.start[g]) & (pred.end[p] == gold.end[g])
    distance = np.abs(pred.start[p].astype(np.int64) - gold.start[g]) + np.abs(
        pred.end[p].astype(np.int64) - gold.end[g]
    )
    everything = np.ones(len(p), dtype=bool)
    kw = {"n_pred": n_pred, "n_gold": n_gold}
    overall = np.zeros((len(SCHEMES), len(OUTCOMES)), dtype=np.int64)
    per_category = np.zeros((n_categories, len(SCHEMES), len(OUTCOMES)), dtype=np.int64)
    gold_status = np.full((len(SCHEMES), n_gold), MIS, dtype=np.int8)
    pcat, gcat = pred.category.astype(np.int64), gold.category.astype(np.int64)
    zero_cat = np.zeros_like(pcat), np.zeros_like(gcat)

    def record(scheme: int, pres: np.ndarray, gres: np.ndarray, fb_outcome: int) -> None:
        overall[scheme] = _tally(pres, gres, fb_outcome, *zero_cat, 1)[0]
        gold_status[scheme][gres == _FIRST_CHOICE] = COR
        gold_status[scheme][gres == _FALLBACK] = fb_outcome

    # Overall: every label together, the prediction's rank within its record.
    has_pair = np.zeros(n_pred, dtype=bool)
    has_pair[p] = True
    rank = np.zeros(n_pred, dtype=np.int64)
    rank[has_pair] = _ranks(pred.record[has_pair])
    prank = rank[p]
    res = greedy_match(
        p, g, prank, first_choice=same_label & same_bounds, fallback=everything, distance=None, **kw
    )
    record(0, *res, INC)
    res = greedy_match(
        p, g, prank, first_choice=same_bounds, fallback=everything, distance=None, **kw
    )
    record(1, *res, INC)
    record(2, *res, PAR)
    res = greedy_match(
        p, g, prank, first_choice=same_label, fallback=~same_label, distance=distance, **kw
    )
    record(3, *res, INC)

    # Per category: same-label pairs only, the prediction's rank within (record, label).
    q, h = p[same_label], g[same_label]
    has_pair = np.zeros(n_pred, dtype=bool)
    has_pair[q] = True
    rank = np.zeros(n_pred, dtype=np.int64)
    rank[has_pair] = _ranks(pred.record[has_pair].astype(np.int64) * n_categories + pcat[has_pair])
    qrank = rank[q]
    sb = same_bounds[same_label]
    res = greedy_match(
        q, h, qrank, first_choice=sb, fallback=np.ones(len(q), dtype=bool), distance=None, **kw
    )
    per_category[:, 0] = _tally(*res, INC, pcat, gcat, n_categories)
    per_category[:, 1] = per_category[:, 0]
    per_category[:, 2] = _tally(*res, PAR, pcat, gcat, n_categories)
    res = greedy_match(
        q,
        h,
        qrank,
        first_choice=np.ones(len(q), dtype=bool),
        fallback=None,
        distance=distance[same_label],
        **kw,
    )
    per_category[:, 3] = _tally(*res, INC, pcat, gcat, n_categories)
    return MatchResult(overall=overall, per_category=per_category, gold_status=gold_status)
