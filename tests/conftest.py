"""Suite-wide settings of the test processes (each xdist worker runs this once)."""

from __future__ import annotations

import gc
import signal

import pytest
from breachbench.generator.comments.templates import load_templates


def pytest_configure(config: pytest.Config) -> None:
    """Give Ctrl-C back its default meaning when the run was started with SIGINT ignored.

    A shell without job control starts a background command (``cmd &`` in a script, a CI
    step launched that way) with SIGINT ignored, and Python then installs no
    KeyboardInterrupt handler: the tests that press Ctrl-C on a real ``generate`` or on
    the deferred-interrupt block would see nothing happen. Restored here, the children
    those tests start get the default disposition again (only an ignored signal survives
    ``exec``).
    """
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Freeze what collection left alive, so the garbage collector stops walking it.

    Collecting imports every test module and the libraries they use (pyarrow, numpy,
    Hypothesis, the generator): objects that live until the process ends, which every
    full collection would walk again, as would the garbage collections pytest runs once
    the tests are done; frozen, they are skipped. What tests allocate later is collected
    as before, so pytest still reports the unraisable exceptions of their garbage.
    """
    gc.collect()
    gc.freeze()


_templates_loaded = 0
_full_collections = 0


def _count_full_collections(phase: str, info: dict[str, int]) -> None:
    global _full_collections
    if phase == "stop" and info["generation"] == 2:
        _full_collections += 1


gc.callbacks.append(_count_full_collections)


def pytest_runtest_logfinish(nodeid: str, location: tuple[str, int | None, str]) -> None:
    """Freeze what the tests keep alive as well: the comment templates once a test has
    loaded them, and whatever survived a full collection during the test.

    The test modules load their data when a test needs it, not at import: a test process
    that runs no template test never pays for them. Those that do hold about 900,000
    template objects from then on, and the caches other tests fill (engines, samplers,
    Hypothesis's own) hundreds of thousands more, which every later full collection
    would walk again (tenths of a second each, dozens of times per process); collected
    once more and frozen after the test, they are skipped like what collection left.
    """
    global _templates_loaded, _full_collections
    loaded = load_templates.cache_info().currsize
    if loaded != _templates_loaded or _full_collections:
        _templates_loaded = loaded
        gc.collect()
        gc.freeze()
        _full_collections = 0
