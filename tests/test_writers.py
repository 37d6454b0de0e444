"""Sinks and metadata: Parquet provenance, JSON-lines and CSV round trips, manifests."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from breachbench.generator import block
from breachbench.generator.api import generate_dataset
from breachbench.generator.block import BLOCK_ROWS
from breachbench.generator.contract.schema import RECORD_SCHEMA
from breachbench.generator.options import GenerateOptions
from breachbench.generator.output.counts import count_table
from breachbench.generator.output.manifest import (
    METADATA_KEY,
    read_manifest,
    sha256_file,
    taxonomy_version,
)
from breachbench.generator.output.writers import (
    DICTIONARY_COLUMNS,
    NESTED_JSON_COLUMNS,
    encode_rows,
    nested_as_json,
    open_sink,
)

import breachbench

ROWS = 5000
OPTIONS = GenerateOptions(rows=ROWS, seed=9, comment_rate=0.5, sensitive_rate=0.4)


def _same_schema(schema: pa.Schema) -> bool:
    """Parquet has no second-precision timestamps: ``timestamp[s]`` comes back as ms."""
    expected = pa.schema(
        field.with_type(pa.timestamp("ms")) if field.type == pa.timestamp("s") else field
        for field in RECORD_SCHEMA
    )
    return schema.equals(expected)


@pytest.fixture(scope="module")
def reference() -> pa.Table:
    return block.make_block(OPTIONS, 0, ROWS).combine_chunks()


def test_parquet_records_provenance_and_field_docs(tmp_path: Path, reference: pa.Table) -> None:
    out = tmp_path / "p.parquet"
    summary = generate_dataset(out, OPTIONS, progress=False)
    parquet = pq.ParquetFile(out)
    provenance = json.loads(parquet.schema_arrow.metadata[METADATA_KEY.encode()])
    assert provenance["generator_version"] == breachbench.__version__
    assert provenance["taxonomy_version"] == taxonomy_version()
    assert provenance["seed"] == OPTIONS.seed
    assert provenance["format"] == "parquet"
    assert provenance["options"] == OPTIONS.content_options()
    for field in RECORD_SCHEMA:
        assert parquet.schema_arrow.field(field.name).metadata == field.metadata
    column = parquet.metadata.row_group(0).column(0)
    assert column.compression == "ZSTD"
    table = pq.read_table(out)
    assert _same_schema(table.schema)
    assert table.cast(RECORD_SCHEMA).combine_chunks().equals(reference)
    stats = count_table(reference)
    assert (summary.rows, summary.sensitive_rows, summary.comment_rows) == (
        stats.rows,
        stats.sensitive_rows,
        stats.comment_rows,
    )
    assert summary.bytes == out.stat().st_size
    assert summary.files == (out,)


def test_dictionary_only_on_low_cardinality_columns(tmp_path: Path, reference: pa.Table) -> None:
    out = tmp_path / "d.parquet"
    with open_sink("parquet", out, batch_size=ROWS, metadata_json="{}") as sink:
        sink.write(reference)
    group = pq.ParquetFile(out).metadata.row_group(0)
    for index in range(group.num_columns):
        column = group.column(index)
        has_dictionary = column.has_dictionary_page
        assert has_dictionary == (column.path_in_schema in DICTIONARY_COLUMNS), column
    assert "sex" in DICTIONARY_COLUMNS and "admin_comment" not in DICTIONARY_COLUMNS


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value


def test_jsonl_round_trip_with_sidecar(tmp_path: Path, reference: pa.Table) -> None:
    out = tmp_path / "r.jsonl"
    options = GenerateOptions(**{**OPTIONS.__dict__, "format": "jsonl"})
    summary = generate_dataset(out, options, progress=False)
    lines = out.read_text(encoding="utf-8").splitlines()
    expected = [{k: _plain(v) for k, v in row.items()} for row in reference.to_pylist()]
    assert [json.loads(line) for line in lines] == expected
    sidecar = read_manifest(tmp_path / "r.jsonl.manifest.json")
    assert sidecar["taxonomy_version"] == taxonomy_version()
    assert sidecar["files"][0]["sha256"] == sha256_file(out)
    assert sidecar["rows"] == summary.rows == ROWS


def test_csv_round_trip(tmp_path: Path, reference: pa.Table) -> None:
    out = tmp_path / "r.csv"
    options = GenerateOptions(**{**OPTIONS.__dict__, "format": "csv"})
    generate_dataset(out, options, progress=False)
    flat_schema = nested_as_json(RECORD_SCHEMA.empty_table()).schema
    read = pacsv.read_csv(
        out,
        # Comments may hold line breaks (quoted); a parallel reader must be told.
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types={field.name: field.type for field in flat_schema},
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    )
    assert read.column_names == RECORD_SCHEMA.names
    for name in NESTED_JSON_COLUMNS:
        decoded = [json.loads(text) for text in read[name].to_pylist()]
        assert decoded == reference[name].to_pylist()
    scalar = [n for n in RECORD_SCHEMA.names if n not in NESTED_JSON_COLUMNS]
    assert read.select(scalar).equals(reference.select(scalar).cast(read.select(scalar).schema))


def test_csv_keeps_null_and_empty_comments_apart(tmp_path: Path) -> None:
    table = block.make_block(OPTIONS, 0, 3)
    comments = pa.array([None, "", 'a, "quoted"\nline'], pa.string())
    table = table.set_column(
        table.schema.get_field_index("admin_comment"), "admin_comment", comments
    ).cast(RECORD_SCHEMA)
    out = tmp_path / "n.csv"
    with open_sink("csv", out, batch_size=10, metadata_json="{}") as sink:
        sink.write(table)
    read = pacsv.read_csv(
        out,
        # Comments may hold line breaks (quoted); a parallel reader must be told.
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types={"admin_comment": pa.string()},
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    )
    assert read["admin_comment"].to_pylist() == comments.to_pylist()


@pytest.mark.parametrize("fmt", ["parquet", "jsonl", "csv"])
def test_zero_rows_still_make_a_valid_file(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"z.{fmt}"
    options = GenerateOptions(rows=0, format=fmt)  # type: ignore[arg-type]
    summary = generate_dataset(out, options, progress=False)
    assert summary.rows == 0 and out.exists()
    if fmt == "parquet":
        assert _same_schema(pq.read_table(out).schema)
    elif fmt == "csv":
        assert out.read_text().splitlines()[0].startswith('"patient_id"')


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_directory_output_in_text_formats(tmp_path: Path, fmt: str) -> None:
    rows = 2 * BLOCK_ROWS + 5
    options = GenerateOptions(rows=rows, format=fmt)  # type: ignore[arg-type]
    summary = generate_dataset(tmp_path / "parts", options, progress=False, part_rows=BLOCK_ROWS)
    manifest = read_manifest(tmp_path / "parts" / "manifest.json")
    assert [entry["name"] for entry in manifest["files"]] == [
        f"part-0000{i}.{fmt}" for i in range(3)
    ]
    assert manifest["rows"] == summary.rows == rows
    assert manifest["options"] == options.content_options()
    assert manifest["generator_version"] == breachbench.__version__


def test_parquet_sink_takes_tables_or_encoded_rows_not_both(
    tmp_path: Path, reference: pa.Table
) -> None:
    encoded = encode_rows(reference, "parquet", batch_size=1000, metadata_json="{}")
    with open_sink("parquet", tmp_path / "t.parquet", batch_size=1000, metadata_json="{}") as sink:
        sink.write(reference)
        with pytest.raises(ValueError, match="took tables"):
            sink.write_encoded(encoded)
    with open_sink("parquet", tmp_path / "e.parquet", batch_size=1000, metadata_json="{}") as sink:
        sink.write_encoded(encoded)
        with pytest.raises(ValueError, match="encoded rows"):
            sink.write(reference)
    assert sink.counts == count_table(reference)
    assert pq.read_table(tmp_path / "e.parquet").equals(pq.read_table(tmp_path / "t.parquet"))


def test_encoded_parquet_rows_must_start_on_a_row_group_boundary(
    tmp_path: Path, reference: pa.Table
) -> None:
    short = encode_rows(reference.slice(0, 500), "parquet", batch_size=1000, metadata_json="{}")
    with open_sink("parquet", tmp_path / "b.parquet", batch_size=1000, metadata_json="{}") as sink:
        sink.write_encoded(short)
        with pytest.raises(ValueError, match="row-group boundary"):
            sink.write_encoded(short)
