"""Building string columns from numbers without a Python loop per row.

Fixed-width fields (NIR, phone numbers, ids) are written as byte matrices, one row per
value, then handed to Arrow as a string array over the same buffer: millions of values
cost a few numpy operations.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_ZERO = ord("0")


# Every 4-digit group "0000".."9999" as bytes: digits are looked up, never divided out.
_GROUP = 4
_GROUPS = (
    (np.arange(10**_GROUP)[:, None] // 10 ** np.arange(_GROUP - 1, -1, -1)) % 10 + _ZERO
).astype(np.uint8)


def digit_matrix(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal digits of non-negative integers, as a ``(n, width)`` uint8 array."""
    values = np.asarray(values, dtype=np.int64)
    groups = []
    remaining = width
    while remaining > 0:
        size = min(_GROUP, remaining)
        remaining -= size
        chunk = (values // 10**remaining) % 10**size
        groups.append(_GROUPS[chunk, _GROUP - size :])
    return groups[0] if len(groups) == 1 else np.hstack(groups)


def literal_matrix(text: str, n: int) -> np.ndarray:
    """A constant ASCII field repeated on ``n`` rows."""
    return np.broadcast_to(np.frombuffer(text.encode("ascii"), dtype=np.uint8), (n, len(text)))


def strings_from_matrix(matrix: np.ndarray) -> pa.StringArray:
    """Each row of an ASCII byte matrix becomes one string of the same width."""
    matrix = np.ascontiguousarray(matrix, dtype=np.uint8)
    n, width = matrix.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    return pa.Array.from_buffers(
        pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(matrix.tobytes())]
    )


def fixed_strings(*parts: np.ndarray | str, n: int) -> pa.StringArray:
    """Concatenate fixed-width byte matrices and literals column-wise into strings."""
    blocks = [literal_matrix(p, n) if isinstance(p, str) else p for p in parts]
    return strings_from_matrix(np.hstack(blocks) if blocks else np.zeros((n, 0), np.uint8))


def choose(index: np.ndarray, options: list[pa.Array]) -> pa.Array:
    """Per row, the value of ``options[index[row]]``: formats differ row by row."""
    return pc.choose(pa.array(index, type=pa.int8()), *options)


def take(values: pa.Array, index: np.ndarray) -> pa.Array:
    return values.take(pa.array(index, type=pa.int64()))


def join(*parts: pa.Array | str) -> pa.Array:
    """Element-wise concatenation; a null part makes the result null."""
    return pc.binary_join_element_wise(*parts, "")


def utf8_lengths(values: pa.Array) -> np.ndarray:
    """Length in code points (our span offsets), nulls counted as 0."""
    return pc.utf8_length(values).fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)


_TOKEN = re.compile(r"\{([a-z0-9]+)\}")


def pattern_tokens(pattern: str) -> list[str]:
    """Split ``"{d0}{d1} {d2}"`` into ``["{d0}", "{d1}", " ", "{d2}"]``: formats in data files."""
    parts = []
    position = 0
    for match in _TOKEN.finditer(pattern):
        if match.start() > position:
            parts.append(pattern[position : match.start()])
        parts.append(match.group(0))
        position = match.end()
    if position < len(pattern):
        parts.append(pattern[position:])
    return parts


def render_patterns(
    choice: np.ndarray, patterns: Sequence[Sequence[str]], values: Mapping[str, pa.Array]
) -> pa.Array:
    """Row ``i`` becomes ``patterns[choice[i]]`` with each ``{token}`` replaced by
    ``values[token][i]``: every pattern is joined on its own rows only, so the cost
    does not grow with the number of patterns."""
    n = len(choice)
    order = np.argsort(choice, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(choice, minlength=len(patterns)))])
    rendered = []
    for index, tokens in enumerate(patterns):
        rows = order[bounds[index] : bounds[index + 1]]
        if len(rows) == 0:
            continue
        picked = pa.array(rows)
        parts = [values[t].take(picked) if t in values else t for t in tokens]
        rendered.append(join(*parts) if len(parts) > 1 else _as_array(parts[0], len(rows)))
    if not rendered:
        return pa.array([], type=pa.string())
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = np.arange(n)
    return pa.concat_arrays(rendered).take(pa.array(inverse))


def _as_array(part: pa.Array | str, n: int) -> pa.Array:
    return pa.array([part] * n, type=pa.string()) if isinstance(part, str) else part
