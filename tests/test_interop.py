"""A generated dataset opens in DuckDB, Polars, pandas and 🤗 datasets, nested spans included.

Each reader is optional (``pip install 'breachbench[interop]'``); every test counts the
spans per category its own way and must find what pyarrow finds.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyarrow as pa
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


# ------------------------------------------------------------------- every layout, row for row

LAYOUT_ROWS = 2 * 65_536  # two tasks: enough for a file stitched from two workers' pieces


@pytest.fixture(scope="module")
def layouts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, pa.Table]]:
    """Each file layout ``generate`` writes, with the rows written, read back by pyarrow."""
    from breachbench.generator.run import runner

    root = tmp_path_factory.mktemp("layouts")
    made = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(runner, "POOL_MIN_ROWS", 0)  # let the pool start on a small run
        for name, out, workers in [
            ("one file, one process", root / "one.parquet", 1),
            ("one file, two workers", root / "two.parquet", 2),
            ("directory, two workers", root / "parts", 2),
        ]:
            options = GenerateOptions(rows=LAYOUT_ROWS, seed=3, workers=workers)
            generate_dataset(out, options, progress=False, part_rows=65_536)
            files = sorted(out.glob("part-*.parquet")) if out.is_dir() else [out]
            made[name] = (out, pa.concat_tables(pq.read_table(f) for f in files))
    return made


def _loose(dtype: pa.DataType) -> pa.DataType:
    """``dtype`` with every nested field nullable: readers differ on what they keep."""
    if pa.types.is_struct(dtype):
        return pa.struct([pa.field(f.name, _loose(f.type)) for f in dtype])
    if pa.types.is_list(dtype) or pa.types.is_large_list(dtype):
        return pa.list_(_loose(dtype.value_type))
    return pa.string() if pa.types.is_large_string(dtype) else dtype


def _same_rows(table: pa.Table, expected: pa.Table) -> None:
    """Row for row, value for value; the readers' own string and list widths aside."""
    schema = pa.schema([pa.field(f.name, _loose(f.type)) for f in expected.schema])
    table = table.select(expected.column_names).cast(schema)
    assert table.num_rows == expected.num_rows
    assert table.equals(expected.cast(schema)), "rows differ"


def _glob(out: Path) -> str:
    return str(out / "part-*.parquet") if out.is_dir() else str(out)


@pytest.mark.parametrize(
    "name", ["one file, one process", "one file, two workers", "directory, two workers"]
)
def test_duckdb_reads_every_layout_row_for_row(layouts: dict, name: str) -> None:
    duckdb = pytest.importorskip("duckdb")
    out, expected = layouts[name]
    table = duckdb.sql(f"SELECT * FROM read_parquet('{_glob(out)}') ORDER BY patient_id").arrow()
    if not isinstance(table, pa.Table):  # duckdb >= 1.4 answers a RecordBatchReader
        table = table.read_all()
    _same_rows(table, expected)


@pytest.mark.parametrize(
    "name", ["one file, one process", "one file, two workers", "directory, two workers"]
)
def test_polars_reads_every_layout_row_for_row(layouts: dict, name: str) -> None:
    pl = pytest.importorskip("polars")
    out, expected = layouts[name]
    _same_rows(pl.read_parquet(_glob(out)).sort("patient_id").to_arrow(), expected)


def test_every_layout_holds_the_same_rows(layouts: dict) -> None:
    tables = [table for _, table in layouts.values()]
    assert all(table.equals(tables[0]) for table in tables[1:])
