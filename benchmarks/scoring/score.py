"""Score one batch: gold Arrow columns + predictions -> :class:`Counts`, all array operations.

This is the only entry point the runner needs per batch; it sums the results with ``+``.
Records without a comment, gold span or prediction cost only their share of a few
whole-batch numpy passes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .bootstrap import bucket_of, bucket_sums, id_hashes
from .counts import BREAKDOWN_FIELDS, LEAK_FIELDS, REPLICATE_FIELDS, Counts, empty_buckets
from .coverage import covered_length
from .exposure import (
    REPLICATED_FIELDS,
    default_hundredths,
    exposure_rows,
)
from .gold import GoldBatch, read_gold
from .labels import GROUPS, CategorySpace, default_space
from .matching import COR, PAR, SpanArrays, match_spans
from .predictions import LEVEL_CATEGORIES, LEVEL_FLAG, LEVEL_SPANS, PredictionError, Predictions


@dataclass(frozen=True)
class ScoringConfig:
    """Options that change the counts; counts scored with different options do not merge.

    Parameters
    ----------
    min_overlap_percentage:
        nervaluate's threshold (1-100, share of the gold span) for a partial overlap to
        count in the partial/ent_type/INC decisions. 1.0 is nervaluate's default.
    bootstrap_seed:
        Seed of the Poisson bootstrap; keep it fixed to compare runs pairwise.
    bootstrap_replicates:
        Number of replicates B; 0 turns the bootstrap (and confidence intervals) off.
    severity:
        Severity weight of each category id in hundredths, summed per record for the
        severity-weighted leak's interval (None: the shipped table).
    """

    min_overlap_percentage: float = 1.0
    bootstrap_seed: int = 0
    bootstrap_replicates: int = 1000
    severity: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if not 1.0 <= self.min_overlap_percentage <= 100.0:
            raise ValueError("min_overlap_percentage must be within [1, 100]")
        if not 0 <= self.bootstrap_seed < 2**64:
            raise ValueError("bootstrap_seed must be within [0, 2**64)")
        if self.bootstrap_replicates < 0:
            raise ValueError("bootstrap_replicates must be >= 0")


def _confusion(gold: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """(tp, fp, fn, tn) of two bool arrays."""
    code = np.bincount(gold.astype(np.int64) * 2 + pred, minlength=4)
    return np.array([code[3], code[1], code[2], code[0]], dtype=np.int64)


def _predicted_sensitive(pred: Predictions, sensitive_mask: np.ndarray) -> np.ndarray:
    out = (pred.level == LEVEL_FLAG) & pred.flag
    out[pred.span_record[sensitive_mask[pred.span_category]]] = True
    out[pred.cat_record[sensitive_mask[pred.cat_category]]] = True
    return out


def _category_confusion(
    gold: GoldBatch, pred: Predictions, *, applies: np.ndarray, n_categories: int
) -> np.ndarray:
    """Multi-label (C, tp/fp/fn/tn) over the records where category predictions exist."""
    c = n_categories
    keep = applies[gold.cat_record]
    g = _sorted_unique(gold.cat_record[keep].astype(np.int64) * c + gold.cat_category[keep])
    p = _sorted_unique(
        np.concatenate(
            (
                pred.span_record.astype(np.int64) * c + pred.span_category,
                pred.cat_record.astype(np.int64) * c + pred.cat_category,
            )
        )
    )
    both = np.intersect1d(g, p, assume_unique=True)
    tp = np.bincount(both % c, minlength=c)
    fp = np.bincount(p % c, minlength=c) - tp
    fn = np.bincount(g % c, minlength=c) - tp
    tn = int(applies.sum()) - tp - fp - fn
    return np.stack([tp, fp, fn, tn], axis=1).astype(np.int64)


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (a plain sort: faster than ``np.unique`` on these sizes)."""
    s = np.sort(values)
    return s[np.concatenate(([True], s[1:] != s[:-1]))] if len(s) else s


def _per_record_any(flags: np.ndarray, record: np.ndarray, group: np.ndarray, n: int) -> np.ndarray:
    """(GROUPS, n) bool: record has at least one span of the group with ``flags`` set."""
    out = np.zeros((len(GROUPS), n), dtype=bool)
    out[group[flags], record[flags]] = True
    return out


def _breakdown(
    code: np.ndarray,
    values: tuple[str, ...],
    *,
    record: np.ndarray,
    group: np.ndarray,
    fields: dict[str, np.ndarray],
    n_records: int,
) -> dict[str, np.ndarray]:
    """Per attribute value and group: sums of per-span ``fields`` and per-record leak counts."""
    g = len(GROUPS)
    slots = len(values) * g
    slot = code.astype(np.int64) * g + group
    out = np.zeros((slots, len(BREAKDOWN_FIELDS)), dtype=np.int64)
    for j, name in enumerate(BREAKDOWN_FIELDS):
        if name in fields:
            out[:, j] = np.bincount(slot, weights=fields[name], minlength=slots).astype(np.int64)
    # Records per slot: dedupe (slot, record) on compact record numbers, with a dense
    # bincount when small enough (the usual case) and a sort otherwise.
    compact = (
        np.cumsum(np.concatenate(([True], record[1:] != record[:-1]))) - 1
        if len(record)
        else record
    )
    n_compact = int(compact[-1]) + 1 if len(record) else 0
    rec_key = compact.astype(np.int64) * slots + slot
    for name, mask in (
        ("records", None),
        ("leaked_overlap", fields["exposed_overlap"]),
        ("leaked_full", fields["exposed_full"]),
    ):
        keys = rec_key if mask is None else rec_key[mask.astype(bool)]
        if n_compact * slots <= 50_000_000:
            present = np.bincount(keys, minlength=n_compact * slots) > 0
            per_slot = present.reshape(n_compact, slots).sum(axis=0)
        else:
            per_slot = np.bincount(_sorted_unique(keys) % slots, minlength=slots)
        out[:, BREAKDOWN_FIELDS.index(name)] = per_slot
    out = out.reshape(len(values), g, len(BREAKDOWN_FIELDS))
    return {v: out[i] for i, v in enumerate(values) if out[i].any()}


def score_batch(
    gold: pa.RecordBatch | pa.Table,
    predictions: Predictions,
    *,
    space: CategorySpace | None = None,
    config: ScoringConfig | None = None,
) -> Counts:
    """Counts for one batch of gold records and the detector's predictions for them.

    ``predictions`` must be in the batch's record order (see :class:`Predictions` and
    :func:`predictions_from_lists`). Raises :class:`GoldError` or :class:`PredictionError`
    with a one-line message on malformed input.
    """
    space = space or default_space()
    config = config or ScoringConfig()
    gb = read_gold(gold, space=space)
    n, c = gb.n_records, space.size
    if predictions.n_records != n:
        raise PredictionError(f"{predictions.n_records} predictions for {n} records")
    predictions.validate(n_categories=c)
    group_of = space.group_of
    sensitive_mask = space.sensitive_mask

    level = predictions.level
    span_level = level == LEVEL_SPANS
    category_level = level >= LEVEL_CATEGORIES
    records = np.array(
        [n, int(gb.has_comment.sum()), int(category_level.sum()), int(span_level.sum())],
        dtype=np.int64,
    )
    pred_sensitive = _predicted_sensitive(predictions, sensitive_mask)
    sensitive = _confusion(gb.sensitive, pred_sensitive)
    category = _category_confusion(gb, predictions, applies=category_level, n_categories=c)

    # Span level: gold spans of records that got span predictions.
    keep = span_level[gb.span_record]
    gs = SpanArrays(
        gb.span_record[keep], gb.span_start[keep], gb.span_end[keep], gb.span_category[keep]
    )
    ps = SpanArrays(
        predictions.span_record,
        predictions.span_start,
        predictions.span_end,
        predictions.span_category,
    )
    match = match_spans(
        gs, ps, n_records=n, n_categories=c, min_overlap_percentage=config.min_overlap_percentage
    )

    # Leak: what stays exposed after redacting the predicted spans of the same group.
    covered = covered_length(gs, ps, group_of=group_of, n_records=n)
    g_group = group_of[gs.category].astype(np.int64)
    exposed_overlap = covered == 0
    exposed_full = covered < (gs.end - gs.start)
    has = _per_record_any(np.ones(len(gs), dtype=bool), gs.record, g_group, n)
    leaked_o = _per_record_any(exposed_overlap, gs.record, g_group, n)
    leaked_f = _per_record_any(exposed_full, gs.record, g_group, n)
    leak = np.zeros((len(GROUPS), len(LEAK_FIELDS)), dtype=np.int64)
    leak[:, 0], leak[:, 1], leak[:, 2] = has.sum(axis=1), leaked_o.sum(axis=1), leaked_f.sum(axis=1)
    leak[:, 3] = np.bincount(g_group, minlength=len(GROUPS))
    leak[:, 4] = np.bincount(g_group[exposed_overlap], minlength=len(GROUPS))
    leak[:, 5] = np.bincount(g_group[exposed_full], minlength=len(GROUPS))

    # Exposure: the predicted spans read as one redaction, whatever their labels.
    status = match.gold_status
    severity = config.severity if config.severity is not None else default_hundredths(space)
    if len(severity) != c:
        raise ValueError(f"{len(severity)} severity weights for {c} categories")
    lengths = pc.fill_null(pc.utf8_length(gold.column("admin_comment")), 0)
    exposed_rows = np.flatnonzero(span_level & gb.has_comment)
    exposure = exposure_rows(
        gold=gs,
        subject=gb.span_subject[keep],
        patient_code=(gb.subject_values.index("patient") if "patient" in gb.subject_values else -1),
        strict_status=status[0],
        pred=ps,
        covered=covered_length(gs, ps, group_of=np.zeros(c, dtype=np.int8), n_records=n),
        lengths=np.asarray(lengths, dtype=np.int64),
        rows=exposed_rows,
        space=space,
        severity=np.asarray(severity, dtype=np.int64),
    )

    # Breakdowns by span attribute and by the record's difficulty tags.
    fields = {
        "spans": np.ones(len(gs), dtype=np.int64),
        "strict_cor": status[0] == COR,
        "exact_cor": status[1] == COR,
        "partial_cor": status[2] == COR,
        "partial_par": status[2] == PAR,
        "ent_type_cor": status[3] == COR,
        "exposed_overlap": exposed_overlap,
        "exposed_full": exposed_full,
    }
    fields = {k: v.astype(np.int64) for k, v in fields.items()}
    common = {"record": gs.record, "group": g_group, "n_records": n}
    breakdowns = {
        "subject": _breakdown(gb.span_subject[keep], gb.subject_values, fields=fields, **common),
        "assertion": _breakdown(
            gb.span_assertion[keep], gb.assertion_values, fields=fields, **common
        ),
        "difficulty_tags": {},
    }
    tag_sensitive: dict[str, np.ndarray] = {}
    if gb.tag_record is not None and len(gb.tag_record):
        t_count = np.bincount(gb.tag_record, minlength=n)
        t_first = np.cumsum(t_count) - t_count
        per_span = t_count[gs.record]
        si = np.repeat(np.arange(len(gs)), per_span)
        ti = np.repeat(t_first[gs.record], per_span) + (
            np.arange(int(per_span.sum())) - np.repeat(np.cumsum(per_span) - per_span, per_span)
        )
        breakdowns["difficulty_tags"] = _breakdown(
            gb.tag_code[ti],
            gb.tag_values,
            record=gs.record[si],
            group=g_group[si],
            fields={k: v[si] for k, v in fields.items()},
            n_records=n,
        )
        conf = gb.sensitive[gb.tag_record].astype(np.int64) * 2 + pred_sensitive[gb.tag_record]
        table = np.bincount(
            gb.tag_code.astype(np.int64) * 4 + conf, minlength=4 * len(gb.tag_values)
        )
        table = table.reshape(-1, 4)[:, [3, 1, 2, 0]]
        tag_sensitive = {v: table[i].astype(np.int64) for i, v in enumerate(gb.tag_values)}

    # Bootstrap: per-record counts behind the headline and exposure figures, by bucket.
    hashes = id_hashes(gb.patient_id)
    b = config.bootstrap_replicates
    if b:
        # Only records that touch a headline count can change a replicate sum.
        live = gb.sensitive | pred_sensitive
        live[gs.record] = True
        live[ps.record] = True
        rows = np.flatnonzero(live)
        strict_cor = np.bincount(gs.record[status[0] == COR], minlength=n)
        per_record = np.empty((len(rows), len(REPLICATE_FIELDS)), dtype=np.int64)
        gold_s, pred_s = gb.sensitive[rows], pred_sensitive[rows]
        per_record[:, 0] = gold_s & pred_s
        per_record[:, 1] = ~gold_s & pred_s
        per_record[:, 2] = gold_s & ~pred_s
        per_record[:, 3] = strict_cor[rows]
        per_record[:, 4] = np.bincount(ps.record, minlength=n)[rows]
        per_record[:, 5] = np.bincount(gs.record, minlength=n)[rows]
        for j, flags in enumerate(
            (has[0], leaked_o[0], leaked_f[0], has[1], leaked_o[1], leaked_f[1])
        ):
            per_record[:, 6 + j] = flags[rows]
        # Sum each record's counts into its bootstrap bucket; the weights are applied
        # once per report (see bootstrap.py).
        bucket = bucket_of(hashes)
        buckets = np.concatenate(
            (
                bucket_sums(bucket[rows], per_record),
                bucket_sums(bucket[exposed_rows], exposure[:, : len(REPLICATED_FIELDS)]),
            ),
            axis=1,
        )
    else:
        buckets = empty_buckets(0)
    return Counts(
        space=space,
        min_overlap_percentage=config.min_overlap_percentage,
        bootstrap_seed=config.bootstrap_seed,
        records=records,
        sensitive=sensitive,
        category=category,
        span_overall=match.overall,
        span_category=match.per_category,
        leak=leak,
        replicate_base=np.zeros((b, len(REPLICATE_FIELDS)), dtype=np.int64),
        exposure=exposure.sum(axis=0),
        exposure_replicate_base=np.zeros((b, len(REPLICATED_FIELDS)), dtype=np.int64),
        buckets=buckets,
        severity=tuple(severity),
        id_digest=int(hashes.sum(dtype=np.uint64)) if n else 0,
        breakdowns=breakdowns,
        tag_sensitive={k: v for k, v in tag_sensitive.items() if v.any()},
    )
