"""What a dataset holds, counted: rows, comments, sensitive rows, spans by label.

The dataset card and the run summary report these figures. They are counted on the very
tables handed to the writers (:func:`count_table`), in whichever process encodes them, and
summed (:meth:`DatasetStats.merged`): no second pass over a multi-gigabyte output.
:func:`scan_dataset` counts the same figures from written files, for datasets made
elsewhere and for the tests that prove both ways agree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

__all__ = ["DatasetStats", "count_table", "scan_dataset"]

_SCAN_BATCH_ROWS = 16_384
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


def _decode_json_column(texts: pa.ChunkedArray | pa.Array, dtype: pa.DataType) -> pa.Array:
    """Parse a column of JSON strings (CSV's nested columns) with Arrow's JSON reader."""
    texts = pc.fill_null(texts, "null")
    lines = pc.binary_join_element_wise('{"v":', texts, "}", "")
    payload = "\n".join(lines.to_pylist()).encode("utf-8") + b"\n"
    options = pajson.ParseOptions(explicit_schema=pa.schema([("v", dtype)]))
    return pajson.read_json(pa.py_buffer(payload), parse_options=options)["v"]


def _batches(path: Path, fmt: str, schema: pa.Schema) -> Iterator[pa.Table]:
    """The label columns of one data file, a batch at a time (memory stays flat)."""
    if fmt == "parquet":
        # No pre-buffering nor parallel column reads: they hold whole row groups of every
        # column at once.
        parquet = pq.ParquetFile(path, pre_buffer=False, buffer_size=1 << 20)
        for batch in parquet.iter_batches(
            batch_size=_SCAN_BATCH_ROWS, columns=schema.names, use_threads=False
        ):
            yield pa.Table.from_batches([batch])
    elif fmt == "jsonl":
        if path.stat().st_size == 0:  # zero rows: Arrow's reader refuses an empty stream
            return
        options = pajson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
        reader = pajson.open_json(path, parse_options=options)
        for batch in reader:
            yield pa.Table.from_batches([batch])
    elif fmt == "csv":
        nested = [f for f in schema if pa.types.is_nested(f.type)]
        types = {f.name: (pa.string() if f in nested else f.type) for f in schema}
        convert = pacsv.ConvertOptions(include_columns=schema.names, column_types=types)
        parse = pacsv.ParseOptions(newlines_in_values=True)  # comments hold line breaks
        for batch in pacsv.open_csv(path, parse_options=parse, convert_options=convert):
            table = pa.Table.from_batches([batch])
            for f in nested:
                index = table.schema.get_field_index(f.name)
                decoded = _decode_json_column(table[f.name], f.type)
                # The JSON reader drops "not null" on children: keep the type it gives.
                table = table.set_column(index, f.with_type(decoded.type), decoded)
            yield table
    else:
        raise ValueError(f"unknown format {fmt!r}")


def scan_dataset(
    paths: Iterable[Path], fmt: str, schema: pa.Schema, *, taxonomy_categories: Sequence[str] = ()
) -> DatasetStats:
    """Count the figures of :class:`DatasetStats` in written data files.

    Reads only ``sensitive``, ``admin_comment``, ``spans`` and the ``list<string>`` columns
    of ``schema``, in batches, so memory stays flat. Categories of ``taxonomy_categories``
    with no span are reported with a zero.
    """
    wanted = ["admin_comment", "sensitive", "spans", *string_list_columns(schema)]
    sub_schema = pa.schema([schema.field(name) for name in wanted if name in schema.names])
    total = DatasetStats()
    for path in paths:
        for table in _batches(path, fmt, sub_schema):
            total = total.merged(count_table(table))
    return total.with_categories(taxonomy_categories)
