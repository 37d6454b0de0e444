"""Render Arrow arrays as compact JSON text, a column at a time.

Why this exists: encoding JSON lines row by row (``to_pylist`` then :mod:`json`) built a
Python object for every value of every row; it cost most of a JSON-lines run's time and
memory. Here each column becomes an Arrow string array of JSON values, built with
Arrow compute kernels and numpy, and the values are joined row-wise with the keys in one
kernel call. The text is byte for byte what ``json.JSONEncoder(ensure_ascii=False,
separators=(",", ":"))`` writes for ``to_pylist()`` values, dates and timestamps written as
``isoformat()``:

- strings escape only ``"``, ``\\`` and U+0000-U+001F (``\\n \\r \\t \\b \\f``, the others
  as ``\\u00XX``); everything else, U+2028 and DEL included, stays raw UTF-8;
- integers are decimal, booleans ``true``/``false``, nulls ``null``;
- dates are ``YYYY-MM-DD``; naive timestamps ``YYYY-MM-DDTHH:MM:SS`` plus ``.ffffff`` when
  the sub-second part is not zero;
- objects keep their column or field order, lists their element order.

Rare cases take the exact slow path, for the rows concerned only: strings holding control
characters that have no short escape, and values of types not handled here (including
dates and timestamps outside years 1-9999, where Python raises just as the row-by-row
encoder did).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: Rows rendered per kernel call: bounds the memory of the intermediate arrays (some MB)
#: and keeps the int32 offsets of Arrow strings far from overflowing. Fewer rows cost
#: more calls (below 16,384, noticeably); more save nothing.
SLICE_ROWS = 32_768

#: A part of the JSON text of every value: literal text, or one string per value. The
#: concatenation of a value's pieces, in order, is its JSON text. An array piece is null
#: only where it stands for a whole value that is null, written ``null``.
Piece = pa.Array | str

_ESCAPES: dict[int, str] = {
    ord("\\"): "\\\\",  # first: the escapes below add backslashes of their own
    ord('"'): '\\"',
    ord("\n"): "\\n",
    ord("\r"): "\\r",
    ord("\t"): "\\t",
    ord("\b"): "\\b",
    ord("\f"): "\\f",
}
#: Control characters written ``\\u00XX``: rare, left to Python's encoder.
_LONG_ESCAPE = np.zeros(256, dtype=bool)
_LONG_ESCAPE[:0x20] = True
_LONG_ESCAPE[list(_ESCAPES)] = False
#: Past the end of any string: where :func:`_around` appends.
_END = 2**31 - 1

_MIN_DAY = -719_162  # 0001-01-01, the first date Python has, in days since 1970-01-01
_MAX_DAY = 2_932_896  # 9999-12-31, the last one
_UNITS_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000}
_SECONDS_PER_DAY = 86_400


def _python_default(value: object) -> str:
    """Dates and datetimes as ``isoformat()``, as the row-by-row JSON-lines writer did."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_python_default).encode


# --------------------------------------------------------------------------- public


def json_lines(table: pa.Table) -> bytes:
    """One compact JSON object per row, keys in column order, each ending with a newline."""
    pieces: list[pa.Buffer] = []
    for batch in table.to_batches(max_chunksize=SLICE_ROWS):
        lines = _object_pieces(batch.schema.names, batch.columns)
        pieces.append(_text_bytes(_join([*lines, "\n"], batch.num_rows)))
    return b"".join(pieces)


def json_values(array: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """The JSON text of each value (``null`` for a null), as strings with no null.

    An array gives an array, a chunked array a chunked array.
    """
    if isinstance(array, pa.ChunkedArray):
        return pa.chunked_array([json_values(chunk) for chunk in array.chunks], pa.string())
    slices = [
        _join(_value_pieces(array.slice(start, SLICE_ROWS)), min(SLICE_ROWS, len(array) - start))
        for start in range(0, len(array), SLICE_ROWS)
    ]
    if len(slices) == 1:
        return slices[0]
    return pa.concat_arrays(slices) if slices else pa.array([], pa.string())


# --------------------------------------------------------------------------- assembly


def _join(pieces: Sequence[Piece], length: int) -> pa.Array:
    """Concatenate pieces value by value: one string array of ``length`` values, no null."""
    merged = _merged(pieces)
    arrays = [piece for piece in merged if isinstance(piece, pa.Array)]
    if not arrays:
        return pa.repeat(pa.scalar("".join(merged), pa.string()), length)  # type: ignore[arg-type]
    if len(arrays) == 1:  # text around one array: insertions, twice as fast as a join
        where = next(i for i, piece in enumerate(merged) if piece is arrays[0])
        before, after = merged[:where], merged[where + 1 :]  # at most one literal each
        single = arrays[0].fill_null("null") if arrays[0].null_count else arrays[0]
        return _around(single, "".join(before), "".join(after))  # type: ignore[arg-type]
    return pc.binary_join_element_wise(
        *merged, "", null_handling="replace", null_replacement="null"
    )


def _merged(pieces: Sequence[Piece]) -> list[Piece]:
    """The same pieces with consecutive literals merged and empty ones dropped."""
    merged: list[Piece] = []
    for piece in pieces:
        if isinstance(piece, str) and merged and isinstance(merged[-1], str):
            merged[-1] += piece
        elif not (isinstance(piece, str) and piece == ""):
            merged.append(piece)
    return merged


def _around(strings: pa.Array, before: str, after: str) -> pa.Array:
    """``before + value + after`` for each value; nulls stay null."""
    if before:
        strings = pc.binary_replace_slice(strings, 0, 0, before)
    if after:
        strings = pc.binary_replace_slice(strings, _END, _END, after)
    return strings


def _text_bytes(strings: pa.Array) -> pa.Buffer:
    """The UTF-8 bytes of every value of a string array with no null, back to back."""
    if len(strings) == 0:
        return pa.py_buffer(b"")
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int32)
    first, last = offsets[strings.offset], offsets[strings.offset + len(strings)]
    data = strings.buffers()[2]
    return data.slice(first, last - first) if data is not None else pa.py_buffer(b"")


def _value_pieces(array: pa.Array) -> list[Piece]:
    """Pieces of the JSON text of each value of ``array``, nulls included."""
    for accepts, render, keeps_nulls in _RENDERERS:
        if accepts(array.type):
            pieces = render(array)
            if array.null_count == 0 or keeps_nulls:
                return pieces
            # A null stands for a whole value: one piece, null where ``array`` is.
            text = _join(pieces, len(array))
            return [pc.if_else(array.is_valid(), text, pa.scalar(None, pa.string()))]
    return [_python_text(array)]


def _object_pieces(names: Sequence[str], children: Sequence[pa.Array]) -> list[Piece]:
    """Pieces of ``{"name":value,...}``, from one child array per key."""
    pieces: list[Piece] = ["{"]
    for index, (name, child) in enumerate(zip(names, children, strict=True)):
        pieces.append(("," if index else "") + _dumps(name) + ":")
        pieces.extend(_value_pieces(child))
    pieces.append("}")
    return pieces


def _python_text(array: pa.Array) -> pa.Array:
    """The exact slow path: Python's encoder, value by value."""
    return pa.array([_dumps(value) for value in array.to_pylist()], pa.string())


# --------------------------------------------------------------------------- strings


def _string_bytes(strings: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The offsets of a string array (one more than values) and its bytes, zero-copy."""
    dtype = np.int64 if pa.types.is_large_string(strings.type) else np.int32
    offsets = np.frombuffer(strings.buffers()[1], dtype=dtype)
    offsets = offsets[strings.offset : strings.offset + len(strings) + 1]
    data = strings.buffers()[2]
    values = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    return offsets, values


def _needs_escape(values: np.ndarray) -> np.ndarray:
    """Which bytes JSON escapes. UTF-8 continuation bytes are >= 0x80: a byte test is exact."""
    return (values < 0x20) | (values == ord('"')) | (values == ord("\\"))


def _needs_long_escape(values: np.ndarray) -> np.ndarray:
    """Which bytes are control characters without a short escape (``\\u00XX``)."""
    return _LONG_ESCAPE[values]


def _rows_holding(strings: pa.Array, wanted: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Indices of the values holding at least one byte that ``wanted`` flags."""
    if len(strings) == 0:
        return np.zeros(0, dtype=np.int64)
    offsets, values = _string_bytes(strings)
    hits = np.flatnonzero(wanted(values[offsets[0] : offsets[-1]])) + offsets[0]
    rows = np.unique(np.searchsorted(offsets, hits, side="right") - 1)
    if strings.null_count:  # the bytes behind a null are not its value
        rows = rows[strings.is_valid().to_numpy(zero_copy_only=False)[rows]]
    return rows


def _escaped_subset(strings: pa.Array) -> pa.Array:
    """JSON-escaped ``strings`` (without quotes); each must hold something to escape."""
    escaped = strings
    present = np.bincount(_string_bytes(strings)[1], minlength=256) > 0
    for byte, escape in _ESCAPES.items():
        if present[byte]:
            escaped = pc.replace_substring(escaped, chr(byte), escape)
    rare = _rows_holding(strings, _needs_long_escape) if present[_LONG_ESCAPE].any() else []
    if len(rare):
        fixed = [_dumps(text)[1:-1] for text in strings.take(pa.array(rare)).to_pylist()]
        escaped = pc.replace_with_mask(escaped, _mask(len(strings), rare), pa.array(fixed))
    return escaped


def _mask(length: int, rows: np.ndarray) -> pa.Array:
    """A boolean array, true at ``rows``."""
    mask = np.zeros(length, dtype=bool)
    mask[rows] = True
    return pa.array(mask)


def _string_pieces(strings: pa.Array) -> list[Piece]:
    """``"..."`` with the escapes JSON needs, touching only the values that need any."""
    if not pa.types.is_string(strings.type):
        strings = strings.cast(pa.string())
    rows = _rows_holding(strings, _needs_escape)
    if rows.size:
        subset = _escaped_subset(strings.take(pa.array(rows)))
        strings = pc.replace_with_mask(strings, _mask(len(strings), rows), subset)
    if strings.null_count:
        return [_around(strings, '"', '"')]  # null stays null
    return ['"', strings, '"']


# --------------------------------------------------------------------------- scalars


def _bool_pieces(values: pa.Array) -> list[Piece]:
    return [pc.if_else(values, "true", "false")]


def _int_pieces(values: pa.Array) -> list[Piece]:
    return [values.cast(pa.string())]


def _put_digits(chars: np.ndarray, column: int, numbers: np.ndarray, width: int) -> None:
    """Write ``numbers`` (>= 0) zero-padded to ``width`` digits at ``chars[:, column:]``."""
    # One-byte arithmetic where it fits: four times less memory to go through.
    numbers = numbers.astype(np.uint8 if width <= 2 else np.int32)
    for place in range(width):
        chars[:, column + width - 1 - place] = numbers // 10**place % 10 + ord("0")


def _put_text(chars: np.ndarray, column: int, text: str) -> None:
    """Write the same ASCII ``text`` on every row, from ``column`` on."""
    for index, char in enumerate(text):
        chars[:, column + index] = ord(char)


def _put_date(chars: np.ndarray, column: int, days: np.ndarray) -> None:
    """Write ``YYYY-MM-DD`` (10 characters) for days since 1970-01-01, years 1-9999.

    Integer arithmetic (H. Hinnant's civil_from_days): numpy's calendar conversions
    cost several times more.
    """
    shifted = (days + 719_468).astype(np.int32)  # days since 0000-03-01
    era = shifted // 146_097
    day_of_era = shifted - era * 146_097
    year_of_era = (
        day_of_era - day_of_era // 1460 + day_of_era // 36_524 - day_of_era // 146_096
    ) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    month_from_march = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * month_from_march + 2) // 5 + 1
    month = np.where(month_from_march < 10, month_from_march + 3, month_from_march - 9)
    year = year_of_era + era * 400 + (month <= 2)
    _put_digits(chars, column, year, 4)
    _put_text(chars, column + 4, "-")
    _put_digits(chars, column + 5, month, 2)
    _put_text(chars, column + 7, "-")
    _put_digits(chars, column + 8, day, 2)


def _strings_from_chars(chars: np.ndarray, lengths: np.ndarray | None = None) -> pa.Array:
    """A string array from rows of ASCII bytes, each cut to its length if ``lengths``."""
    count, width = chars.shape
    if lengths is None:
        lengths = np.full(count, width, dtype=np.int32)
        data = chars.reshape(-1)
    else:
        data = chars[np.arange(width) < lengths[:, None]]
    offsets = np.zeros(count + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    return pa.StringArray.from_buffers(count, pa.py_buffer(offsets), pa.py_buffer(data))


def _in_python_range(days: np.ndarray, array: pa.Array) -> bool:
    """Whether every valid value falls in years 1-9999, as Python's dates do."""
    inside = (days >= _MIN_DAY) & (days <= _MAX_DAY)
    if array.null_count:
        inside |= ~array.is_valid().to_numpy(zero_copy_only=False)
    return bool(inside.all())


def _date_pieces(dates: pa.Array) -> list[Piece]:
    """``"YYYY-MM-DD"``, as ``date.isoformat()``."""
    days = dates.cast(pa.int32()).fill_null(0).to_numpy()
    if not _in_python_range(days, dates):
        return [_python_text(dates)]
    chars = np.empty((len(days), 12), dtype=np.uint8)
    _put_text(chars, 0, '"')
    _put_date(chars, 1, days)
    _put_text(chars, 11, '"')
    return [_strings_from_chars(chars)]


def _timestamp_pieces(stamps: pa.Array) -> list[Piece]:
    """``"YYYY-MM-DDTHH:MM:SS[.ffffff]"``, as ``datetime.isoformat()`` of a naive datetime."""
    per_second = _UNITS_PER_SECOND[stamps.type.unit]
    units = stamps.cast(pa.int64()).fill_null(0).to_numpy()
    seconds, fraction = np.divmod(units, per_second)  # floor: fraction >= 0, as Python's
    days, clock = np.divmod(seconds, _SECONDS_PER_DAY)
    if not _in_python_range(days, stamps):
        return [_python_text(stamps)]
    clock = clock.astype(np.int32)
    whole = fraction == 0
    chars = np.empty((len(units), 21 if whole.all() else 28), dtype=np.uint8)
    _put_text(chars, 0, '"')
    _put_date(chars, 1, days)
    _put_text(chars, 11, "T")
    _put_digits(chars, 12, clock // 3600, 2)
    _put_text(chars, 14, ":")
    _put_digits(chars, 15, clock // 60 % 60, 2)
    _put_text(chars, 17, ":")
    _put_digits(chars, 18, clock % 60, 2)
    _put_text(chars, 20, '"')  # isoformat writes no fraction for whole seconds
    if whole.all():
        return [_strings_from_chars(chars)]
    _put_text(chars, 20, ".")
    _put_digits(chars, 21, fraction * (1_000_000 // per_second), 6)
    _put_text(chars, 27, '"')
    chars[whole, 20] = ord('"')
    return [_strings_from_chars(chars, np.where(whole, 21, 28))]


# --------------------------------------------------------------------------- nested


def _list_pieces(lists: pa.Array) -> list[Piece]:
    """``[element,...]``: elements rendered flat, then joined within each list."""
    offsets = lists.offsets.to_numpy()
    elements = lists.values.slice(offsets[0], offsets[-1] - offsets[0])
    texts = json_values(elements)
    rebuilt = type(lists).from_arrays(pa.array(offsets - offsets[0]), texts)
    return ["[", pc.binary_join(rebuilt, ","), "]"]


def _struct_pieces(structs: pa.Array) -> list[Piece]:
    """``{"field":value,...}`` in field order."""
    names = [field.name for field in structs.type]
    return _object_pieces(names, [structs.field(index) for index in range(len(names))])


def _is_plain_timestamp(dtype: pa.DataType) -> bool:
    return pa.types.is_timestamp(dtype) and dtype.tz is None and dtype.unit in _UNITS_PER_SECOND


#: (accepts the type, renders, its pieces are null where the value is). Types that no
#: entry accepts take Python's encoder.
_RENDERERS: tuple[
    tuple[Callable[[pa.DataType], bool], Callable[[pa.Array], list[Piece]], bool], ...
] = (
    (lambda t: pa.types.is_string(t) or pa.types.is_large_string(t), _string_pieces, True),
    (pa.types.is_boolean, _bool_pieces, True),
    (pa.types.is_integer, _int_pieces, True),
    (pa.types.is_date32, _date_pieces, False),
    (_is_plain_timestamp, _timestamp_pieces, False),
    (lambda t: pa.types.is_list(t) or pa.types.is_large_list(t), _list_pieces, False),
    (pa.types.is_struct, _struct_pieces, False),
)
