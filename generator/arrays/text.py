"""Building string columns from numbers without a Python loop per row.

Fixed-width fields (NIR, phone numbers, ids) are written as byte matrices, one row per
value, then handed to Arrow as a string array over the same buffer: millions of values
cost a few numpy operations. Strings made of parts (addresses, emails, dates, comments)
are rows of indices into a pool of every part, taken and joined once (:func:`join_pieces`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_ZERO = ord("0")


# Every 4-digit group "0000".."9999" as bytes: digits are looked up, never divided out.
_GROUP = 4
_GROUPS = (
    (np.arange(10**_GROUP)[:, None] // 10 ** np.arange(_GROUP - 1, -1, -1)) % 10 + _ZERO
).astype(np.uint8)


def row_items(matrix: np.ndarray) -> np.ndarray:
    """The rows of a ``(n, w)`` byte matrix as ``n`` opaque ``w``-byte items (a view).

    Gathering items (``items[index]``) moves a row per element: a 2-D fancy index on the
    matrix moves it byte by byte, several times slower.
    """
    matrix = np.ascontiguousarray(matrix, dtype=np.uint8)
    return matrix.view(f"V{matrix.shape[1]}")[:, 0]


# Group tables by width: ``_GROUP_ITEMS[s][v]`` is the s digits of v < 10**s, one item.
_GROUP_ITEMS = {s: row_items(_GROUPS[: 10**s, _GROUP - s :]) for s in range(1, _GROUP + 1)}


def _pack(items: Sequence[np.ndarray], n: int) -> np.ndarray:
    """Byte items side by side, as an ``(n, total width)`` uint8 matrix.

    Each part is assigned to one field of a packed structured array, which copies a
    whole item per row; ``np.hstack`` of narrow matrices copies byte by byte, several
    times slower. A part of length 1 (a constant) is broadcast to every row.
    """
    widths = [item.dtype.itemsize for item in items]
    layout = np.dtype(
        {
            "names": [f"f{i}" for i in range(len(items))],
            "formats": [item.dtype for item in items],
            "offsets": np.cumsum([0, *widths[:-1]]).tolist(),
            "itemsize": sum(widths),
        }
    )
    out = np.empty(n, dtype=layout)
    for i, item in enumerate(items):
        out[f"f{i}"] = item
    return out.view(np.uint8).reshape(n, layout.itemsize)


def hcat(blocks: Sequence[np.ndarray]) -> np.ndarray:
    """``np.hstack`` of ``(n, w)`` uint8 matrices, faster; a block may also be 1-D
    :func:`row_items`, and a broadcast block (stride 0) repeats its one row."""
    blocks = [block for block in blocks if block.ndim == 1 or block.shape[1] > 0]
    if not blocks:
        return np.zeros((0, 0), dtype=np.uint8)
    items = [
        block if block.ndim == 1 else row_items(block[:1] if block.strides[0] == 0 else block)
        for block in blocks
    ]
    return _pack(items, max(len(block) for block in blocks))


def digit_items(values: np.ndarray, width: int) -> list[np.ndarray]:
    """:func:`digit_matrix` as a list of :func:`row_items` (groups of up to 4 digits),
    for callers that put more fields side by side: one pack instead of two."""
    values = np.asarray(values, dtype=np.int64)
    items = []
    remaining = width
    while remaining > 0:
        size = min(_GROUP, remaining)
        remaining -= size
        chunk = values // 10**remaining if remaining else values
        items.append(_GROUP_ITEMS[size][chunk % 10**size])
    return items


def digit_matrix(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal digits of non-negative integers, as a ``(n, width)`` uint8 array."""
    items = digit_items(values, width)
    if not items:
        return np.zeros((len(values), 0), dtype=np.uint8)
    return _pack(items, len(values))


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
    """Concatenate fixed-width byte matrices (or :func:`row_items`) and literals
    column-wise into strings."""
    blocks = [literal_matrix(p, n) if isinstance(p, str) else p for p in parts]
    blocks = [block for block in blocks if block.ndim == 1 or block.shape[1] > 0]
    return strings_from_matrix(hcat(blocks) if blocks else np.zeros((n, 0), np.uint8))


def choose(index: np.ndarray, options: list[pa.Array]) -> pa.Array:
    """Per row, the value of ``options[index[row]]``: formats differ row by row."""
    return pc.choose(pa.array(index, type=pa.int8()), *options)


def string_pool(parts: Sequence[pa.Array]) -> tuple[pa.Array, list[int]]:
    """The parts as one string array, and where each part starts in it.

    Strings built from several tables are then one ``take`` of indices into a single pool.
    """
    starts = np.cumsum([0, *(len(part) for part in parts)]).tolist()
    return pa.concat_arrays([part.cast(pa.string()) for part in parts]), starts


class HeadedPool:
    """A fixed head of strings with a tail that changes at every call, as one array.

    The comment pool is every literal variant (megabytes, fixed per process) followed by
    a block's slot values (a few hundred kilobytes): ``pa.concat_arrays`` would copy the
    head at every block. Here the head is copied once into buffers with room after it,
    and each call writes only its tail there. The array a call returns is valid until the
    next call on the same thread (each thread has its own buffers): take from it, do not
    keep it.
    """

    def __init__(self, head: pa.Array) -> None:
        head = head.cast(pa.string())
        if head.null_count:
            raise ValueError("HeadedPool: the head holds nulls")
        offsets = _offsets(head)
        self._head_offsets = (offsets - offsets[0]).astype(np.int32)
        self._head_data = _data(head, offsets)
        self._local = threading.local()

    def __len__(self) -> int:
        return len(self._head_offsets) - 1

    def with_tail(self, tail: pa.Array) -> pa.Array:
        """The head then ``tail`` (strings without nulls), as one string array."""
        if tail.null_count:
            raise ValueError("HeadedPool: the tail holds nulls")
        tail_offsets = _offsets(tail)
        tail_data = _data(tail, tail_offsets)
        n_head, head_bytes = len(self), len(self._head_data)
        n, size = n_head + len(tail), head_bytes + len(tail_data)
        if size >= 2**31:
            raise ValueError("HeadedPool: more than 2 GiB of strings")
        offsets, data = self._buffers(n + 1, size)
        offsets[n_head + 1 : n + 1] = tail_offsets[1:] - tail_offsets[0] + head_bytes
        data[head_bytes:size] = tail_data
        return pa.Array.from_buffers(
            pa.string(), n, [None, pa.py_buffer(offsets[: n + 1]), pa.py_buffer(data[:size])]
        )

    def _buffers(self, n_offsets: int, size: int) -> tuple[np.ndarray, np.ndarray]:
        """This thread's offsets and bytes, the head in place, with room for the tail."""
        local = self._local
        offsets, data = getattr(local, "offsets", None), getattr(local, "data", None)
        if offsets is None or len(offsets) < n_offsets or len(data) < size:
            # Half as much room again as asked: tails vary a little from block to block.
            head_count, head_bytes = len(self._head_offsets), len(self._head_data)
            offsets = np.empty(head_count + (n_offsets - head_count) * 3 // 2 + 1, np.int32)
            data = np.empty(head_bytes + (size - head_bytes) * 3 // 2 + 1, np.uint8)
            offsets[:head_count] = self._head_offsets
            data[:head_bytes] = self._head_data
            local.offsets, local.data = offsets, data
        return offsets, data


def _offsets(strings: pa.Array) -> np.ndarray:
    """A string array's offsets as numpy, for its own slice."""
    buffer = strings.buffers()[1]
    return np.frombuffer(buffer, np.int32, count=len(strings) + 1, offset=4 * strings.offset)


def _data(strings: pa.Array, offsets: np.ndarray) -> np.ndarray:
    """The bytes of a string array's own values (no copy)."""
    buffer = strings.buffers()[2]
    if buffer is None:
        return np.zeros(0, np.uint8)
    return np.frombuffer(buffer, np.uint8)[offsets[0] : offsets[-1]]


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


def literal_tokens(patterns: Sequence[Sequence[str]]) -> list[str]:
    """The distinct literal tokens of ``patterns`` (not ``{name}``), in first-seen order."""
    tokens = (token for pattern in patterns for token in pattern)
    return list(dict.fromkeys(t for t in tokens if not _TOKEN.fullmatch(t)))


@dataclass(frozen=True)
class Patterns:
    """Written forms (``"{first}.{last}{nn}"``) compiled to render rows from a string pool.

    A rendered row is the list of pool indices of its pieces, joined by
    :func:`join_pieces`: a ``{token}`` reads the index a per-row column gives, a literal
    its own entry of the pool (the caller puts the :func:`literal_tokens` in it).
    Building every value string first and joining per pattern cost several times more,
    for strings that are only ever concatenated.
    """

    # Per pattern, per token: the column it reads, or None and the literal's pool index.
    tokens: tuple[tuple[tuple[str | None, int], ...], ...]
    counts: np.ndarray  # tokens per pattern

    @classmethod
    def compile(
        cls, patterns: Sequence[Sequence[str]], literal_index: Mapping[str, int]
    ) -> Patterns:
        """``literal_index``: where each literal token sits in the pool."""
        tokens = tuple(
            tuple((t, 0) if _TOKEN.fullmatch(t) else (None, literal_index[t]) for t in pattern)
            for pattern in patterns
        )
        return cls(tokens, np.array([len(p) for p in tokens], dtype=np.int64))

    def indices(
        self, choice: np.ndarray, columns: Mapping[str, np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Every row's piece indices end to end, and where each row's start (n + 1).

        Rows are grouped by pattern, and each token of a pattern writes its pieces for
        all the pattern's rows at once: work in proportion to the pieces, where a
        (rows x longest pattern) table costs several times more.
        """
        choice = np.asarray(choice, dtype=np.int64)
        offsets = np.zeros(len(choice) + 1, dtype=np.int64)
        np.cumsum(self.counts[choice], out=offsets[1:])
        index = np.empty(offsets[-1], dtype=np.int64)
        order = stable_order(choice)
        bounds = np.zeros(len(self.tokens) + 1, dtype=np.int64)
        np.cumsum(np.bincount(choice, minlength=len(self.tokens)), out=bounds[1:])
        for pattern, tokens in enumerate(self.tokens):
            rows = order[bounds[pattern] : bounds[pattern + 1]]
            if len(rows) == 0:
                continue
            at = offsets[rows]
            for j, (name, literal) in enumerate(tokens):
                index[at + j] = literal if name is None else columns[name][rows]
        return index, offsets


def stable_order(keys: np.ndarray) -> np.ndarray:
    """``np.argsort(keys, kind="stable")`` for small non-negative ids (pattern or slot
    ids): as 16-bit keys numpy radix-sorts them, several times faster than int64."""
    if len(keys) and keys.min() >= 0 and keys.max() < 2**16:
        keys = keys.astype(np.uint16)
    return np.argsort(keys, kind="stable")


def join_columns(pool: pa.Array, columns: Sequence[np.ndarray | int]) -> pa.Array:
    """Row ``i`` is ``pool[columns[0][i]] + pool[columns[1][i]] + ...``; an int column
    is the same entry on every row. See :func:`join_pieces`."""
    n = max((len(c) for c in columns if not isinstance(c, int)), default=0)
    index = np.empty((n, len(columns)), dtype=np.int64)
    for j, column in enumerate(columns):
        index[:, j] = column
    offsets = np.arange(0, n * len(columns) + 1, len(columns), dtype=np.int64)
    return join_pieces(pool, index.ravel(), offsets)


def join_pieces(
    pool: pa.Array,
    index: np.ndarray,
    offsets: np.ndarray,
    null: np.ndarray | None = None,
    capitalise: np.ndarray | None = None,
) -> pa.Array:
    """Row ``i`` is ``pool[index[offsets[i]:offsets[i + 1]]]`` concatenated; null where
    ``null`` is true. One take, whatever the number of rows. The pieces at positions
    ``capitalise`` (of ``index``) start with a capital (:func:`capitalise_bytes`).

    The take lays every row's pieces end to end in one buffer, so the joined strings are
    already there: row ``i`` spans from its first piece's start to its last piece's end,
    and only the offsets are new. A join kernel would copy all the bytes a second time.
    """
    pieces = pool.take(pa.array(index, type=pa.int64()))
    if pieces.null_count:
        raise ValueError("join_pieces: the pool holds nulls")
    _, piece_offsets_buffer, data = pieces.buffers()
    piece_offsets = np.frombuffer(
        piece_offsets_buffer, dtype=np.int32, count=len(pieces) + 1, offset=4 * pieces.offset
    )
    if capitalise is not None and len(capitalise):
        at = piece_offsets[np.asarray(capitalise)]
        at = at[at < piece_offsets[np.asarray(capitalise) + 1]]  # empty pieces stay
        data = capitalise_bytes(data, at)
    row_offsets = piece_offsets[np.asarray(offsets)]
    n = len(row_offsets) - 1
    validity, null_count = None, 0
    if null is not None and null.any():
        validity = pa.array(~np.asarray(null, dtype=bool), type=pa.bool_()).buffers()[1]
        null_count = int(np.count_nonzero(null))
    return pa.Array.from_buffers(
        pa.string(), n, [validity, pa.py_buffer(row_offsets), data], null_count=null_count
    )


# UTF-8 lead bytes of the two-byte lower-case letters of French whose capital is the same
# lead byte with the continuation byte 0x20 lower ("é" C3 A9 -> "É" C3 89), and "œ".
_LATIN1_LEAD, _LATIN1_LOW, _LATIN1_HIGH, _DIVIDE = 0xC3, 0xA0, 0xBE, 0xB7
_OE_LEAD, _OE_LOWER, _OE_UPPER = 0xC5, 0x93, 0x92


def capitalise_bytes(data: pa.Buffer, at: np.ndarray) -> pa.Buffer:
    """A copy of UTF-8 ``data`` where the character starting at each byte offset ``at``
    is a capital if it was a lower-case letter of French (a-z, à-þ, œ); other characters
    are left alone. Capitals take as many bytes as the letters they replace, so every
    string keeps its length and every span its offsets."""
    out = np.frombuffer(data, dtype=np.uint8).copy()
    at = np.asarray(at, dtype=np.int64)
    first = out[at]
    ascii_lower = (first >= 0x61) & (first <= 0x7A)
    out[at[ascii_lower]] -= 0x20
    two = at[(first == _LATIN1_LEAD) | (first == _OE_LEAD)]
    two = two[two + 1 < len(out)]
    lead, follow = out[two], out[two + 1]
    latin = (lead == _LATIN1_LEAD) & (follow >= _LATIN1_LOW) & (follow <= _LATIN1_HIGH)
    latin &= follow != _DIVIDE
    out[two[latin] + 1] -= 0x20
    out[two[(lead == _OE_LEAD) & (follow == _OE_LOWER)] + 1] = _OE_UPPER
    return pa.py_buffer(out)
