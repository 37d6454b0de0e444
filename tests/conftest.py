"""Suite-wide settings of the test processes (each xdist worker runs this once)."""

from __future__ import annotations

import gc
import signal

import pytest


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

    Collecting imports every test module, and some build their Hypothesis strategies at
    import, which loads the comment templates: about a million objects that live until
    the process ends. Every full collection walked them all again (a second or more
    each on this machine), as did the five pytest runs once the tests are done; frozen,
    they are skipped. What tests allocate later is collected as before, so pytest still
    reports the unraisable exceptions of their garbage.
    """
    gc.collect()
    gc.freeze()
