"""Column-wise JSON rendering gives, byte for byte, what Python's ``json`` gave row by row.

The reference below is the row-by-row encoder the writers used before
:mod:`generator.output.json_text`; every test compares against it, on generated tables and on
tables of the record schema full of awkward values.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from breachbench.generator import block
from breachbench.generator.block import BLOCK_ROWS
from breachbench.generator.contract.schema import RECORD_SCHEMA, SPAN_TYPE
from breachbench.generator.options import DIFFICULTIES, GenerateOptions
from breachbench.generator.output import json_text
from breachbench.generator.output.writers import (
    NESTED_JSON_COLUMNS,
    csv_bytes,
    jsonl_bytes,
    nested_as_json,
)
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

# --------------------------------------------------------------------------- reference


def _reference_default(value: object) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_reference_default)


def reference_jsonl(table: pa.Table) -> bytes:
    """JSON lines written row by row with the standard library: what :func:`jsonl_bytes`
    must write, byte for byte."""
    return "".join(_ENCODER.encode(row) + "\n" for row in table.to_pylist()).encode("utf-8")


def reference_values(array: pa.Array | pa.ChunkedArray) -> list[str]:
    return [_ENCODER.encode(value) for value in array.to_pylist()]


def reference_nested_as_json(table: pa.Table) -> pa.Table:
    """``nested_as_json`` done row by row with the standard library: what the column-wise
    one must give."""
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    for name in NESTED_JSON_COLUMNS:
        index = table.schema.get_field_index(name)
        texts = pa.array([encode(value) for value in table[name].to_pylist()], pa.string())
        field = table.schema.field(index).with_type(pa.string())
        table = table.set_column(index, field, texts)
    return table


def reference_csv(table: pa.Table) -> bytes:
    out = pa.BufferOutputStream()
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    pacsv.write_csv(reference_nested_as_json(table), out, write_options=options)
    return out.getvalue().to_pybytes()


#: For whole tables: shrinking one (23 columns, each example drawn anew) takes minutes, and
#: the failure message already points at the first line that differs.
NO_SHRINK = (Phase.explicit, Phase.reuse, Phase.generate)


@contextmanager
def slices_of(rows: int) -> Iterator[None]:
    """Render ``rows`` rows per kernel call: small tables then cross slice boundaries."""
    with mock.patch.object(json_text, "SLICE_ROWS", rows):
        yield


def assert_same_lines(table: pa.Table) -> None:
    """Byte equality, with the first differing line in the message when it fails."""
    expected, got = reference_jsonl(table), jsonl_bytes(table)
    if got != expected:
        pairs = zip(expected.split(b"\n"), got.split(b"\n"), strict=False)
        first = next((pair for pair in pairs if pair[0] != pair[1]), (b"", b""))
        pytest.fail(f"lines differ:\nexpected {first[0]!r}\n     got {first[1]!r}")


# --------------------------------------------------------------------------- generated


@settings(
    max_examples=6, deadline=None, phases=NO_SHRINK, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    seed=st.integers(0, 2**31),
    difficulty=st.sampled_from(DIFFICULTIES),
    comment_rate=st.sampled_from([0.3, 1.0]),
    start=st.integers(0, BLOCK_ROWS - 2_000),
)
def test_generated_rows_as_python_wrote_them(
    seed: int, difficulty: str, comment_rate: float, start: int
) -> None:
    options = GenerateOptions(
        rows=10 * BLOCK_ROWS,
        seed=seed,
        difficulty=difficulty,  # type: ignore[arg-type]
        comment_rate=comment_rate,
    )
    table = block.make_block(options, start, start + 2_000)
    assert_same_lines(table)
    assert csv_bytes(table, header=False) == reference_csv(table)


def test_generated_rows_across_a_block_boundary_in_chunks() -> None:
    """Rows of two blocks come as two chunks per column, the first one sliced."""
    options = GenerateOptions(rows=10 * BLOCK_ROWS, seed=3, comment_rate=0.8, difficulty="hard")
    table = block.make_block(options, BLOCK_ROWS - 1_500, BLOCK_ROWS + 1_500)
    assert table["admin_comment"].num_chunks == 2
    assert_same_lines(table)
    with slices_of(1_000):
        assert_same_lines(table)
    assert nested_as_json(table).equals(reference_nested_as_json(table))


def test_zero_rows() -> None:
    empty = RECORD_SCHEMA.empty_table()
    assert jsonl_bytes(empty) == b""
    assert nested_as_json(empty).schema == reference_nested_as_json(empty).schema
    chunkless = pa.Table.from_batches([], RECORD_SCHEMA)
    assert jsonl_bytes(chunkless) == b""
    assert json_text.json_values(chunkless["spans"]).to_pylist() == []


# --------------------------------------------------------------------------- synthetic

#: Every character that JSON escapes, and neighbours that it must leave alone.
AWKWARD = [chr(code) for code in range(0x20)] + [
    '"',
    "\\",
    "/",
    "'",
    "\x7f",
    "\x80",
    "\u2028",
    "\u2029",
    "é",
    "€",
    "\ufeff",
    "\U0001f600",
]
texts = st.text(
    alphabet=st.one_of(st.sampled_from(AWKWARD), st.characters(codec="utf-8")), max_size=12
) | st.sampled_from(["", '"', "\\", "\\\\", '\\"', "\\u0000", "null", "\n", "\u2028"])


def _whole_ms(value: dt.datetime) -> dt.datetime:
    """Timestamps of the schema hold milliseconds."""
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


dates = st.sampled_from([dt.date.min, dt.date.max, dt.date(1970, 1, 1)]) | st.dates()
stamps = st.one_of(
    st.sampled_from([dt.datetime.min, _whole_ms(dt.datetime.max), dt.datetime(1969, 12, 31)]),
    st.datetimes().map(lambda value: value.replace(microsecond=0)),  # the generator's case
    st.datetimes().map(_whole_ms),
)
int32s = st.integers(-(2**31), 2**31 - 1)
span_values = st.fixed_dictionaries(
    {
        "start": int32s,
        "end": int32s,
        "category": texts,
        "subject": texts,
        "assertion": texts,
    }
)
LIST_TAGS = st.lists(texts | st.none(), max_size=4)  # list items may be null in the schema


def _value_strategy(field: pa.Field) -> st.SearchStrategy[Any]:
    """Values of one column, null only where the schema allows it."""
    strategy: st.SearchStrategy[Any]
    if field.type == pa.date32():
        strategy = dates
    elif pa.types.is_timestamp(field.type):
        strategy = stamps
    elif field.type == pa.bool_():
        strategy = st.booleans()
    elif field.type == pa.list_(SPAN_TYPE):
        strategy = st.lists(span_values, max_size=3)
    elif pa.types.is_list(field.type):
        strategy = LIST_TAGS
    else:
        strategy = texts
    return strategy | st.none() if field.nullable else strategy


record_rows = st.fixed_dictionaries({field.name: _value_strategy(field) for field in RECORD_SCHEMA})


@st.composite
def record_tables(draw: st.DrawFn) -> pa.Table:
    """A table of the record schema, maybe in chunks, maybe a slice of a larger one."""
    rows = draw(st.lists(record_rows, max_size=10))
    table = pa.Table.from_pylist(rows, schema=RECORD_SCHEMA)
    cuts = sorted(draw(st.lists(st.integers(0, len(rows)), max_size=3)))
    if cuts:
        bounds = [0, *cuts, len(rows)]
        table = pa.concat_tables([table.slice(a, b - a) for a, b in itertools.pairwise(bounds)])
    skip = draw(st.integers(0, min(2, len(rows))))
    return table.slice(skip)


slice_sizes = st.sampled_from([2, 5, json_text.SLICE_ROWS])


@settings(
    max_examples=25, deadline=None, phases=NO_SHRINK, suppress_health_check=[HealthCheck.too_slow]
)
@given(table=record_tables(), slice_rows=slice_sizes)
def test_awkward_record_tables_as_python_wrote_them(table: pa.Table, slice_rows: int) -> None:
    _assert_as_python_wrote(table, slice_rows)


@pytest.mark.slow
@settings(
    max_examples=200, deadline=None, phases=NO_SHRINK, suppress_health_check=[HealthCheck.too_slow]
)
@given(table=record_tables(), slice_rows=slice_sizes)
def test_awkward_record_tables_as_python_wrote_them_thoroughly(
    table: pa.Table, slice_rows: int
) -> None:
    """The same property on eight times the examples (``pytest -m slow``, run in CI)."""
    _assert_as_python_wrote(table, slice_rows)


def _assert_as_python_wrote(table: pa.Table, slice_rows: int) -> None:
    with slices_of(slice_rows):
        assert_same_lines(table)
        flat = nested_as_json(table)
    assert flat.equals(reference_nested_as_json(table))
    assert csv_bytes(table, header=True)  # pyarrow's CSV writer takes the JSON strings


@settings(max_examples=200, deadline=None)
@given(st.lists(texts | st.none(), max_size=20))
def test_strings(values: list[str | None]) -> None:
    for dtype in (pa.string(), pa.large_string()):
        array = pa.array(values, dtype)
        assert json_text.json_values(array).to_pylist() == reference_values(array)


@pytest.mark.parametrize("code", range(0x20))
def test_every_control_character(code: int) -> None:
    array = pa.array([chr(code), f'a{chr(code)}b"\\{chr(code)}', None, "plain"])
    assert json_text.json_values(array).to_pylist() == reference_values(array)


# --------------------------------------------------------------------------- other types


@pytest.mark.parametrize("unit", ["s", "ms", "us"])
@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.datetimes() | st.none(), max_size=8))
def test_timestamps_with_fractions(unit: str, values: list[dt.datetime | None]) -> None:
    """``isoformat`` adds ``.ffffff`` to times with a fraction of a second, and only then."""
    array = pa.array(values, pa.timestamp("us")).cast(pa.timestamp(unit), safe=False)
    assert json_text.json_values(array).to_pylist() == reference_values(array)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.lists(st.fixed_dictionaries({"n": st.integers(-(2**63), 2**63 - 1) | st.none()}))
        | st.none(),
        max_size=6,
    )
)
def test_null_lists_elements_and_struct_fields(values: list[Any]) -> None:
    dtype = pa.list_(pa.struct([pa.field("n", pa.int64())]))
    array = pa.array(values, dtype)
    assert json_text.json_values(array).to_pylist() == reference_values(array)
    structs = pa.array([None, {"n": 1}, {"n": None}], dtype.value_type)
    assert json_text.json_values(structs).to_pylist() == ["null", '{"n":1}', '{"n":null}']


@pytest.mark.parametrize(
    "array",
    [
        pa.array([1.5, None, -0.0, 1e300], pa.float64()),
        pa.array(["a", None, "a"]).dictionary_encode(),
        pa.array([dt.datetime(2020, 1, 2, 3, 4, 5, 6)], pa.timestamp("us", tz="UTC")),
        pa.array([True, None, False]),
        pa.array([0, -1, 255], pa.int16()),
        pa.array([2**64 - 1], pa.uint64()),
        pa.array([[]], pa.list_(pa.string())),
        pa.array([{}], pa.struct([])),
    ],
    ids=lambda array: str(array.type),
)
def test_types_outside_the_schema(array: pa.Array) -> None:
    """Types without a column-wise renderer take Python's encoder: still the same text."""
    assert json_text.json_values(array).to_pylist() == reference_values(array)


def test_what_python_cannot_write_still_fails() -> None:
    with pytest.raises(TypeError):
        json_text.json_values(pa.array([dt.time(1, 2)], pa.time64("us")))
    after_year_9999 = pa.array([0, 3_000_000], pa.int32()).view(pa.date32())
    with pytest.raises(OverflowError):
        reference_values(after_year_9999)
    with pytest.raises(OverflowError):
        json_text.json_values(after_year_9999)
