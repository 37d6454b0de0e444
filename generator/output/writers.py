"""Sinks: stream whole Arrow tables into one Parquet, JSON-lines or CSV file.

A sink is fed the rows of the record schema in order, either as Arrow tables (encoded
here) or as :class:`EncodedRows` that another process already encoded with
:func:`encode_rows` (a multi-worker run encodes in its workers; the sink then only copies
bytes). It keeps at most one row group in memory, counts what it writes
(:class:`~generator.output.counts.DatasetStats`) and hashes the bytes as they go out, so nothing
re-reads the file afterwards. It knows nothing of temporary names or workers: the caller
hands it the path to write (see ``breachbench.generator.output.target``).

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
import hashlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, ClassVar

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from breachbench.generator.contract.schema import RECORD_SCHEMA
from breachbench.generator.output.counts import DatasetStats, count_table
from breachbench.generator.output.json_text import json_lines, json_values
from breachbench.generator.output.manifest import METADATA_KEY
from breachbench.generator.output.parquet_stitch import (
    ParquetPiece,
    ParquetStitcher,
    Payload,
    encode_piece,
)

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
    "updated_at",
    "sensitive",
)
NESTED_JSON_COLUMNS: tuple[str, ...] = ("categories", "spans", "difficulty_tags")
COMPRESSION = "zstd"
PARQUET_OPTIONS: dict[str, Any] = {
    "compression": COMPRESSION,
    "use_dictionary": list(DICTIONARY_COLUMNS),
    "write_statistics": list(STATISTICS_COLUMNS),
    "store_schema": True,
    # Values the writer takes per internal batch (default 1,024): larger batches cost
    # less per row (3-4% of the encoding) and give the same bytes.
    "write_batch_size": 131_072,
}


def file_schema(metadata_json: str) -> pa.Schema:
    """The record schema with the provenance JSON in its metadata, as files carry it."""
    metadata = {**(RECORD_SCHEMA.metadata or {}), METADATA_KEY.encode(): metadata_json}
    return RECORD_SCHEMA.with_metadata(metadata)


def conform(table: pa.Table) -> pa.Table:
    """``table`` in the record schema's column order and types."""
    if table.schema.equals(RECORD_SCHEMA, check_metadata=False):
        return table
    return table.select(RECORD_SCHEMA.names).cast(RECORD_SCHEMA)


# --------------------------------------------------------------------------- encoding


def jsonl_bytes(table: pa.Table) -> bytes:
    """One compact JSON object per row, each ending with a newline, UTF-8.

    Rendered column by column (:mod:`generator.output.json_text`), with the bytes Python's
    ``json`` would write for each row.
    """
    return json_lines(table)


def nested_as_json(table: pa.Table) -> pa.Table:
    """Replace the list columns by JSON strings, for formats that only hold scalars."""
    for name in NESTED_JSON_COLUMNS:
        index = table.schema.get_field_index(name)
        field = table.schema.field(index).with_type(pa.string())
        table = table.set_column(index, field, json_values(table[name]))
    return table


def csv_bytes(table: pa.Table, *, header: bool) -> bytes:
    """RFC 4180 rows, every string quoted; with the header line first if ``header``."""
    out = pa.BufferOutputStream()
    options = pacsv.WriteOptions(include_header=header, quoting_style="needed")
    pacsv.write_csv(nested_as_json(table), out, write_options=options)
    return out.getvalue().to_pybytes()


@dataclass(frozen=True)
class EncodedRows:
    """Consecutive rows already encoded in a format, with their counts.

    ``data`` is a run of JSON lines or CSV rows (no header), or for Parquet a
    :class:`ParquetPiece` of whole row groups.
    """

    format: str
    data: Payload | ParquetPiece
    counts: DatasetStats


def encode_rows(table: pa.Table, fmt: str, *, batch_size: int, metadata_json: str) -> EncodedRows:
    """Encode and count rows in this process, for a sink in another one.

    For Parquet, the rows must start on a row-group boundary of the output and fill whole
    row groups of ``batch_size`` rows (only the file's last group may be shorter).
    """
    table = conform(table)
    data: Payload | ParquetPiece
    if fmt == "parquet":
        data = encode_piece(
            table.replace_schema_metadata(file_schema(metadata_json).metadata),
            row_group_size=batch_size,
            **PARQUET_OPTIONS,
        )
    elif fmt == "jsonl":
        data = jsonl_bytes(table)
    elif fmt == "csv":
        data = csv_bytes(table, header=False)
    else:
        raise ValueError(f"unknown format {fmt!r}")
    return EncodedRows(fmt, data, count_table(table))


# --------------------------------------------------------------------------- sinks


class _HashingFile:
    """A binary file that hashes what it writes: the checksum costs no second read."""

    def __init__(self, path: Path) -> None:
        self._handle: BinaryIO = path.open("wb")
        self._digest = hashlib.sha256()
        self._position = 0

    def write(self, data: bytes | memoryview | pa.Buffer) -> int:
        self._digest.update(data)
        self._position += len(data)
        return self._handle.write(data)

    def tell(self) -> int:
        return self._position

    def flush(self) -> None:
        self._handle.flush()

    @property
    def closed(self) -> bool:
        return self._handle.closed

    def hexdigest(self) -> str:
        return self._digest.hexdigest()

    def close(self) -> None:
        self._handle.close()


class Sink(ABC):
    """Base class: counts and hashes what goes through, closes on leaving a ``with``."""

    format: ClassVar[str]

    def __init__(self, path: Path, *, batch_size: int, metadata_json: str) -> None:
        self.path = Path(path)
        self.batch_size = batch_size
        self.metadata_json = metadata_json
        self._counts = DatasetStats()
        self._closed = False
        self._file = _HashingFile(self.path)

    def write(self, table: pa.Table) -> None:
        """Append rows (a table of the record schema) after the ones already written."""
        if table.num_rows == 0:
            return
        table = conform(table)
        self._write(table)
        self._counts = self._counts.merged(count_table(table))

    def write_encoded(self, rows: EncodedRows) -> None:
        """Append rows that :func:`encode_rows` encoded, in this sink's format."""
        if rows.format != self.format:
            raise ValueError(f"{rows.format} rows given to a {self.format} sink")
        if rows.counts.rows == 0:
            return
        self._write_encoded(rows.data)
        self._counts = self._counts.merged(rows.counts)

    @property
    def counts(self) -> DatasetStats:
        """Figures of the rows written so far."""
        return self._counts

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the file; complete once the sink is closed."""
        return self._file.hexdigest()

    def close(self) -> DatasetStats:
        """Flush and close the file; returns the counts. Idempotent."""
        if not self._closed:
            self._closed = True
            try:
                self._close()
            finally:
                self._file.close()
        return self._counts

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
        else:  # the caller deletes the partial file; just release the handles
            self._closed = True
            with contextlib.suppress(Exception):
                self._abandon()
            with contextlib.suppress(Exception):
                self._file.close()

    @abstractmethod
    def _write(self, table: pa.Table) -> None: ...

    @abstractmethod
    def _write_encoded(self, data: Payload | ParquetPiece) -> None: ...

    def _close(self) -> None:  # noqa: B027 - formats with a trailer override it
        """Write what ends the file."""

    def _abandon(self) -> None:  # noqa: B027 - formats with a writer object override it
        """Release what writes the file, which will be deleted, before its handle closes."""


class ParquetSink(Sink):
    """Streams row groups of exactly ``batch_size`` rows (the last one may be shorter).

    Tables are encoded here by pyarrow's writer; rows encoded elsewhere are stitched in
    (:mod:`generator.output.parquet_stitch`). One sink takes one kind or the other, not both.
    """

    format = "parquet"

    def __init__(self, path: Path, *, batch_size: int, metadata_json: str) -> None:
        super().__init__(path, batch_size=batch_size, metadata_json=metadata_json)
        self.schema = file_schema(metadata_json)
        self._writer: pq.ParquetWriter | None = None
        self._stitcher: ParquetStitcher | None = None
        self._pending: list[pa.Table] = []
        self._pending_rows = 0

    def _table_writer(self) -> pq.ParquetWriter:
        if self._stitcher is not None:
            raise ValueError("this Parquet sink already took encoded rows, not tables")
        if self._writer is None:
            self._writer = pq.ParquetWriter(self._file, self.schema, **PARQUET_OPTIONS)
        return self._writer

    def _write(self, table: pa.Table) -> None:
        self._pending.append(table)
        self._pending_rows += table.num_rows
        if self._pending_rows >= self.batch_size:
            full = (self._pending_rows // self.batch_size) * self.batch_size
            combined = pa.concat_tables(self._pending)
            self._table_writer().write_table(
                combined.slice(0, full), row_group_size=self.batch_size
            )
            rest = combined.slice(full)
            self._pending = [rest] if rest.num_rows else []
            self._pending_rows = rest.num_rows

    def _write_encoded(self, data: Payload | ParquetPiece) -> None:
        if not isinstance(data, ParquetPiece):
            raise TypeError("Parquet rows come as a ParquetPiece")
        if self._writer is not None:
            raise ValueError("this Parquet sink already took tables, not encoded rows")
        if self._stitcher is None:
            self._stitcher = ParquetStitcher(self._file)  # type: ignore[arg-type]
        if self._stitcher.rows % self.batch_size:
            raise ValueError("encoded Parquet rows must start on a row-group boundary")
        self._stitcher.append(data)

    def _abandon(self) -> None:
        if self._writer is not None:
            self._writer.close()

    def _close(self) -> None:
        if self._stitcher is not None:
            self._stitcher.close()
            return
        writer = self._table_writer()  # with no row at all, a file that holds the schema
        if self._pending:
            writer.write_table(pa.concat_tables(self._pending), row_group_size=self.batch_size)
        self._pending = []
        writer.close()


class JsonlSink(Sink):
    """One compact JSON object per line, UTF-8, in schema column order."""

    format = "jsonl"

    def _write(self, table: pa.Table) -> None:
        for batch in table.to_batches(max_chunksize=self.batch_size):
            self._file.write(jsonl_bytes(pa.Table.from_batches([batch])))

    def _write_encoded(self, data: Payload | ParquetPiece) -> None:
        if isinstance(data, ParquetPiece):
            raise TypeError("JSON lines come as bytes")
        self._file.write(data)


class CsvSink(Sink):
    """RFC 4180 CSV with a header; nested columns as JSON strings."""

    format = "csv"

    def __init__(self, path: Path, *, batch_size: int, metadata_json: str) -> None:
        super().__init__(path, batch_size=batch_size, metadata_json=metadata_json)
        # The header goes first, so that a file with no row still has it.
        self._file.write(csv_bytes(RECORD_SCHEMA.empty_table(), header=True))

    def _write(self, table: pa.Table) -> None:
        for batch in table.to_batches(max_chunksize=self.batch_size):
            self._file.write(csv_bytes(pa.Table.from_batches([batch]), header=False))

    def _write_encoded(self, data: Payload | ParquetPiece) -> None:
        if isinstance(data, ParquetPiece):
            raise TypeError("CSV rows come as bytes")
        self._file.write(data)


SINKS: dict[str, type[Sink]] = {sink.format: sink for sink in (ParquetSink, JsonlSink, CsvSink)}


def open_sink(fmt: str, path: Path, *, batch_size: int, metadata_json: str) -> Sink:
    """A sink of format ``fmt`` writing ``path``."""
    try:
        cls = SINKS[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}") from None
    return cls(path, batch_size=batch_size, metadata_json=metadata_json)
