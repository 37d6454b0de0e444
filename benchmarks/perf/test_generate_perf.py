"""pytest-benchmark: a small end-to-end generation (run with ``--benchmark-enable``).

    pytest benchmarks/perf --benchmark-enable

Kept small so it also runs, unmeasured, in the normal suite's time budget; the scale figures
come from ``generate_perf.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from breachbench.generator.api import generate_dataset
from breachbench.generator.options import GenerateOptions

ROWS = 50_000


@pytest.mark.parametrize("workers", [1, 2])
def test_generate_small(benchmark, tmp_path: Path, workers: int) -> None:
    options = GenerateOptions(rows=ROWS, seed=0, workers=workers)
    out = tmp_path / "bench.parquet"

    def run():
        return generate_dataset(out, options, overwrite=True, progress=False)

    summary = benchmark.pedantic(run, rounds=3, iterations=1)
    assert summary.rows == ROWS
    benchmark.extra_info["rows_per_second"] = round(summary.rows_per_second)
