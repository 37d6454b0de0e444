"""What the pytest plugin's fixtures cost a detector's test suite, per test.

    pytest benchmarks/perf/test_plugin_perf.py --benchmark-enable -p no:xdist

``breach_records`` of a seed not seen yet in the process generates its 1,000 rows;
a seed seen before converts the cached table to a new list of dicts. The first table of
a process also loads the corpora arrays and fits the comment engine: it is made before
the timings, as it is paid once per process whatever the seeds.
"""

from __future__ import annotations

import itertools

from breachbench import pytest_plugin

ROWS = 1_000


def test_a_new_seed(benchmark) -> None:
    pytest_plugin._table(0, 1)  # the once-per-process load, outside the timing
    seeds = itertools.count(10_000)
    table = benchmark.pedantic(
        lambda: pytest_plugin._table(next(seeds), ROWS), rounds=5, iterations=1
    )
    assert table.num_rows == ROWS


def test_a_seed_seen_before(benchmark) -> None:
    pytest_plugin._table(1, ROWS)
    records = benchmark(lambda: pytest_plugin._table(1, ROWS).to_pylist())
    assert len(records) == ROWS
