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


def pytest_runtest_logfinish(nodeid: str, location: tuple[str, int | None, str]) -> None:
    """Freeze the comment templates as well, once a test has loaded them.

    The test modules load them when a test needs them, not at import: a test process
    that runs no template test never pays for them. Those that do hold about 900,000
    objects from then on, which every later full collection would walk again (half a
    second each, and pytest's own runs inside tests make several); frozen after the test
    that loaded them, they are skipped like what collection left.
    """
    global _templates_loaded
    loaded = load_templates.cache_info().currsize
    if loaded != _templates_loaded:
        _templates_loaded = loaded
        gc.collect()
        gc.freeze()
