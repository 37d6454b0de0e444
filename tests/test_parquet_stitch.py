"""Parquet files stitched from pieces read back as the rows they were made of."""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from breachbench.generator.output.parquet_stitch import ParquetStitcher, encode_piece


def _table(rows: int, offset: int = 0) -> pa.Table:
    ids = list(range(offset, offset + rows))
    return pa.table(
        {
            "id": ids,
            "city": [["Lyon", "Brest", "Albi"][i % 3] for i in ids],
            "spans": [[{"start": i, "end": i + 2}] * (i % 3) for i in ids],
        }
    ).replace_schema_metadata({"origin": "test"})


def _stitch(pieces: list[pa.Table], row_group_size: int, **options) -> bytes:
    out = io.BytesIO()
    stitcher = ParquetStitcher(out)
    for piece in pieces:
        stitcher.append(encode_piece(piece, row_group_size=row_group_size, **options))
    stitcher.close()
    return out.getvalue()


@pytest.mark.parametrize(
    "options",
    [
        {"compression": "zstd", "use_dictionary": ["city"]},
        {"compression": "none", "write_page_index": True, "write_statistics": True},
    ],
)
def test_stitched_file_reads_back_as_its_pieces(options: dict) -> None:
    pieces = [_table(40), _table(40, 40), _table(17, 80)]
    data = _stitch(pieces, 10, **options)
    parquet = pq.ParquetFile(io.BytesIO(data))
    assert parquet.metadata.num_rows == 97
    assert [parquet.metadata.row_group(i).num_rows for i in range(10)] == [10] * 9 + [7]
    assert parquet.schema_arrow.metadata[b"origin"] == b"test"
    expected = pa.concat_tables(pieces)
    assert parquet.read().equals(expected)
    # Every row group is found where the footer says: read them one by one, out of order.
    for index in (9, 0, 4):
        group = parquet.read_row_group(index)
        assert group["id"].to_pylist() == list(range(10 * index, min(10 * index + 10, 97)))


def test_statistics_still_prune_row_groups() -> None:
    data = _stitch([_table(30), _table(30, 30)], 10, write_statistics=["id"])
    table = pq.read_table(io.BytesIO(data), filters=[("id", ">=", 55)])
    assert table["id"].to_pylist() == list(range(55, 60))


def test_an_empty_piece_gives_a_file_with_the_schema_and_no_row() -> None:
    data = _stitch([_table(0)], 10)
    parquet = pq.ParquetFile(io.BytesIO(data))
    assert parquet.metadata.num_rows == 0
    assert parquet.schema_arrow.names == ["id", "city", "spans"]


def test_no_piece_is_refused() -> None:
    with pytest.raises(ValueError, match="no piece"):
        ParquetStitcher(io.BytesIO()).close()
