"""The on-disk cache: reused when present, ignored when broken, never an error."""

from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import ClassVar

import pytest
from breachbench.generator.comments.templates import installed_templates, load_templates
from breachbench.generator.data.cache import CACHE_ENV, cache_key, cached


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    return tmp_path


def test_computes_once_then_reuses(cache: Path):
    calls = []

    def compute() -> list[int]:
        calls.append(1)
        return [1, 2, 3]

    assert cached("thing", "k1", compute) == [1, 2, 3]
    assert cached("thing", "k1", compute) == [1, 2, 3]
    assert len(calls) == 1
    assert cached("thing", "k2", compute) == [1, 2, 3]  # another key recomputes
    assert len(calls) == 2
    assert not list(cache.glob(".thing-*"))  # no temporary left behind


def test_a_corrupt_entry_is_recomputed_and_replaced(cache: Path):
    (cache / "thing-k.pickle").write_bytes(b"not a pickle")
    assert cached("thing", "k", lambda: "fresh") == "fresh"
    assert cached("thing", "k", lambda: "other") == "fresh"


class _Probe:
    """A value that records, when unpickled, whether the collector was running."""

    collector_on_read: ClassVar[list[bool]] = []

    def __init__(self) -> None:
        self.state = "pickled"  # a state, or unpickling skips __setstate__

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.collector_on_read.append(gc.isenabled())


@pytest.mark.parametrize("enabled", [True, False])
def test_reading_an_entry_leaves_the_collector_as_it_found_it(cache: Path, enabled: bool):
    """The collector is paused while an entry is read, then restored, even after a
    corrupt entry; a host that had disabled it finds it still disabled."""
    cached("thing", "k", _Probe)
    (cache / "bad-k.pickle").write_bytes(b"not a pickle")
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        _Probe.collector_on_read.clear()
        assert isinstance(cached("thing", "k", lambda: None), _Probe)
        assert _Probe.collector_on_read == [False]  # paused while reading
        assert gc.isenabled() is enabled
        assert cached("bad", "k", lambda: "fresh") == "fresh"
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_an_unwritable_cache_still_computes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache directory should be")
    monkeypatch.setenv(CACHE_ENV, str(blocker / "cache"))
    assert cached("thing", "k", lambda: 42) == 42


def test_keys_differ_with_their_parts():
    assert cache_key("a", b"b") != cache_key("a", b"c")
    assert cache_key("a", b"b") == cache_key("a", b"b")


@pytest.mark.slow  # expands or compiles every template afresh (5-10 s)
def test_cached_templates_equal_a_fresh_expansion(cache: Path):
    load_templates.cache_clear()
    try:
        fresh = load_templates()  # the cache is empty: expands, and writes the cache
        assert fresh is installed_templates()  # this process's expansion, not a file's
        assert list(cache.glob("templates-*.pickle"))
        load_templates.cache_clear()
        read_back = load_templates()  # reads it back
    finally:
        load_templates.cache_clear()
    assert read_back is not fresh and read_back == fresh


def test_only_the_most_recently_used_entries_are_kept(cache: Path):
    for key in ("k1", "k2", "k3"):
        cached("thing", key, lambda key=key: key)
    cached("thing-else", "k0", lambda: "a longer name is not a key of 'thing'")
    old = cache / "thing-k1.pickle"
    os.utime(old, (0, 0))
    assert cached("thing", "k1", lambda: "recomputed") == "k1"  # reading refreshes k1
    os.utime(cache / "thing-k2.pickle", (0, 0))
    cached("thing", "k4", lambda: "k4")
    assert sorted(p.name for p in cache.glob("thing-*")) == [
        "thing-else-k0.pickle",
        "thing-k1.pickle",
        "thing-k3.pickle",
        "thing-k4.pickle",
    ]


def test_a_value_whose_inputs_changed_meanwhile_is_not_stored(cache: Path):
    assert cached("thing", "k", lambda: 1, still_valid=lambda: False) == 1
    assert not list(cache.glob("thing-*"))
    assert cached("thing", "k", lambda: 2, still_valid=lambda: True) == 2
    assert cached("thing", "k", lambda: 3) == 2


def test_code_digest_covers_every_room_of_the_generator(tmp_path, monkeypatch):
    """An edit of generator/comments/noise.py must change the key of the compiled tables,
    or a process serves noisy variants the code no longer writes."""
    import shutil

    from breachbench.generator.data import derived

    copy = tmp_path / "generator"
    shutil.copytree(derived._PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(derived, "_PACKAGE", copy)
    before = derived.code_digest()
    noise = copy / "comments" / "noise.py"
    noise.write_text(noise.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert derived.code_digest() != before
