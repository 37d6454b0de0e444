"""What a dataset holds, counted: rows, comments, sensitive rows, spans by label.

The dataset card and the run summary report these figures. They are counted on the very
tables handed to the writers (:func:`count_table`), in whichever process encodes them, and
summed (:meth:`DatasetStats.merged`): no second pass over a multi-gigabyte output.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["DatasetStats", "count_table", "string_list_columns"]
_SPAN_KEYS = ("category", "subject", "assertion")


@dataclass(frozen=True)
class DatasetStats:
    """What the written files hold: the figures the card reports."""

    rows: int = 0
    comment_rows: int = 0
    sensitive_rows: int = 0
    spans: int = 0
    spans_by_category: dict[str, int] = field(default_factory=dict)
    spans_by_subject: dict[str, int] = field(default_factory=dict)
    spans_by_assertion: dict[str, int] = field(default_factory=dict)
    #: For every ``list<string>`` column (``categories``, ``difficulty_tags``...): how many
    #: rows hold each value.
    rows_by_value: dict[str, dict[str, int]] = field(default_factory=dict)

    def share(self, count: int) -> float:
        """``count`` as a share of the rows (0 for an empty dataset)."""
        return count / self.rows if self.rows else 0.0

    def merged(self, other: DatasetStats) -> DatasetStats:
        """The counts of both, as if their rows had been counted together."""
        names = dict.fromkeys([*self.rows_by_value, *other.rows_by_value])
        return DatasetStats(
            rows=self.rows + other.rows,
            comment_rows=self.comment_rows + other.comment_rows,
            sensitive_rows=self.sensitive_rows + other.sensitive_rows,
            spans=self.spans + other.spans,
            spans_by_category=_sum(self.spans_by_category, other.spans_by_category),
            spans_by_subject=_sum(self.spans_by_subject, other.spans_by_subject),
            spans_by_assertion=_sum(self.spans_by_assertion, other.spans_by_assertion),
            rows_by_value={
                name: _sum(self.rows_by_value.get(name, {}), other.rows_by_value.get(name, {}))
                for name in names
            },
        )

    def with_categories(self, categories: Sequence[str]) -> DatasetStats:
        """The same counts, with a zero for each of ``categories`` that has no span."""
        by_category = dict.fromkeys(categories, 0)
        by_category.update(self.spans_by_category)
        return DatasetStats(
            rows=self.rows,
            comment_rows=self.comment_rows,
            sensitive_rows=self.sensitive_rows,
            spans=self.spans,
            spans_by_category=dict(sorted(by_category.items())),
            spans_by_subject=self.spans_by_subject,
            spans_by_assertion=self.spans_by_assertion,
            rows_by_value=self.rows_by_value,
        )


def _sum(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    total = Counter(a)
    total.update(b)
    return dict(sorted(total.items()))


def string_list_columns(schema: pa.Schema) -> list[str]:
    """The ``list<string>`` columns, whose values are counted by row."""
    return [
        f.name for f in schema if pa.types.is_list(f.type) and pa.types.is_string(f.type.value_type)
    ]


def count_table(table: pa.Table) -> DatasetStats:
    """The figures of one table of the record contract (any columns beyond it are ignored)."""
    # Non-empty in bytes is non-empty in characters, without decoding UTF-8.
    comments = pc.sum(pc.greater(pc.binary_length(table["admin_comment"]), 0)).as_py() or 0
    sensitive = pc.sum(table["sensitive"]).as_py() or 0
    flat = pc.list_flatten(table["spans"])
    by = {key: _counts(pc.struct_field(flat, key)) for key in _SPAN_KEYS}
    return DatasetStats(
        rows=table.num_rows,
        comment_rows=int(comments),
        sensitive_rows=int(sensitive),
        spans=len(flat),
        spans_by_category=by["category"],
        spans_by_subject=by["subject"],
        spans_by_assertion=by["assertion"],
        rows_by_value={
            name: _counts(pc.list_flatten(table[name]))
            for name in string_list_columns(table.schema)
        },
    )


def _counts(array: pa.Array | pa.ChunkedArray) -> dict[str, int]:
    if len(array) == 0:
        return {}
    return {
        item["values"]: item["counts"]
        for item in pc.value_counts(array).to_pylist()
        if item["values"] is not None
    }
