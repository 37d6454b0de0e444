"""Read and write Thrift compact-protocol structs without their IDL.

A Parquet footer is a Thrift ``FileMetaData`` in the compact protocol. Stitching Parquet
files (see :mod:`generator.output.parquet_stitch`) only needs to move a few offsets and join lists,
so the footer is decoded generically, as field ids and wire types, changed in place, and
encoded back; fields this module does not know are carried over byte for byte in meaning.

Spec: https://github.com/apache/thrift/blob/master/doc/specs/thrift-compact-protocol.md
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

__all__ = ["BINARY", "I16", "I32", "I64", "LIST", "STRUCT", "Struct", "ThriftList", "decode"]

BOOL_TRUE, BOOL_FALSE, BYTE, I16, I32, I64, DOUBLE, BINARY, LIST, SET, MAP, STRUCT, UUID = range(
    1, 14
)
_BOOLS = (BOOL_TRUE, BOOL_FALSE)


@dataclass
class ThriftList:
    """A list (or set) and the wire type of its elements."""

    element_type: int
    items: list[Any] = field(default_factory=list)
    is_set: bool = False


@dataclass
class Struct:
    """A struct as ``{field id: (wire type, value)}``, in wire order.

    Booleans are stored with type ``BOOL_TRUE`` whatever their value.
    """

    fields: dict[int, tuple[int, Any]] = field(default_factory=dict)

    def get(self, field_id: int, default: Any = None) -> Any:
        entry = self.fields.get(field_id)
        return default if entry is None else entry[1]

    def set(self, field_id: int, wire_type: int, value: Any) -> None:
        self.fields[field_id] = (wire_type, value)

    def encode(self) -> bytes:
        out = bytearray()
        _write_struct(out, self)
        return bytes(out)


class ThriftError(ValueError):
    """Bytes that are not a well-formed compact-protocol struct."""


def decode(data: bytes | memoryview) -> Struct:
    """The struct encoded at the start of ``data``."""
    reader = _Reader(memoryview(data))
    try:
        return reader.struct()
    except (IndexError, struct.error) as error:
        raise ThriftError(f"truncated Thrift struct at byte {reader.pos}") from error


class _Reader:
    def __init__(self, data: memoryview) -> None:
        self.data = data
        self.pos = 0

    def byte(self) -> int:
        value = self.data[self.pos]
        self.pos += 1
        return value

    def varint(self) -> int:
        shift = result = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7

    def zigzag(self) -> int:
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def value(self, wire_type: int) -> Any:
        if wire_type in _BOOLS:  # inside a list or map: one byte
            return self.byte() == BOOL_TRUE
        if wire_type == BYTE:
            b = self.byte()
            return b - 256 if b > 127 else b
        if wire_type in (I16, I32, I64):
            return self.zigzag()
        if wire_type == DOUBLE:
            (value,) = struct.unpack_from("<d", self.data, self.pos)
            self.pos += 8
            return value
        if wire_type == BINARY:
            size = self.varint()
            value = bytes(self.data[self.pos : self.pos + size])
            if len(value) != size:
                raise IndexError
            self.pos += size
            return value
        if wire_type == UUID:
            value = bytes(self.data[self.pos : self.pos + 16])
            self.pos += 16
            return value
        if wire_type in (LIST, SET):
            header = self.byte()
            size, element_type = header >> 4, header & 0x0F
            if size == 15:
                size = self.varint()
            items = [self.value(element_type) for _ in range(size)]
            return ThriftList(element_type, items, is_set=wire_type == SET)
        if wire_type == MAP:
            size = self.varint()
            if size == 0:
                return (0, 0, [])
            types = self.byte()
            key_type, value_type = types >> 4, types & 0x0F
            pairs = [(self.value(key_type), self.value(value_type)) for _ in range(size)]
            return (key_type, value_type, pairs)
        if wire_type == STRUCT:
            return self.struct()
        raise ThriftError(f"unknown Thrift wire type {wire_type} at byte {self.pos}")

    def struct(self) -> Struct:
        result = Struct()
        last = 0
        while True:
            header = self.byte()
            if header == 0:
                return result
            delta, wire_type = header >> 4, header & 0x0F
            field_id = last + delta if delta else self.zigzag()
            if wire_type in _BOOLS:
                result.fields[field_id] = (BOOL_TRUE, wire_type == BOOL_TRUE)
            else:
                result.fields[field_id] = (wire_type, self.value(wire_type))
            last = field_id


def _varint(out: bytearray, n: int) -> None:
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


def _zigzag(out: bytearray, n: int) -> None:
    _varint(out, (n << 1) ^ (n >> 63) if n < 0 else n << 1)


def _write_value(out: bytearray, wire_type: int, value: Any) -> None:
    if wire_type in _BOOLS:
        out.append(BOOL_TRUE if value else BOOL_FALSE)
    elif wire_type == BYTE:
        out.append(value & 0xFF)
    elif wire_type in (I16, I32, I64):
        _zigzag(out, value)
    elif wire_type == DOUBLE:
        out += struct.pack("<d", value)
    elif wire_type == BINARY:
        _varint(out, len(value))
        out += value
    elif wire_type == UUID:
        out += value
    elif wire_type in (LIST, SET):
        size = len(value.items)
        if size < 15:
            out.append(size << 4 | value.element_type)
        else:
            out.append(0xF0 | value.element_type)
            _varint(out, size)
        for item in value.items:
            _write_value(out, value.element_type, item)
    elif wire_type == MAP:
        key_type, value_type, pairs = value
        _varint(out, len(pairs))
        if pairs:
            out.append(key_type << 4 | value_type)
            for k, v in pairs:
                _write_value(out, key_type, k)
                _write_value(out, value_type, v)
    elif wire_type == STRUCT:
        if isinstance(value, bytes | bytearray):  # already encoded: structs self-delimit
            out += value
        else:
            _write_struct(out, value)
    else:
        raise ThriftError(f"unknown Thrift wire type {wire_type}")


def _write_struct(out: bytearray, value: Struct) -> None:
    last = 0
    for field_id, (wire_type, item) in value.fields.items():
        header_type = (BOOL_TRUE if item else BOOL_FALSE) if wire_type in _BOOLS else wire_type
        delta = field_id - last
        if 0 < delta <= 15:
            out.append(delta << 4 | header_type)
        else:
            out.append(header_type)
            _zigzag(out, field_id)
        if wire_type not in _BOOLS:
            _write_value(out, wire_type, item)
        last = field_id
    out.append(0)
