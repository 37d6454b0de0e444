"""Block partition, ordering and determinism of the runner, and atomicity of a run."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from breachbench.generator import block
from breachbench.generator.api import generate_dataset
from breachbench.generator.options import GenerateOptions
from breachbench.generator.output.manifest import sha256_file
from breachbench.generator.output.target import SUFFIXES
from breachbench.generator.run import runner
from breachbench.generator.run.runner import (
    BLOCK_ROWS,
    MAX_ENCODED_TASK_ROWS,
    TASK_ROWS,
    encoded_task_rows,
    generate_tables,
    ordered_map,
    plan_spans,
    task_rows_for,
)

# Two tasks on two workers, the second short (not a multiple of a block), so it often
# finishes first and the runner must put it back in order.
ROWS = BLOCK_ROWS + 1234


@pytest.fixture(autouse=True)
def small_runs_use_the_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let these small runs start a pool when asked for workers, so the pool is tested."""
    monkeypatch.setattr(runner, "POOL_MIN_ROWS", 0)


def test_plan_spans_are_block_aligned_and_cover_the_range() -> None:
    rows = 2 * BLOCK_ROWS + 1234
    spans = plan_spans(0, rows, BLOCK_ROWS + 1)  # rounded up to 2 blocks
    assert spans[0] == (0, 2 * BLOCK_ROWS)
    assert spans[-1][1] == rows
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))
    assert all(lo % BLOCK_ROWS == 0 for lo, _ in spans)
    assert plan_spans(0, 0, 5000) == []
    with pytest.raises(ValueError):
        plan_spans(1, 10, 4096)


def test_task_rows_feed_every_worker_but_stay_bounded() -> None:
    assert task_rows_for(10, 2) == BLOCK_ROWS
    assert task_rows_for(5 * BLOCK_ROWS, 2) == min(TASK_ROWS, 3 * BLOCK_ROWS)
    assert task_rows_for(10**9, 2) == TASK_ROWS


def test_small_runs_stay_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "POOL_MIN_ROWS", 1000)
    assert runner.effective_workers(GenerateOptions(rows=999, workers=2)) == 1
    assert runner.effective_workers(GenerateOptions(rows=1000, workers=2)) == 2


def _square(value: int) -> int:
    return value * value


def test_ordered_map_keeps_order_with_a_pool() -> None:
    assert list(ordered_map(_square, range(20), workers=2, in_flight=3)) == [
        v * v for v in range(20)
    ]


def _concat(options: GenerateOptions, task_rows: int | None = None) -> pa.Table:
    return pa.concat_tables(list(generate_tables(options, task_rows=task_rows))).combine_chunks()


def test_rows_do_not_depend_on_workers_or_task_size() -> None:
    one = GenerateOptions(rows=ROWS, seed=11, workers=1)
    two = GenerateOptions(rows=ROWS, seed=11, workers=2)
    reference = block.make_block(one, 0, ROWS).combine_chunks()
    assert _concat(one).equals(reference)
    assert _concat(one, task_rows=BLOCK_ROWS).equals(reference)
    assert _concat(two, task_rows=BLOCK_ROWS).equals(reference)
    assert not _concat(GenerateOptions(rows=ROWS, seed=12)).equals(reference)


def test_encoded_tasks_hold_whole_row_groups_and_whole_blocks() -> None:
    def rows(fmt: str, batch_size: int) -> int | None:
        return encoded_task_rows(GenerateOptions(format=fmt, batch_size=batch_size))

    assert rows("parquet", BLOCK_ROWS) == TASK_ROWS
    assert rows("parquet", 16_384) == TASK_ROWS
    assert rows("parquet", 4096) is None  # many small groups: pyarrow's writer is faster
    assert rows("parquet", 2 * BLOCK_ROWS) == 2 * BLOCK_ROWS
    assert rows("parquet", MAX_ENCODED_TASK_ROWS + BLOCK_ROWS) is None  # too big a task
    assert rows("parquet", 1000) is None  # no small common multiple with BLOCK_ROWS
    assert rows("jsonl", 1000) == rows("csv", 4097) == TASK_ROWS


def test_file_is_identical_across_workers_and_batch_sizes(tmp_path: Path) -> None:
    """Workers encode the row groups (batch sizes dividing a block) or the parent does; for
    one batch size, the bytes do not depend on the workers either (the Parquet case of
    ``test_file_bytes_do_not_depend_on_workers``)."""
    tables, digests = [], {}
    for workers, batch_size in [(1, 65_536), (2, 65_536), (2, 16_384), (1, 1000), (2, 4097)]:
        options = GenerateOptions(rows=ROWS, seed=5, workers=workers, batch_size=batch_size)
        out = tmp_path / f"w{workers}-b{batch_size}.parquet"
        summary = generate_dataset(out, options, progress=False)
        assert summary.rows == ROWS
        metadata = pq.ParquetFile(out).metadata
        assert metadata.num_row_groups == -(-ROWS // min(batch_size, ROWS))
        assert metadata.row_group(0).num_rows == min(batch_size, ROWS)
        tables.append(pq.read_table(out).combine_chunks())
        digests.setdefault(batch_size, set()).add(sha256_file(out))
    assert all(table.equals(tables[0]) for table in tables[1:])
    assert tables[0].num_rows == ROWS
    assert all(len(found) == 1 for found in digests.values()), digests


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_file_bytes_do_not_depend_on_workers(tmp_path: Path, fmt: str) -> None:
    digests = set()
    for workers in (1, 2):
        options = GenerateOptions(rows=ROWS, seed=6, workers=workers, format=fmt)
        out = tmp_path / f"w{workers}{SUFFIXES[fmt]}"
        summary = generate_dataset(out, options, progress=False)
        assert summary.rows == ROWS
        digests.add(sha256_file(out))
    assert len(digests) == 1


def test_workers_from_a_fork_server_give_the_same_bytes(tmp_path: Path) -> None:
    """With another thread alive, workers come from a fork server, not a plain fork."""
    options = GenerateOptions(rows=ROWS, seed=6, workers=2)
    forked = generate_dataset(tmp_path / "forked.parquet", options, progress=False)
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert runner._context().get_start_method() != "fork"
        served = generate_dataset(tmp_path / "served.parquet", options, progress=False)
    finally:
        release.set()
        other.join()
    assert sha256_file(served.path) == sha256_file(forked.path)


def test_directory_parts_are_identical_across_workers(tmp_path: Path) -> None:
    manifests = []
    for workers in (1, 2):
        options = GenerateOptions(rows=ROWS, seed=3, workers=workers)
        out = tmp_path / f"w{workers}"
        summary = generate_dataset(out, options, progress=False, part_rows=BLOCK_ROWS)
        assert summary.is_directory
        assert len(summary.files) == 2
        manifest = json.loads((out / "manifest.json").read_text())
        manifests.append(manifest["files"])
        for entry in manifest["files"]:
            assert sha256_file(out / entry["name"]) == entry["sha256"]
            assert pq.ParquetFile(out / entry["name"]).metadata.num_rows == entry["rows"]
    assert manifests[0] == manifests[1]
    parts = [str(path) for path in sorted((tmp_path / "w1").glob("part-*.parquet"))]
    whole = pq.read_table(parts).combine_chunks()
    single = tmp_path / "single.parquet"
    generate_dataset(single, GenerateOptions(rows=ROWS, seed=3), progress=False)
    assert pq.read_table(single).combine_chunks().equals(whole)


class Boom(RuntimeError):
    """Raised by the sabotaged block function."""


def _sabotage(monkeypatch: pytest.MonkeyPatch, after: int) -> None:
    """Make ``make_block`` fail after ``after`` successful calls (in-process runs only)."""
    real = block.make_block
    calls = {"n": 0}

    def failing(options: GenerateOptions, start: int, stop: int) -> pa.Table:
        calls["n"] += 1
        if calls["n"] > after:
            raise Boom("disk on fire")
        return real(options, start, stop)

    monkeypatch.setattr(block, "make_block", failing)


@pytest.mark.parametrize("out", ["nested/dir/x.parquet", "nested/dir/x.jsonl", "nested/parts/"])
def test_a_failure_midway_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, out: str
) -> None:
    _sabotage(monkeypatch, after=1)  # the first task's rows are already on disk
    fmt = "jsonl" if out.endswith(".jsonl") else "parquet"
    rows = TASK_ROWS + BLOCK_ROWS
    options = GenerateOptions(rows=rows, workers=1, format=fmt, batch_size=1000)
    with pytest.raises(Boom):
        generate_dataset(tmp_path / out, options, progress=False, part_rows=BLOCK_ROWS)
    assert list(tmp_path.iterdir()) == []  # no final file, no temporary, no parent dirs


def test_a_failure_keeps_the_previous_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    out = tmp_path / "x.parquet"
    generate_dataset(out, GenerateOptions(rows=100), progress=False)
    before = out.read_bytes()
    _sabotage(monkeypatch, after=0)
    with pytest.raises(Boom):
        generate_dataset(out, GenerateOptions(rows=ROWS), overwrite=True, progress=False)
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "x.parquet",
        "x.parquet.card.md",
        "x.parquet.croissant.json",
    ]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_while_workers_start_is_raised_once_they_are_up() -> None:
    reached = []
    with pytest.raises(KeyboardInterrupt), runner._sigint_deferred():
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)  # Python runs handlers between bytecodes: give it the chance
        reached.append("end of block")
    assert reached == ["end of block"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.slow
def test_a_million_rows_on_two_workers_in_bounded_memory(tmp_path: Path) -> None:
    """Memory is flat: a million rows peak no higher than 262,144 (four tasks, every
    worker past its first block) bar noise, and under a budget. The peak is the corpora's
    tables and one block's arrays, so it moves with the templates, not with the rows
    (about 480 MB in the README's runs; CI measured 503 MB at 2412c4a)."""
    script = (
        "import json, sys; from breachbench.generator.api import generate_dataset;"
        "from breachbench.generator.options import GenerateOptions;"
        "s = generate_dataset(sys.argv[1], GenerateOptions(rows=int(sys.argv[2]), seed=1,"
        " workers=2), progress=False); print(json.dumps([s.rows, s.bytes, s.peak_rss_bytes]))"
    )

    def run(rows: int) -> tuple[Path, int, int]:
        out = tmp_path / f"m{rows}.parquet"
        result = subprocess.run(
            [sys.executable, "-c", script, str(out), str(rows)],
            capture_output=True,
            text=True,
            check=True,
        )
        written, size, peak = json.loads(result.stdout)
        assert written == pq.ParquetFile(out).metadata.num_rows == rows
        assert os.path.getsize(out) == size
        return out, size, peak

    _, _, small_peak = run(262_144)
    out, _, peak = run(1_000_000)
    assert peak < small_peak * 1.05 + 16 * 2**20, (small_peak, peak)
    # The templates' tables are most of a worker (316,020 templates since the frames'
    # wordings, some 80 MB more; a block of 131,072 rows, some 20 MB): 610 MB measured.
    assert peak < 660 * 2**20
    ids = pq.read_table(out, columns=["patient_id"])["patient_id"]
    assert len(ids.unique()) == 1_000_000
