"""Sinks: stream whole Arrow tables into one Parquet, JSON-lines or CSV file.

A sink is fed tables of the record schema in row order, in any chunking, and keeps only one
output batch in memory. It knows nothing of temporary names or workers: the caller hands it
the path to write (see ``generator.target``) and it returns counts when closed, like the
``ArrowWriter.finalize()`` of huggingface/datasets.

Format notes:
- Parquet: zstd, one row group per ``batch_size`` rows (tables are re-chunked, so the row
  groups do not depend on how the rows were produced), dictionary encoding only on
  low-cardinality columns, min/max statistics only on id, date and code columns, the
  schema's field descriptions kept, and the provenance JSON in the file's key-value
  metadata under ``breachbench``.
- JSON lines: one object per record; nested columns stay nested; dates are ``YYYY-MM-DD``,
  timestamps ``YYYY-MM-DDTHH:MM:SS``; a null comment is ``null``.
- CSV: header row; ``categories`` and ``spans`` are JSON strings (e.g. ``["serology"]``);
  every string is quoted, so a null comment is an empty unquoted field and an empty
  comment is ``""``. Comments may hold line breaks inside their quotes: readers that
  split files on newlines must be told (``newlines_in_values=True`` in pyarrow).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, ClassVar

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from generator.manifest import METADATA_KEY
from generator.schema import RECORD_SCHEMA

#: Columns with few distinct values, where a Parquet dictionary pays for itself. High-
#: cardinality columns (ids, NIR, phones, comments) skip it: building a dictionary that
#: overflows and falls back costs time for nothing.
DICTIONARY_COLUMNS: tuple[str, ...] = (
    "last_name",
    "birth_name",
    "first_name",
    "sex",
    "birth_place",
    "postcode",
    "city",
    "insee_code",
    "doctor_rpps",
    "doctor_name",
    "categories.list.element",
    "spans.list.element.category",
    "spans.list.element.subject",
    "spans.list.element.assertion",
    "difficulty_tags.list.element",
)
#: Columns whose min/max statistics let readers skip row groups (ids, dates, codes).
#: Statistics of free text and names help no query and cost ~15% of the write time.
STATISTICS_COLUMNS: tuple[str, ...] = (
    "patient_id",
    "sex",
    "birth_date",
    "postcode",
    "insee_code",
    "doctor_rpps",
    "created_at",
    "sensitive",
)
NESTED_JSON_COLUMNS: tuple[str, ...] = ("categories", "spans", "difficulty_tags")
COMPRESSION = "zstd"


@dataclass(frozen=True)
class SinkStats:
    """What a closed sink wrote."""

    rows: int
    sensitive_rows: int
    comment_rows: int


def table_stats(table: pa.Table) -> SinkStats:
    """Rows, sensitive rows and rows with a non-empty comment, computed with Arrow kernels."""
    sensitive = pc.sum(table["sensitive"]).as_py() or 0
    has_comment = pc.greater(pc.utf8_length(table["admin_comment"]), 0)
    comments = pc.sum(has_comment).as_py() or 0
    return SinkStats(table.num_rows, int(sensitive), int(comments))


class Sink(ABC):
    """Base class: counts what goes through and closes on leaving a ``with`` block."""

    format: ClassVar[str]

    def __init__(self, path: Path, *, batch_size: int, metadata_json: str) -> None:
        self.path = Path(path)
        self.batch_size = batch_size
        self.metadata_json = metadata_json
        self._rows = self._sensitive = self._comments = 0
        self._closed = False

    def write(self, table: pa.Table) -> None:
        """Append rows (a table of the record schema) after the ones already written."""
        if table.num_rows == 0:
            return
        if not table.schema.equals(RECORD_SCHEMA, check_metadata=False):
            table = table.select(RECORD_SCHEMA.names).cast(RECORD_SCHEMA)
        stats = table_stats(table)
        self._rows += stats.rows
        self._sensitive += stats.sensitive_rows
        self._comments += stats.comment_rows
        self._write(table)

    def close(self) -> SinkStats:
        """Flush and close the file; returns the counts. Idempotent."""
        if not self._closed:
            self._closed = True
            self._close()
        return SinkStats(self._rows, self._sensitive, self._comments)

    def __enter__(self) -> Sink:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:  # the caller deletes the partial file; just release the handle
            with contextlib.suppress(Exception):
                self.close()

    @abstractmethod
    def _write(self, table: pa.Table) -> None: ...

    @abstractmethod
    def _close(self) -> None: ...


class ParquetSink(Sink):
    """Streams row groups of exactly ``batch_size`` rows (the last one may be shorter)."""

    format = "parquet"

    def __init__(self, path: Path, *, batch_size: int, metadata_json: str) -> None:
        super().__init__(path, batch_size=batch_size, metadata_json=metadata_json)
        metadata = {**(RECORD_SCHEMA.metadata or {}), METADATA_KEY.encode(): metadata_json}
        self.schema = RECORD_SCHEMA.with_metadata(metadata)
        self._writer = pq.ParquetWriter(
            self.path,
            self.schema,
            compression=COMPRESSION,
            use_dictionary=list(DICTIONARY_COLUMNS),
            write_statistics=list(STATISTICS_COLUMNS),
            store_schema=True,
        )
        self._pending: list[pa.Table] = []
        self._pending_rows = 0

    def _write(self, table: pa.Table) -> None:
        self._pending.append(table)
        self._pending_rows += table.num_rows
        if self._pending_rows >= self.batch_size:
            full = (self._pending_rows // self.batch_size) * self.batch_size
            combined = pa.concat_tables(self._pending)
            self._writer.write_table(combined.slice(0, full), row_group_size=self.batch_size)
            rest = combined.slice(full)
            self._pending = [rest] if rest.num_rows else []
            self._pending_rows = rest.num_rows

    def _close(self) -> None:
        try:
            if self._pending_rows:
                self._writer.write_table(
                    pa.concat_tables(self._pending), row_group_size=self.batch_size
                )
            self._pending = []
        finally:
            self._writer.close()


def _json_default(value: object) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


class JsonlSink(Sink):
    """One compact JSON object per line, UTF-8, in schema column order."""

    format = "jsonl"

    def __init__(self, path: Path, *, batch_size: int, metadata_json: str) -> None:
        super().__init__(path, batch_size=batch_size, metadata_json=metadata_json)
        self._handle: IO[str] = self.path.open("w", encoding="utf-8", newline="\n")

    def _write(self, table: pa.Table) -> None:
        dumps = json.JSONEncoder(
            ensure_ascii=False, separators=(",", ":"), default=_json_default
        ).encode
        for batch in table.to_batches(max_chunksize=self.batch_size):
            self._handle.write("".join(dumps(row) + "\n" for row in batch.to_pylist()))

    def _close(self) -> None:
        self._handle.close()


def nested_as_json(table: pa.Table) -> pa.Table:
    """Replace the list columns by JSON strings, for formats that only hold scalars."""
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    for name in NESTED_JSON_COLUMNS:
        index = table.schema.get_field_index(name)
        texts = pa.array([encode(value) for value in table[name].to_pylist()], pa.string())
        field = table.schema.field(index).with_type(pa.string())
        table = table.set_column(index, field, texts)
    return table


class CsvSink(Sink):
    """RFC 4180 CSV with a header; nested columns as JSON strings."""

    format = "csv"

    def __init__(self, path: Path, *, batch_size: int, metadata_json: str) -> None:
        super().__init__(path, batch_size=batch_size, metadata_json=metadata_json)
        self._writer: pacsv.CSVWriter | None = None

    def _write(self, table: pa.Table) -> None:
        flat = nested_as_json(table)
        if self._writer is None:
            options = pacsv.WriteOptions(
                include_header=True, batch_size=self.batch_size, quoting_style="needed"
            )
            self._writer = pacsv.CSVWriter(self.path, flat.schema, write_options=options)
        self._writer.write_table(flat)

    def _close(self) -> None:
        if self._writer is None:  # no rows: still a valid CSV, with its header
            empty = nested_as_json(RECORD_SCHEMA.empty_table())
            pacsv.write_csv(empty, self.path)
        else:
            self._writer.close()


SINKS: dict[str, type[Sink]] = {sink.format: sink for sink in (ParquetSink, JsonlSink, CsvSink)}


def open_sink(fmt: str, path: Path, *, batch_size: int, metadata_json: str) -> Sink:
    """A sink of format ``fmt`` writing ``path``."""
    try:
        cls = SINKS[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}") from None
    return cls(path, batch_size=batch_size, metadata_json=metadata_json)
