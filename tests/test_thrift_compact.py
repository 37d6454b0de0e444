"""The generic compact-protocol codec that lets Parquet footers be stitched."""

from __future__ import annotations

import struct

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from breachbench.generator.output import thrift_compact as tc
from breachbench.generator.output.thrift_compact import Struct, ThriftError, ThriftList, decode
from hypothesis import given
from hypothesis import strategies as st

_INTS = {tc.BYTE: 7, tc.I16: 15, tc.I32: 31, tc.I64: 63}


def _scalar(wire_type: int) -> st.SearchStrategy:
    if wire_type in _INTS:
        bits = _INTS[wire_type]
        return st.integers(-(2**bits), 2**bits - 1)
    if wire_type == tc.BOOL_TRUE:
        return st.booleans()
    if wire_type == tc.DOUBLE:
        return st.floats(allow_nan=False)
    if wire_type == tc.UUID:
        return st.binary(min_size=16, max_size=16)
    return st.binary(max_size=40)


_SCALAR_TYPES = [tc.BOOL_TRUE, tc.BYTE, tc.I16, tc.I32, tc.I64, tc.DOUBLE, tc.BINARY, tc.UUID]


def _structs() -> st.SearchStrategy[Struct]:
    def extend(children: st.SearchStrategy) -> st.SearchStrategy:
        scalars = st.sampled_from(_SCALAR_TYPES).flatmap(
            lambda t: st.tuples(st.just(t), _scalar(t))
        )
        lists = st.sampled_from(_SCALAR_TYPES).flatmap(
            lambda t: st.lists(_scalar(t), max_size=20).map(
                lambda items: (tc.LIST, ThriftList(t, items))
            )
        )
        struct_lists = st.lists(children, max_size=3).map(
            lambda items: (tc.LIST, ThriftList(tc.STRUCT, items))
        )
        nested = children.map(lambda s: (tc.STRUCT, s))
        values = st.one_of(scalars, lists, struct_lists, nested)
        # Field ids out of order and far apart exercise the long field header.
        return st.dictionaries(st.integers(-300, 300).filter(bool), values, max_size=6).map(
            lambda fields: Struct(dict(fields))
        )

    return st.recursive(st.just(Struct()), extend, max_leaves=12)


@given(_structs())
def test_any_struct_survives_a_round_trip(value: Struct) -> None:
    assert decode(value.encode()) == value


def _footer(table: pa.Table, **options) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, **options)
    data = sink.getvalue().to_pybytes()
    (length,) = struct.unpack("<I", data[-8:-4])
    return data[-8 - length : -8]


@pytest.mark.parametrize(
    "options",
    [{}, {"row_group_size": 3, "write_page_index": True, "compression": "zstd"}],
)
def test_parquet_footers_are_re_encoded_byte_for_byte(options: dict) -> None:
    table = pa.table(
        {
            "id": list(range(10)),
            "name": [f"n{i}" for i in range(10)],
            "tags": [["a", "b"][: i % 3] for i in range(10)],
            "score": [i / 3 for i in range(10)],
        }
    )
    footer = _footer(table, **options)
    assert decode(footer).encode() == footer


def test_truncated_bytes_are_refused() -> None:
    footer = _footer(pa.table({"x": [1, 2, 3]}))
    with pytest.raises(ThriftError, match="truncated"):
        decode(footer[: len(footer) // 2])


@given(_structs(), _structs())
def test_structs_encoded_ahead_are_written_as_they_are(first: Struct, second: Struct) -> None:
    def holder(items: list) -> Struct:
        return Struct({1: (tc.LIST, ThriftList(tc.STRUCT, items))})

    assert holder([first.encode(), second]).encode() == holder([first, second]).encode()
