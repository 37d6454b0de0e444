"""One Parquet file from row groups encoded in several processes.

Encoding and compressing Parquet costs about as much CPU as generating the rows, so one
process encoding the whole output file would be the bottleneck of a multi-worker run.
Instead, each worker encodes its rows into a small in-memory Parquet file
(:func:`encode_piece`), and the writing process only copies their bytes, in row order, and
writes one footer that lists every row group (:class:`ParquetStitcher`).

A Parquet file is ``PAR1``, column chunks, a Thrift ``FileMetaData`` footer, its length and
``PAR1``. Column chunks hold no absolute offsets, so a piece's chunks stay valid anywhere in
the output once the offsets its footer gives are moved by the same distance. The result is
the file a single writer would produce with the same row groups, bar those offsets.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq
from breachbench.generator.output.thrift_compact import (
    I16,
    I64,
    LIST,
    STRUCT,
    Struct,
    ThriftList,
    decode,
)

__all__ = ["ParquetPiece", "ParquetStitcher", "Payload", "encode_piece"]

#: Encoded bytes, as a worker returns them: pyarrow buffers are kept as they are rather
#: than copied into ``bytes``.
Payload = bytes | pa.Buffer

MAGIC = b"PAR1"
_TAIL = 8  # footer length (uint32 little-endian) + magic

# Field ids of parquet.thrift (https://github.com/apache/parquet-format).
_FILE_NUM_ROWS, _FILE_ROW_GROUPS = 3, 4
_GROUP_COLUMNS, _GROUP_NUM_ROWS, _GROUP_FILE_OFFSET, _GROUP_ORDINAL = 1, 3, 5, 7
_CHUNK_FILE_OFFSET, _CHUNK_META = 2, 3
_CHUNK_OFFSET_INDEX, _CHUNK_COLUMN_INDEX = 4, 6
_META_DATA_PAGE, _META_INDEX_PAGE, _META_DICTIONARY_PAGE, _META_BLOOM = 9, 10, 11, 14
_MAX_ORDINAL = 2**15 - 1  # RowGroup.ordinal is an i16


@dataclass(frozen=True)
class ParquetPiece:
    """Row groups encoded as a Parquet file: the bytes between the magics, and its footer."""

    body: Payload
    footer: bytes
    rows: int


def encode_piece(table: pa.Table, *, row_group_size: int, **write_options: Any) -> ParquetPiece:
    """``table`` as Parquet row groups of ``row_group_size`` rows, in memory.

    ``write_options`` go to :func:`pyarrow.parquet.write_table`; the schema metadata of
    ``table`` ends up in the stitched file's footer.
    """
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, row_group_size=row_group_size, **write_options)
    data = sink.getvalue()
    (footer_length,) = struct.unpack_from("<I", data, len(data) - _TAIL)
    footer_start = len(data) - _TAIL - footer_length
    return ParquetPiece(
        body=data.slice(len(MAGIC), footer_start - len(MAGIC)),  # no copy
        footer=data.slice(footer_start, footer_length).to_pybytes(),
        rows=table.num_rows,
    )


def _shift(node: Struct, field_id: int, by: int, *, keep_zero: bool = False) -> None:
    entry = node.fields.get(field_id)
    if entry is not None and not (keep_zero and entry[1] == 0):
        node.fields[field_id] = (entry[0], entry[1] + by)


def _moved_row_group(group: Struct, by: int) -> Struct:
    """A piece's row group, with every file offset moved by ``by`` bytes."""
    _shift(group, _GROUP_FILE_OFFSET, by)
    for chunk in group.get(_GROUP_COLUMNS).items:
        # ColumnChunk.file_offset is deprecated; writers that leave it at 0 mean "unset".
        _shift(chunk, _CHUNK_FILE_OFFSET, by, keep_zero=True)
        _shift(chunk, _CHUNK_OFFSET_INDEX, by)
        _shift(chunk, _CHUNK_COLUMN_INDEX, by)
        meta = chunk.get(_CHUNK_META)
        if meta is not None:
            for field_id in (_META_DATA_PAGE, _META_INDEX_PAGE, _META_DICTIONARY_PAGE, _META_BLOOM):
                _shift(meta, field_id, by)
    return group


class ParquetStitcher:
    """Writes pieces, in order, as one Parquet file on ``stream``.

    The first piece's footer provides the schema and key-value metadata of the file, so
    every piece must come from tables of one schema with the same metadata.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._position = 0
        self._template: Struct | None = None
        self._groups: list[bytes] = []  # encoded as they come: the footer is then a join
        self._rows = 0
        self._write(MAGIC)

    def _write(self, data: Payload) -> None:
        self._stream.write(data)
        self._position += len(data)

    @property
    def rows(self) -> int:
        """Rows appended so far."""
        return self._rows

    def append(self, piece: ParquetPiece) -> None:
        """Add the piece's row groups after the ones already written."""
        meta = decode(piece.footer)
        if self._template is None:
            self._template = meta
        shift = self._position - len(MAGIC)
        groups = meta.get(_FILE_ROW_GROUPS)
        for group in groups.items if groups else ():
            moved = _moved_row_group(group, shift)
            ordinal = len(self._groups)
            if ordinal <= _MAX_ORDINAL:
                moved.set(_GROUP_ORDINAL, I16, ordinal)
            else:
                moved.fields.pop(_GROUP_ORDINAL, None)
            self._groups.append(moved.encode())
        self._write(piece.body)
        self._rows += piece.rows

    def close(self) -> None:
        """Write the footer that lists every row group."""
        if self._template is None:
            raise ValueError("no piece: append at least an empty one, which gives the schema")
        footer = self._template
        footer.set(_FILE_NUM_ROWS, I64, self._rows)
        footer.set(_FILE_ROW_GROUPS, LIST, ThriftList(STRUCT, self._groups))
        encoded = footer.encode()
        self._write(encoded)
        self._write(struct.pack("<I", len(encoded)) + MAGIC)
