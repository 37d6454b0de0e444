"""Ragged gathers: the runs they list are exactly the Python ranges."""

from __future__ import annotations

import numpy as np
from breachbench.generator.arrays.ragged import ragged_positions
from hypothesis import given, settings
from hypothesis import strategies as st


@settings(max_examples=200, deadline=None)
@given(runs=st.lists(st.tuples(st.integers(0, 50), st.integers(0, 6)), max_size=12))
def test_ragged_positions_are_the_runs_end_to_end(runs: list[tuple[int, int]]) -> None:
    starts = np.array([start for start, _ in runs], dtype=np.int64)
    counts = np.array([count for _, count in runs], dtype=np.int64)

    positions = ragged_positions(starts, counts)

    assert positions.tolist() == [p for start, count in runs for p in range(start, start + count)]
