"""String building helpers: what they build must equal the plain Python join."""

from __future__ import annotations

import concurrent.futures

import numpy as np
import pyarrow as pa
from breachbench.generator.arrays.text import HeadedPool, join_pieces
from hypothesis import given, settings
from hypothesis import strategies as st


@settings(max_examples=200, deadline=None)
@given(
    words=st.lists(st.text(max_size=5), min_size=1, max_size=8),
    rows=st.lists(st.lists(st.integers(0, 7), max_size=4), max_size=10),
    cut=st.integers(0, 3),
    data=st.data(),
)
def test_join_pieces_equals_python_join(
    words: list[str], rows: list[list[int]], cut: int, data: st.DataObject
) -> None:
    # A sliced pool: the take must not assume the pool starts at offset 0.
    pool = pa.array(words, type=pa.string()).slice(min(cut, len(words) - 1))
    rows = [[i % len(pool) for i in row] for row in rows]
    null = np.array(
        data.draw(st.lists(st.booleans(), min_size=len(rows), max_size=len(rows))), dtype=bool
    )
    index = np.array([i for row in rows for i in row], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum([len(row) for row in rows])]).astype(np.int64)

    joined = join_pieces(pool, index, offsets, null=null)

    joined.validate(full=True)
    expected = [
        None if is_null else "".join(pool[i].as_py() for i in row)
        for row, is_null in zip(rows, null, strict=True)
    ]
    assert joined.to_pylist() == expected


@settings(max_examples=100, deadline=None)
@given(
    head=st.lists(st.text(max_size=6), min_size=1, max_size=10),
    tails=st.lists(st.lists(st.text(max_size=12), max_size=30), min_size=1, max_size=5),
    cut=st.integers(0, 3),
)
def test_headed_pool_is_its_head_then_each_tail(
    head: list[str], tails: list[list[str]], cut: int
) -> None:
    # Sliced arrays on both sides: offsets must not be assumed to start at 0. Tails grow
    # and shrink from call to call, so the buffers are both reused and reallocated.
    pool = HeadedPool(pa.array(["x", *head], type=pa.string()).slice(1))
    for tail in tails:
        tail_array = pa.array(["yy"] * cut + tail, type=pa.string()).slice(cut)

        joined = pool.with_tail(tail_array)

        joined.validate(full=True)
        assert joined.to_pylist() == head + tail


def test_headed_pool_keeps_threads_apart() -> None:
    pool = HeadedPool(pa.array(["tête", "é"]))

    def tails(worker: int) -> bool:
        for size in range(1, 300):
            tail = [f"{worker}-{i}" for i in range(size)]
            if pool.with_tail(pa.array(tail)).to_pylist() != ["tête", "é", *tail]:
                return False
        return True

    with concurrent.futures.ThreadPoolExecutor(4) as executor:
        assert all(executor.map(tails, range(4)))
