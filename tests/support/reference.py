"""A slow, obvious, per-record implementation of :func:`score_batch`, for tests only.

It reads the batch with ``to_pylist`` and loops over records and spans in plain Python,
sharing no code with the vectorised path except the data containers and the definition of
the bootstrap weights. Tests check that both produce identical :class:`Counts`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pyarrow as pa
from breachbench.benchmarks.scoring.bootstrap import bucket_of, id_hashes
from breachbench.benchmarks.scoring.counts import (
    BREAKDOWN_FIELDS,
    LEAK_FIELDS,
    REPLICATE_FIELDS,
    Counts,
)
from breachbench.benchmarks.scoring.exposure import EXPOSURE_FIELDS, LINKING_IDENTIFIERS
from breachbench.benchmarks.scoring.labels import GROUPS, CategorySpace, default_space
from breachbench.benchmarks.scoring.matching import COR, INC, MIS, PAR, SCHEMES, SPU
from breachbench.benchmarks.scoring.score import ScoringConfig

Span = tuple[int, int, str]


def _sufficient(pred: Span, gold: Span, pct: float) -> bool:
    overlap = min(pred[1], gold[1]) - max(pred[0], gold[0])
    return overlap > 0 and (overlap / (gold[1] - gold[0])) * 100.0 >= pct


def greedy(
    preds: list[Span], golds: list[Span], scheme: str, pct: float
) -> tuple[list[int], list[int]]:
    """nervaluate's loop for one document: outcome per prediction, status per gold span."""
    gold_status = [MIS] * len(golds)
    outcomes = []
    for pred in preds:
        chosen, outcome, best = None, SPU, None
        fallback = None
        for j, gold in enumerate(golds):
            if gold_status[j] != MIS:
                continue
            bounds = pred[0] == gold[0] and pred[1] == gold[1]
            same = pred[2] == gold[2]
            if scheme == "ent_type":
                if _sufficient(pred, gold, pct):
                    dist = abs(pred[0] - gold[0]) + abs(pred[1] - gold[1])
                    if same and (best is None or dist < best):
                        chosen, best = j, dist
                    elif not same and fallback is None:
                        fallback = j
                continue
            if bounds and (same or scheme != "strict"):
                chosen = j
                break
            if fallback is None and _sufficient(pred, gold, pct):
                fallback = j
        if chosen is not None:
            outcome = COR
        elif fallback is not None:
            chosen, outcome = fallback, (PAR if scheme == "partial" else INC)
        if chosen is not None:
            gold_status[chosen] = outcome
        outcomes.append(outcome)
    return outcomes, gold_status


def _tally(outcomes: list[int], status: list[int]) -> np.ndarray:
    row = np.zeros(5, dtype=np.int64)
    for o in outcomes:
        row[o] += 1
    row[MIS] += sum(1 for s in status if s == MIS)
    return row


def reference_counts(
    gold: pa.RecordBatch | pa.Table,
    items: list[Any],
    *,
    space: CategorySpace | None = None,
    config: ScoringConfig | None = None,
) -> Counts:
    """Counts of ``gold`` against per-record Python predictions (as for predictions_from_lists)."""
    space = space or default_space()
    config = config or ScoringConfig()
    pct = config.min_overlap_percentage
    counts = Counts.empty(
        space=space,
        min_overlap_percentage=pct,
        bootstrap_seed=config.bootstrap_seed,
        bootstrap_replicates=config.bootstrap_replicates,
        severity=config.severity,
    )
    group_of = {cat: GROUPS[g] for cat, g in zip(space.categories, space.groups, strict=True)}
    cat_index = {cat: i for i, cat in enumerate(space.categories)}
    field = {name: i for i, name in enumerate(BREAKDOWN_FIELDS)}
    rows = gold.to_pylist()
    assert len(rows) == len(items)
    for row, item in zip(rows, items, strict=True):
        hashed = id_hashes(pa.array([row["patient_id"]], pa.string()))
        counts = _add_record(counts, row, item, hashed, space, config, group_of, cat_index, field)
    return counts


def _add_record(
    counts: Counts,
    row: dict[str, Any],
    item: Any,
    hashed: np.ndarray,
    space: CategorySpace,
    config: ScoringConfig,
    group_of: dict[str, str],
    cat_index: dict[str, int],
    field: dict[str, int],
) -> Counts:
    """``counts`` plus the counts of one record, computed the long way."""
    pct = config.min_overlap_percentage
    c = Counts.empty(
        space=space,
        min_overlap_percentage=pct,
        bootstrap_seed=config.bootstrap_seed,
        bootstrap_replicates=config.bootstrap_replicates,
        severity=config.severity,
    )
    comment = row["admin_comment"]
    c.records[0] = 1
    c.records[1] = int(bool(comment))
    if isinstance(item, bool):
        level, pred_cats, pred_spans = 0, set(), []
        pred_sensitive = item
    elif isinstance(item, set | frozenset):
        level, pred_cats, pred_spans = 1, set(item), []
        pred_sensitive = any(group_of[x] == "sensitive" for x in item)
    else:
        level = 2
        pred_spans = [(int(s), int(e), str(lab)) for s, e, lab, *_ in item]
        pred_cats = {s[2] for s in pred_spans}
        pred_sensitive = any(group_of[s[2]] == "sensitive" for s in pred_spans)
    c.records[2] = int(level >= 1)
    c.records[3] = int(level == 2)
    gold_sensitive = bool(row["sensitive"])
    conf = (3 if pred_sensitive else 2) if gold_sensitive else (1 if pred_sensitive else 0)
    c.sensitive[[3, 1, 2, 0][conf]] = 1
    if level >= 1:
        gold_cats = set(row["categories"] or [])
        for cat in space.categories:
            g, p = cat in gold_cats, cat in pred_cats
            c.category[cat_index[cat], 0 if g and p else 1 if p else 2 if g else 3] = 1
    tags = row.get("difficulty_tags") or []
    for tag in tags:
        c.tag_sensitive.setdefault(tag, np.zeros(4, dtype=np.int64))[[3, 1, 2, 0][conf]] += 1
    per_record = np.zeros(len(REPLICATE_FIELDS), dtype=np.int64)
    per_record[0] = gold_sensitive and pred_sensitive
    per_record[1] = (not gold_sensitive) and pred_sensitive
    per_record[2] = gold_sensitive and not pred_sensitive
    if level == 2:
        spans = row["spans"] or []
        golds = [(s["start"], s["end"], s["category"]) for s in spans]
        status = {}
        for k, scheme in enumerate(SCHEMES):
            outcomes, status[scheme] = greedy(pred_spans, golds, scheme, pct)
            c.span_overall[k] = _tally(outcomes, status[scheme])
            for cat in space.categories:
                gs = [x for x in golds if x[2] == cat]
                ps = [x for x in pred_spans if x[2] == cat]
                c.span_category[cat_index[cat], k] = _tally(*greedy(ps, gs, scheme, pct))
        exposed = {"overlap": [], "full": []}
        for gold in golds:
            redacted = set()
            for p in pred_spans:
                if group_of[p[2]] == group_of[gold[2]]:
                    redacted.update(range(p[0], p[1]))
            inside = len(redacted & set(range(gold[0], gold[1])))
            exposed["overlap"].append(inside == 0)
            exposed["full"].append(inside < gold[1] - gold[0])
        for g, group in enumerate(GROUPS):
            mine = [i for i, x in enumerate(golds) if group_of[x[2]] == group]
            if not mine:
                continue
            c.leak[g, 0] = 1
            c.leak[g, 1] = any(exposed["overlap"][i] for i in mine)
            c.leak[g, 2] = any(exposed["full"][i] for i in mine)
            c.leak[g, 3] = len(mine)
            c.leak[g, 4] = sum(exposed["overlap"][i] for i in mine)
            c.leak[g, 5] = sum(exposed["full"][i] for i in mine)
        per_record[3] = sum(1 for s in status["strict"] if s == COR)
        per_record[4] = len(pred_spans)
        per_record[5] = len(golds)
        per_record[6:9] = c.leak[0, :3]
        per_record[9:12] = c.leak[1, :3]
        keyed = [("subject", s["subject"], i) for i, s in enumerate(spans)]
        keyed += [("assertion", s["assertion"], i) for i, s in enumerate(spans)]
        keyed += [("difficulty_tags", t, i) for t in tags for i in range(len(spans))]
        seen = set()
        for dim, value, i in keyed:
            g = GROUPS.index(group_of[golds[i][2]])
            arr = c.breakdowns[dim].setdefault(
                value, np.zeros((len(GROUPS), len(BREAKDOWN_FIELDS)), dtype=np.int64)
            )
            arr[g, field["spans"]] += 1
            for scheme in SCHEMES:
                arr[g, field[f"{scheme}_cor"]] += status[scheme][i] == COR
            arr[g, field["partial_par"]] += status["partial"][i] == PAR
            for mode in ("overlap", "full"):
                arr[g, field[f"exposed_{mode}"]] += exposed[mode][i]
                if exposed[mode][i] and (dim, value, g, mode) not in seen:
                    seen.add((dim, value, g, mode))
                    arr[g, field[f"leaked_{mode}"]] += 1
            if (dim, value, g) not in seen:
                seen.add((dim, value, g))
                arr[g, field["records"]] += 1
    if level == 2 and comment:
        c.exposure[:] = exposure_row(row, pred_spans, space, status["strict"], c.severity)
    if config.bootstrap_replicates:
        # The record's counts go to its bucket; bucket_of is checked against a naive
        # bucket draw in test_scoring_consistency.
        bucket = int(bucket_of(hashed)[0])
        k = len(per_record)
        c.buckets[bucket, :k] = per_record
        c.buckets[bucket, k:] = c.exposure[: c.buckets.shape[1] - k]
    c = replace(c, id_digest=int(hashed[0]))
    assert LEAK_FIELDS[:3] == ("records", "leaked_overlap", "leaked_full")
    return counts + c


def exposure_row(
    row: dict[str, Any],
    pred_spans: list[Span],
    space: CategorySpace,
    strict: list[int],
    severity: tuple[int, ...],
) -> np.ndarray:
    """One record's exposure vector, from sets of masked character positions."""
    group_of = {cat: GROUPS[g] for cat, g in zip(space.categories, space.groups, strict=True)}
    masked: set[int] = set()
    for start, end, _ in pred_spans:
        masked.update(range(start, end))
    golds = row["spans"] or []
    out = dict.fromkeys(EXPOSURE_FIELDS, 0)
    chars = {i for s in golds for i in range(s["start"], s["end"])}
    out["unlabelled_chars"] = len(row["admin_comment"]) - len(chars)
    out["unlabelled_masked"] = len(masked - chars)
    spans = dict.fromkeys(space.categories, 0)
    leaked = dict.fromkeys(space.categories, 0)
    survived = {"identifier": [], "sensitive": []}
    linked = {"identifier": [], "sensitive": []}
    for k, s in enumerate(golds):
        group = group_of[s["category"]]
        positions = set(range(s["start"], s["end"]))
        visible = len(positions - masked)
        out["gold_chars"] += len(positions)
        out["gold_chars_exposed"] += visible
        out[f"{group}_chars"] += len(positions)
        out[f"{group}_chars_exposed"] += visible
        out[f"{group}_possible"] += 1
        out[f"{group}_strict_cor"] += strict[k] == COR
        spans[s["category"]] += 1
        leaked[s["category"]] += visible > 0
        weight = severity[space.categories.index(s["category"])]
        out["severity_spans"] += weight
        out["severity_leaked"] += weight if visible > 0 else 0
        survived[group].append(visible > 0)
        about_patient = s["subject"] == "patient"
        if about_patient and (group == "sensitive" or s["category"] in LINKING_IDENTIFIERS):
            linked[group].append(visible > 0)
    for p in pred_spans:
        out[f"{group_of[p[2]]}_actual"] += 1
    for group in ("identifier", "sensitive"):
        out[f"{group}_records"] = int(bool(survived[group]))
        out[f"{group}_protected"] = int(bool(survived[group]) and not any(survived[group]))
    out["linked_records"] = int(bool(linked["identifier"]) and bool(linked["sensitive"]))
    out["linked_disclosed"] = int(any(linked["identifier"]) and any(linked["sensitive"]))
    return np.array([*out.values(), *spans.values(), *leaked.values()], dtype=np.int64)
