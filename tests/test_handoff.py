"""Bytes handed over through a file arrive whole, once, and the file goes."""

from __future__ import annotations

import io
from pathlib import Path

import pyarrow as pa
import pytest
from breachbench.generator.output.handoff import HandedOff, hand_off, write_payload
from hypothesis import given, settings
from hypothesis import strategies as st


@settings(max_examples=30, deadline=None)
@given(data=st.binary(max_size=3 * 2**20 // 2), as_buffer=st.booleans())
def test_handed_off_bytes_arrive_whole_and_the_file_goes(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, as_buffer: bool
) -> None:
    directory = tmp_path_factory.mktemp("handoff")
    handed = hand_off(pa.py_buffer(data) if as_buffer else data, str(directory))
    assert len(handed) == len(data)
    out = io.BytesIO()
    assert write_payload(out, handed) == len(data)
    assert out.getvalue() == data
    assert list(directory.iterdir()) == []


def test_bytes_in_memory_are_written_as_they_are() -> None:
    out = io.BytesIO()
    assert write_payload(out, pa.py_buffer(b"abc").slice(1)) == 2
    assert out.getvalue() == b"bc"


def test_a_truncated_file_is_an_error(tmp_path: Path) -> None:
    handed = hand_off(b"x" * 1000, str(tmp_path))
    Path(handed.path).write_bytes(b"x" * 10)
    with pytest.raises(OSError, match="expected 1000 bytes, found 10"):
        handed.copy_to(io.BytesIO())


def test_handing_off_twice_writes_once(tmp_path: Path) -> None:
    handed = hand_off(b"abc", str(tmp_path))
    assert hand_off(handed, str(tmp_path)) is handed
    assert len(list(tmp_path.iterdir())) == 1
    assert isinstance(handed, HandedOff)
