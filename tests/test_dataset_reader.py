"""The dataset reader: every layout, contract-only JSON lines, limit and seeded sample."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from breachbench.benchmarks.dataset import CONTRACT_SCHEMA, DatasetError, open_dataset
from breachbench.generator.api import generate_dataset
from breachbench.generator.options import GenerateOptions


def contract_rows(n: int) -> list[dict]:
    """Records with the contract fields only, one in three with a labelled comment."""
    rows = []
    for i in range(n):
        text = f"patient {i} VIH+ suivi" if i % 3 == 0 else ("RDV le matin" if i % 3 else "")
        spans = (
            [
                {
                    "start": text.index("VIH"),
                    "end": text.index("VIH") + 4,
                    "category": "serology",
                    "subject": "patient",
                    "assertion": "affirmed",
                }
            ]
            if "VIH" in text
            else []
        )
        rows.append(
            {
                "patient_id": f"P{i:05d}",
                "admin_comment": text or None,
                "sensitive": bool(spans),
                "categories": ["serology"] if spans else [],
                "spans": spans,
            }
        )
    return rows


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("data")
    options = GenerateOptions(rows=3000, seed=5)
    generate_dataset(root / "one.parquet", options)
    generate_dataset(root / "parts/", options)
    split = root / "split"  # several parts, as a hand-made export would have them
    split.mkdir()
    table = pq.read_table(root / "one.parquet")
    for k, offset in enumerate(range(0, 3000, 1100)):
        pq.write_table(table.slice(offset, 1100), split / f"part-{k:05d}.parquet")
    (split / "notes.txt").write_text("ignored")
    return {"file": root / "one.parquet", "dir": root / "parts", "split": split}


def ids(dataset, **kwargs) -> list[str]:
    return [i for b in dataset.batches(**kwargs) for i in b.column("patient_id").to_pylist()]


def test_contract_only_jsonl(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "hand.jsonl", contract_rows(50))
    dataset = open_dataset(path)
    assert dataset.info.rows == 50 and dataset.info.layout == "jsonl"
    assert dataset.info.fingerprint.startswith("sha256:")
    assert dataset.info.fingerprint_source == "file" and dataset.info.provenance is None
    batches = list(dataset.batches(batch_size=16))
    assert [b.num_rows for b in batches] == [16, 16, 16, 2]
    assert all(b.schema.equals(CONTRACT_SCHEMA) for b in batches)
    spans = pa.Table.from_batches(batches).column("spans").to_pylist()
    assert spans[0][0]["category"] == "serology" and spans[1] == []


def test_jsonl_missing_column_is_one_line(tmp_path: Path) -> None:
    rows = [{k: v for k, v in r.items() if k != "spans"} for r in contract_rows(3)]
    with pytest.raises(DatasetError, match=r"lacks contract column.*spans"):
        open_dataset(write_jsonl(tmp_path / "bad.jsonl", rows))


def test_parquet_without_provenance_and_int64_offsets(tmp_path: Path) -> None:
    table = pa.Table.from_pylist(contract_rows(20))  # offsets inferred as int64
    pq.write_table(table, tmp_path / "hand.parquet")
    dataset = open_dataset(tmp_path / "hand.parquet")
    assert dataset.info.fingerprint_source == "file"
    (batch,) = dataset.batches()
    assert batch.schema.equals(CONTRACT_SCHEMA)


def test_parquet_file_and_part_directory_agree(generated: dict[str, Path]) -> None:
    one, parts = open_dataset(generated["file"]), open_dataset(generated["dir"])
    split = open_dataset(generated["split"])
    assert parts.info.layout == split.info.layout == "parquet-dir"
    assert len(split.info.files) == 3
    assert one.info.rows == parts.info.rows == split.info.rows == 3000
    assert one.info.fingerprint_source == "metadata"
    assert parts.info.fingerprint_source == "manifest"
    assert one.info.to_json()["generator_version"] and one.info.to_json()["seed"] == 5
    assert ids(one, batch_size=700) == ids(parts, batch_size=1000) == ids(split, batch_size=512)


def test_limit_keeps_the_first_rows(generated: dict[str, Path]) -> None:
    dataset = open_dataset(generated["split"])
    assert ids(dataset, limit=1234, batch_size=500) == ids(dataset)[:1234]
    assert dataset.selected_rows(limit=1234) == 1234


def test_sample_is_seeded_exact_and_independent_of_batching(generated: dict[str, Path]) -> None:
    dataset = open_dataset(generated["file"])
    every = ids(dataset)
    a = ids(dataset, sample=300, seed=1, batch_size=256)
    assert len(a) == 300 == len(set(a))
    assert a == ids(dataset, sample=300, seed=1, batch_size=1999)  # reproducible
    assert a == sorted(a, key=every.index)  # dataset order kept
    assert a != ids(dataset, sample=300, seed=2)
    assert ids(dataset, sample=5000) == every  # more than there is: everything
    assert set(ids(dataset, limit=1000, sample=100, seed=3)) <= set(every[:1000])


def test_sample_covers_the_whole_dataset(generated: dict[str, Path]) -> None:
    dataset = open_dataset(generated["file"])
    positions = {pid: i for i, pid in enumerate(ids(dataset))}
    picked = [positions[p] for p in ids(dataset, sample=600, seed=0)]
    assert min(picked) < 500 and max(picked) > 2500  # not a prefix


@pytest.mark.parametrize("name", ["nothing.parquet", "data.csv"])
def test_unreadable_inputs(tmp_path: Path, name: str) -> None:
    if name.endswith(".csv"):
        (tmp_path / name).write_text("a,b\n")
    with pytest.raises(DatasetError):
        open_dataset(tmp_path / name)
