"""Count the labels of written data files, to check the counts a dataset card reports.

The card's counts are summed as rows are written (``generator.output.counts``); this reads
the files back, in every format ``generate`` writes, and counts again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq
from breachbench.generator.output.counts import DatasetStats, count_table, string_list_columns

_SCAN_BATCH_ROWS = 16_384


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
