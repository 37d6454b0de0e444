"""What the fault handling of issue 11 costs: ``pytest benchmarks/perf/test_fault_perf.py -s``.

- reading each layout ``generate`` writes (the span check included), rows/s;
- a detector run isolated (child process, JSON over a pipe) against in process: wall time
  of the whole run, and the comments/s each reports;
- ``generate --rows 10**13``: seconds to the first bytes on disk, and the writing
  process's resident memory meanwhile (the plan is lazy, so it stays flat).

Figures are printed, not asserted beyond sanity: they depend on the machine and its load.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from breachbench.benchmarks.adapters import open_detector
from breachbench.benchmarks.dataset import open_dataset
from breachbench.benchmarks.run import RunOptions, run_detector
from breachbench.generator.api import generate_dataset
from breachbench.generator.options import GenerateOptions

N_RECORDS = 100_000
LAYOUTS = {"parquet": "d.parquet", "csv": "d.csv", "jsonl": "d.jsonl", "jsonl-dir": "parts/"}


@pytest.fixture(scope="module")
def datasets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("faultperf")
    out = {}
    for layout, name in LAYOUTS.items():
        fmt = "jsonl" if layout.startswith("jsonl") else layout
        options = GenerateOptions(rows=N_RECORDS, seed=0, workers=2, format=fmt)  # type: ignore[arg-type]
        generate_dataset(root / name, options, progress=False)
        out[layout] = root / name
    return out


@pytest.mark.slow
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_reading_each_layout(datasets: dict[str, Path], layout: str) -> None:
    dataset = open_dataset(datasets[layout])
    started = time.perf_counter()
    rows = sum(batch.num_rows for batch in dataset.batches(65_536))
    seconds = time.perf_counter() - started
    print(f"\n{layout}: {rows:,} rows read and checked in {seconds:.2f} s, {rows / seconds:,.0f}/s")
    assert rows == N_RECORDS


@pytest.mark.slow
@pytest.mark.parametrize("name", ["none", "keywords"])
def test_isolated_against_in_process(datasets: dict[str, Path], name: str) -> None:
    dataset = open_dataset(datasets["parquet"])
    figures = {}
    for isolate in (False, True):
        started = time.perf_counter()
        outcome = run_detector(
            dataset,
            lambda isolate=isolate: open_detector(name, isolate=isolate),
            options=RunOptions(bootstrap=0),
        )
        wall = time.perf_counter() - started
        t = outcome.throughput.to_json()
        figures[isolate] = (wall, t["comments_per_second"], t["peak_memory_bytes"])
        assert outcome.records_scored == N_RECORDS
    for isolate, (wall, speed, memory) in figures.items():
        mode = "isolated  " if isolate else "in process"
        print(
            f"\n{name} {mode}: wall {wall:.2f} s, {speed:,.0f} comments/s,"
            f" memory {(memory or 0) / 2**20:.1f} MB"
        )


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_first_bytes_of_an_astronomical_run(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(
        [sys.executable, "-m", "breachbench", "generate", "--rows", str(10**13),
         "--workers", "2", "--out", "big.parquet", "--no-progress"],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(repo)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    started, first, peak = time.monotonic(), None, 0
    try:
        while time.monotonic() - started < 20:
            written = sum(p.stat().st_size for p in tmp_path.iterdir() if p.is_file())
            if written and first is None:
                first = time.monotonic() - started
            status = Path(f"/proc/{process.pid}/status").read_text()
            rss = next(int(x.split()[1]) for x in status.splitlines() if x.startswith("VmRSS"))
            peak = max(peak, rss * 1024)
            time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    print(
        f"\n10**13 rows: first bytes after {first:.1f} s; {written / 2**20:,.0f} MB in 20 s;"
        f" writing process at most {peak / 2**20:,.0f} MB resident"
    )
    assert first is not None and peak < 1024 * 2**20
    assert list(tmp_path.iterdir()) == []
