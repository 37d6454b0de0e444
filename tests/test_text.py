"""String building helpers: what they build must equal the plain Python join."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from breachbench.generator.arrays.text import join_pieces
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
