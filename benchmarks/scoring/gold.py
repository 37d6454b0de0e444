"""Gold labels of one batch, read from the dataset contract columns into flat numpy arrays.

Only the contract columns (see corpora/taxonomy/TAXONOMY.md) are read, plus ``difficulty_tags`` when
present, so any dataset that follows the contract can be scored, whoever made it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .labels import CategorySpace

REQUIRED_COLUMNS = ("patient_id", "admin_comment", "sensitive", "categories", "spans")
TAGS_COLUMN = "difficulty_tags"


class GoldError(ValueError):
    """The gold batch does not follow the dataset contract; the message says where."""


@dataclass(frozen=True)
class GoldBatch:
    """Flat gold arrays of one batch; span arrays keep the dataset's record and list order."""

    n_records: int
    patient_id: pa.Array
    has_comment: np.ndarray
    sensitive: np.ndarray
    cat_record: np.ndarray
    cat_category: np.ndarray
    span_record: np.ndarray
    span_start: np.ndarray
    span_end: np.ndarray
    span_category: np.ndarray
    span_subject: np.ndarray
    subject_values: tuple[str, ...]
    span_assertion: np.ndarray
    assertion_values: tuple[str, ...]
    tag_record: np.ndarray | None
    tag_code: np.ndarray | None
    tag_values: tuple[str, ...]


def _column(data: pa.RecordBatch | pa.Table, name: str) -> pa.Array:
    column = data.column(name)
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    return column


def _encode(values: pa.Array) -> tuple[np.ndarray, tuple[str, ...]]:
    """Dictionary-encode strings: int32 codes and the distinct values (nulls become "")."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int32), ()
    encoded = pc.dictionary_encode(pc.fill_null(values, ""))
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int32)
    return codes, tuple(encoded.dictionary.to_pylist())


def _flatten(column: pa.Array) -> tuple[pa.Array, np.ndarray]:
    values = pc.list_flatten(column)
    parents = pc.list_parent_indices(column).to_numpy(zero_copy_only=False).astype(np.int32)
    return values, parents


def read_gold(data: pa.RecordBatch | pa.Table, *, space: CategorySpace) -> GoldBatch:
    """Read the contract columns of ``data`` into a :class:`GoldBatch`."""
    missing = [name for name in REQUIRED_COLUMNS if name not in data.schema.names]
    if missing:
        raise GoldError(f"dataset lacks contract column(s): {', '.join(missing)}")
    n = data.num_rows
    patient_id = _column(data, "patient_id")
    comment = _column(data, "admin_comment")
    has_comment = pc.fill_null(pc.greater(pc.utf8_length(comment), 0), False)
    sensitive = pc.fill_null(_column(data, "sensitive"), False)

    cats, cat_record = _flatten(_column(data, "categories"))
    cat_category = space.ids(cats, what="gold category")

    spans, span_record = _flatten(_column(data, "spans"))
    if isinstance(spans, pa.ChunkedArray):
        spans = spans.combine_chunks()
    if len(spans):
        start = pc.fill_null(spans.field("start"), -1).to_numpy(zero_copy_only=False)
        end = pc.fill_null(spans.field("end"), -1).to_numpy(zero_copy_only=False)
        span_category = space.ids(spans.field("category"), what="gold span category")
        subject, subject_values = _encode(spans.field("subject"))
        assertion, assertion_values = _encode(spans.field("assertion"))
    else:
        start = end = np.zeros(0, dtype=np.int32)
        span_category = np.zeros(0, dtype=np.int16)
        subject, subject_values = np.zeros(0, dtype=np.int32), ()
        assertion, assertion_values = np.zeros(0, dtype=np.int32), ()
    bad = np.flatnonzero((start < 0) | (end <= start))
    if len(bad):
        i = bad[0]
        raise GoldError(
            f"record {patient_id[int(span_record[i])]}: gold span [{start[i]}, {end[i]}) "
            "is empty, inverted or null"
        )

    tag_record = tag_code = None
    tag_values: tuple[str, ...] = ()
    if TAGS_COLUMN in data.schema.names:
        tags, tag_record = _flatten(_column(data, TAGS_COLUMN))
        tag_code, tag_values = _encode(tags)

    return GoldBatch(
        n_records=n,
        patient_id=patient_id,
        has_comment=has_comment.to_numpy(zero_copy_only=False).astype(bool),
        sensitive=sensitive.to_numpy(zero_copy_only=False).astype(bool),
        cat_record=cat_record,
        cat_category=cat_category,
        span_record=span_record,
        span_start=np.asarray(start, dtype=np.int32),
        span_end=np.asarray(end, dtype=np.int32),
        span_category=span_category,
        span_subject=subject,
        subject_values=subject_values,
        span_assertion=assertion,
        assertion_values=assertion_values,
        tag_record=tag_record,
        tag_code=tag_code,
        tag_values=tag_values,
    )
