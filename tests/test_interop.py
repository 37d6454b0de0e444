"""A generated dataset opens in DuckDB, Polars, pandas and 🤗 datasets, nested spans included.

Each reader is optional (``pip install 'breachbench[interop]'``); every test counts the
spans per category its own way and must find what pyarrow finds.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from breachbench.generator.api import generate_dataset
from breachbench.generator.options import GenerateOptions

ROWS = 2_000


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("interop") / "ds"
    generate_dataset(f"{out}/", GenerateOptions(rows=ROWS, seed=9), progress=False)
    return out


@pytest.fixture(scope="module")
def expected(dataset: Path) -> dict[str, int]:
    rows = pq.read_table(dataset / "part-00000.parquet").to_pylist()
    return dict(Counter(span["category"] for row in rows for span in row["spans"]))


def test_duckdb(dataset: Path, expected: dict[str, int]) -> None:
    duckdb = pytest.importorskip("duckdb")
    query = f"""
        SELECT span.category, count(*) AS n
        FROM (SELECT unnest(spans) AS span FROM read_parquet('{dataset}/part-*.parquet'))
        GROUP BY ALL
    """
    assert dict(duckdb.sql(query).fetchall()) == expected
    ((phones,),) = duckdb.sql(
        f"SELECT count(*) FROM read_parquet('{dataset}/part-*.parquet') "
        "WHERE list_contains(categories, 'phone')"
    ).fetchall()
    assert phones > 0


def test_polars(dataset: Path, expected: dict[str, int]) -> None:
    pl = pytest.importorskip("polars")
    counts = (
        pl.scan_parquet(dataset / "part-*.parquet")
        .select(pl.col("spans").explode().struct.field("category"))
        .drop_nulls()
        .group_by("category")
        .len()
        .collect()
    )
    assert dict(counts.iter_rows()) == expected


def test_pandas(dataset: Path, expected: dict[str, int]) -> None:
    pd = pytest.importorskip("pandas")
    # The directory also holds README.md, croissant.json and manifest.json: skip them.
    frame = pd.read_parquet(dataset, ignore_prefixes=[".", "_", "README", "croissant", "manifest"])
    assert len(frame) == ROWS
    counts = frame["spans"].explode().dropna().str["category"].value_counts()
    assert counts.to_dict() == expected


def test_datasets(dataset: Path, expected: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    datasets = pytest.importorskip("datasets")
    cache = str(dataset.parent / "hf-cache")
    loaded = datasets.load_dataset(
        "parquet", data_files=str(dataset / "part-*.parquet"), cache_dir=cache
    )["train"]
    assert loaded.num_rows == ROWS
    counts = Counter(span["category"] for spans in loaded["spans"] for span in spans)
    assert dict(counts) == expected
    # The card's `configs` make the directory itself loadable, as the Hub would.
    by_card = datasets.load_dataset(str(dataset), cache_dir=cache)
    assert list(by_card) == ["test"] and by_card["test"].num_rows == ROWS
