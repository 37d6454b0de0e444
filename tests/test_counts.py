"""Counts made while writing equal a scan of the written files, and merge like sums."""

from __future__ import annotations

import itertools
from pathlib import Path

import pyarrow as pa
import pytest
from breachbench.generator import block
from breachbench.generator.api import generate_dataset
from breachbench.generator.contract.taxonomy import load_taxonomy
from breachbench.generator.options import GenerateOptions
from breachbench.generator.output import documents
from breachbench.generator.output.counts import DatasetStats, count_table
from breachbench.generator.output.target import SUFFIXES
from breachbench.generator.run import runner
from hypothesis import given, settings
from hypothesis import strategies as st
from support.scan import scan_dataset

ROWS = 3000


@pytest.fixture(scope="module")
def table() -> pa.Table:
    options = GenerateOptions(rows=ROWS, seed=4, comment_rate=0.6, sensitive_rate=0.5)
    return block.make_block(options, 0, ROWS)


@settings(max_examples=25, deadline=None)
@given(cuts=st.lists(st.integers(0, ROWS), max_size=4))
def test_counts_of_slices_merge_into_the_counts_of_the_whole(table: pa.Table, cuts) -> None:
    bounds = [0, *sorted(cuts), ROWS]
    merged = DatasetStats()
    for lo, hi in itertools.pairwise(bounds):
        merged = merged.merged(count_table(table.slice(lo, hi - lo)))
    assert merged == count_table(table)
    assert merged.spans == sum(len(spans) for spans in table["spans"].to_pylist())


@pytest.mark.parametrize(("fmt", "workers"), [("parquet", 2), ("jsonl", 2), ("csv", 1)])
def test_card_counts_are_those_of_the_written_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, workers: int
) -> None:
    monkeypatch.setattr(runner, "POOL_MIN_ROWS", 0)
    seen: list[DatasetStats] = []
    write_card = documents.write_card

    def spy(path, options, stats, *args, **kwargs):
        seen.append(stats)
        return write_card(path, options, stats, *args, **kwargs)

    monkeypatch.setattr(documents, "write_card", spy)
    out = tmp_path / f"data{SUFFIXES[fmt]}"
    options = GenerateOptions(rows=70_000, seed=8, workers=workers, format=fmt)
    summary = generate_dataset(out, options, progress=False)
    categories = load_taxonomy().categories
    scanned = scan_dataset(out, taxonomy_categories=categories)
    assert seen == [scanned]
    assert (summary.rows, summary.sensitive_rows, summary.comment_rows) == (
        scanned.rows,
        scanned.sensitive_rows,
        scanned.comment_rows,
    )
