"""croissant.json: valid Croissant 1.0 (checked by mlcroissant), with checksums and fields."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from breachbench.generator.api import generate_dataset
from breachbench.generator.contract.schema import RECORD_SCHEMA
from breachbench.generator.options import GenerateOptions
from breachbench.generator.output.croissant import (
    DataFile,
    croissant,
    croissant_data_type,
    write_croissant,
)
from breachbench.generator.output.manifest import sha256_file

ROWS = 300


def _validate(path: Path) -> list[dict]:
    """Validate with mlcroissant (as ``mlcroissant validate --jsonld`` does); read records."""
    mlc = pytest.importorskip("mlcroissant", reason="mlcroissant is not installed")
    dataset = mlc.Dataset(jsonld=str(path))  # raises mlc.ValidationError on any error
    assert not dataset.metadata.ctx.issues.errors
    return list(dataset.records(record_set="patients"))


@pytest.mark.parametrize("fmt", ["parquet", "jsonl", "csv"])
def test_generated_single_file_validates_and_loads(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"patients.{fmt}"
    generate_dataset(out, GenerateOptions(rows=ROWS, seed=2, format=fmt), progress=False)
    path = tmp_path / f"patients.{fmt}.croissant.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["conformsTo"] == "http://mlcommons.org/croissant/1.0"
    (file_object,) = document["distribution"]
    assert file_object["contentUrl"] == out.name
    assert file_object["sha256"] == sha256_file(out)
    records = _validate(path)
    assert len(records) == ROWS
    with_spans = next(r for r in records if r["patients/spans"])
    if fmt != "csv":  # CSV holds spans as a JSON string
        assert set(with_spans["patients/spans"][0]) == {
            f"patients/spans/{name}"
            for name in ("start", "end", "category", "subject", "assertion")
        }


def test_generated_directory_validates(tmp_path: Path) -> None:
    generate_dataset(f"{tmp_path}/ds/", GenerateOptions(rows=ROWS, seed=2), progress=False)
    records = _validate(tmp_path / "ds" / "croissant.json")
    assert len(records) == ROWS


def test_several_parts_are_read_as_one_file_set(tmp_path: Path) -> None:
    """Directory outputs with several parts (as big runs make) read every part."""
    generate_dataset(tmp_path / "all.parquet", GenerateOptions(rows=ROWS, seed=2), progress=False)
    table = pq.read_table(tmp_path / "all.parquet")
    directory = tmp_path / "parts"
    directory.mkdir()
    files = []
    for index, (lo, hi) in enumerate([(0, 100), (100, ROWS)]):
        path = directory / f"part-{index:05d}.parquet"
        pq.write_table(table.slice(lo, hi - lo), path)
        files.append(DataFile(path.name, sha256_file(path), path.stat().st_size))
    document = croissant(GenerateOptions(rows=ROWS, seed=2), files, RECORD_SCHEMA, rows=ROWS)
    kinds = [entry["@type"] for entry in document["distribution"]]
    assert kinds == ["cr:FileObject", "cr:FileObject", "cr:FileSet"]
    write_croissant(directory / "croissant.json", document)
    assert len(_validate(directory / "croissant.json")) == ROWS


def test_fields_follow_the_schema() -> None:
    files = [DataFile("x.parquet", "0" * 64, 1)]
    document = croissant(GenerateOptions(rows=1), files, RECORD_SCHEMA, rows=1)
    fields = {f["name"]: f for f in document["recordSet"][0]["field"]}
    assert list(fields) == RECORD_SCHEMA.names  # new columns appear by themselves
    assert fields["sensitive"]["dataType"] == "sc:Boolean"
    assert fields["birth_date"]["dataType"] == "sc:Date"
    assert fields["created_at"]["dataType"] == "sc:DateTime"
    assert fields["categories"]["repeated"] is True
    spans = fields["spans"]
    assert spans["repeated"] is True
    sub = {f["name"]: f for f in spans["subField"]}
    assert sub["start"]["dataType"] == "sc:Integer"
    assert sub["category"]["source"]["transform"] == {"jsonPath": "category"}
    assert document["license"].endswith("mit")
    assert "synthetic" in document["description"]


def test_croissant_needs_a_file() -> None:
    with pytest.raises(ValueError):
        croissant(GenerateOptions(rows=1), [], RECORD_SCHEMA, rows=0)


@pytest.mark.parametrize(
    ("dtype", "expected"),
    [
        (pa.string(), "sc:Text"),
        (pa.int64(), "sc:Integer"),
        (pa.float32(), "sc:Float"),
        (pa.bool_(), "sc:Boolean"),
        (pa.date32(), "sc:Date"),
        (pa.timestamp("ms"), "sc:DateTime"),
    ],
)
def test_data_types(dtype: pa.DataType, expected: str) -> None:
    assert croissant_data_type(dtype) == expected
