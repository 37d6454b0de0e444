"""Random gold batches and noisy predictions, built with numpy, for tests and benchmarks.

Shaped like the generator's data (about 30% of records with a comment, a third of those
with 1-4 spans) but made here so that scoring tests and the perf benchmark do not depend
on the generator. Not a dataset for benchmarking detectors.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from breachbench.benchmarks.scoring.labels import CategorySpace, default_space
from breachbench.benchmarks.scoring.predictions import Predictions

SUBJECTS = ("patient", "relative", "third_party")
ASSERTIONS = ("affirmed", "negated", "hypothetical", "historical")
TAGS = ("hard_negative", "typo", "abbreviation", "relative_mention")


def synthetic_batch(
    rng: np.random.Generator,
    *,
    n_records: int,
    comment_rate: float = 0.3,
    labelled_rate: float = 1 / 3,
    space: CategorySpace | None = None,
    with_tags: bool = True,
    id_offset: int = 0,
) -> pa.RecordBatch:
    """A contract-conforming batch: spans sorted, non-overlapping, 1-4 per labelled comment."""
    space = space or default_space()
    n = n_records
    has_comment = rng.random(n) < comment_rate
    n_spans = np.where(has_comment & (rng.random(n) < labelled_rate), rng.integers(1, 5, n), 0)
    total = int(n_spans.sum())
    record = np.repeat(np.arange(n), n_spans)
    gaps = rng.integers(0, 20, total)
    lengths = rng.integers(2, 16, total)
    # Each span ends after its gap and length; positions restart at 0 in every record.
    step = np.cumsum(gaps + lengths)
    before = step - (gaps + lengths)
    first = (np.cumsum(n_spans) - n_spans)[record]
    end = (step - before[first]).astype(np.int32)
    start = (end - lengths).astype(np.int32)
    text_len = np.zeros(n, dtype=np.int64)
    np.maximum.at(text_len, record, end)
    text_len = np.where(has_comment, text_len + rng.integers(5, 40, n), 0)
    category = rng.integers(0, space.size, total)
    cat_names = np.asarray(space.categories, dtype=object)
    offsets = np.concatenate(([0], np.cumsum(n_spans))).astype(np.int32)
    spans = pa.StructArray.from_arrays(
        [
            pa.array(start, pa.int32()),
            pa.array(end, pa.int32()),
            pa.array(cat_names[category], pa.string()),
            pa.array(np.asarray(SUBJECTS, dtype=object)[rng.integers(0, 3, total)], pa.string()),
            pa.array(np.asarray(ASSERTIONS, dtype=object)[rng.integers(0, 4, total)], pa.string()),
        ],
        names=["start", "end", "category", "subject", "assertion"],
    )
    sens = space.sensitive_mask[category]
    sensitive = np.zeros(n, dtype=bool)
    sensitive[record[sens]] = True
    cat_key = np.unique(record.astype(np.int64) * space.size + category)
    cat_rec = cat_key // space.size
    cat_offsets = np.searchsorted(cat_rec, np.arange(n + 1)).astype(np.int32)
    comments = [("x" * int(k)) if k else None for k in text_len]
    columns = {
        "patient_id": pa.array([f"P{i + id_offset:09d}" for i in range(n)], pa.string()),
        "admin_comment": pa.array(comments, pa.string()),
        "sensitive": pa.array(sensitive),
        "categories": pa.ListArray.from_arrays(
            pa.array(cat_offsets), pa.array(cat_names[cat_key % space.size], pa.string())
        ),
        "spans": pa.ListArray.from_arrays(pa.array(offsets), spans),
    }
    if with_tags:
        n_tags = np.where(has_comment, rng.integers(0, 3, n), 0)
        tag_offsets = np.concatenate(([0], np.cumsum(n_tags))).astype(np.int32)
        tags = np.asarray(TAGS, dtype=object)[rng.integers(0, len(TAGS), int(n_tags.sum()))]
        columns["difficulty_tags"] = pa.ListArray.from_arrays(
            pa.array(tag_offsets), pa.array(tags, pa.string())
        )
    return pa.RecordBatch.from_pydict(columns)


def noisy_predictions(
    rng: np.random.Generator,
    gold: pa.RecordBatch,
    *,
    space: CategorySpace | None = None,
    recall: float = 0.7,
    false_positive_rate: float = 0.05,
) -> Predictions:
    """Span predictions that find, shift, mislabel or miss gold spans and add false ones."""
    space = space or default_space()
    n = gold.num_rows
    spans = gold.column("spans")
    flat = spans.flatten()
    rec = pc.list_parent_indices(spans).to_numpy()
    start = flat.field("start").to_numpy().astype(np.int64)
    end = flat.field("end").to_numpy().astype(np.int64)
    cat = space.ids(flat.field("category")).astype(np.int64)
    found = rng.random(len(rec)) < recall
    shift = rng.random(len(rec)) < 0.3
    start = np.where(shift, np.maximum(start + rng.integers(-2, 3, len(rec)), 0), start)
    end = np.maximum(np.where(shift, end + rng.integers(-2, 3, len(rec)), end), start + 1)
    cat = np.where(rng.random(len(rec)) < 0.1, rng.integers(0, space.size, len(rec)), cat)
    has_comment = np.asarray(gold.column("admin_comment").is_valid())
    fp_rec = np.flatnonzero(has_comment & (rng.random(n) < false_positive_rate))
    fp_start = rng.integers(0, 60, len(fp_rec))
    record = np.concatenate((rec[found], fp_rec))
    order = np.argsort(record, kind="stable")
    return Predictions.from_spans(
        n_records=n,
        record=record[order],
        start=np.concatenate((start[found], fp_start))[order],
        end=np.concatenate((end[found], fp_start + rng.integers(1, 10, len(fp_rec))))[order],
        category=np.concatenate((cat[found], rng.integers(0, space.size, len(fp_rec))))[order],
    )


def batch_from_spans(
    spans: list[list[tuple]],
    *,
    space: CategorySpace | None = None,
    comments: list[str | None] | None = None,
    tags: list[list[str]] | None = None,
) -> pa.RecordBatch:
    """A contract batch from per-record gold spans ``(start, end, category[, subject, assertion])``.

    ``sensitive`` and ``categories`` are derived from the spans, as the contract defines them.
    """
    space = space or default_space()
    group_of = dict(zip(space.categories, space.groups, strict=True))
    span_type = pa.struct(
        [
            ("start", pa.int32()),
            ("end", pa.int32()),
            ("category", pa.string()),
            ("subject", pa.string()),
            ("assertion", pa.string()),
        ]
    )
    rows = []
    for i, record in enumerate(spans):
        full = [(*s, "patient", "affirmed")[:5] if len(s) == 3 else tuple(s) for s in record]
        text = (
            comments[i]
            if comments is not None
            else ("x" * max((s[1] for s in full), default=0) or None)
        )
        rows.append(
            {
                "patient_id": f"R{i:06d}",
                "admin_comment": text,
                "sensitive": any(group_of[s[2]] == 0 for s in full),
                "categories": sorted({s[2] for s in full}),
                "spans": [
                    dict(zip(("start", "end", "category", "subject", "assertion"), s, strict=True))
                    for s in full
                ],
            }
        )
    schema = pa.schema(
        [
            ("patient_id", pa.string()),
            ("admin_comment", pa.string()),
            ("sensitive", pa.bool_()),
            ("categories", pa.list_(pa.string())),
            ("spans", pa.list_(span_type)),
        ]
    )
    batch = pa.RecordBatch.from_pylist(rows, schema=schema)
    if tags is not None:
        batch = batch.append_column("difficulty_tags", pa.array(tags, pa.list_(pa.string())))
    return batch


def span_lists(preds: Predictions, n_records: int, space: CategorySpace | None = None) -> list:
    """The span predictions of ``preds`` as per-record Python lists of (start, end, label),
    the shape a detector returns (for :func:`predictions_from_lists` and the reference)."""
    space = space or default_space()
    items: list = [[] for _ in range(n_records)]
    for r, s, e, c in zip(
        preds.span_record, preds.span_start, preds.span_end, preds.span_category, strict=True
    ):
        items[r].append((int(s), int(e), space.categories[c]))
    return items
