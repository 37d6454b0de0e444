"""Suite-wide settings of the test processes (each xdist worker runs this once)."""

from __future__ import annotations

import gc

import pytest


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
