"""Tables derived from the corpora (name samplers, compiled templates...), cached on disk.

Every process that generates rows needs the same derived tables: alias tables over the
name lists, the compiled comment templates, the noisy variants of every literal. They
take seconds of Python to build but are pure functions of the corpora files and the
generator's code, and they are numpy and Arrow arrays, which pickle and load in
milliseconds. So each is built once, pickled under a key made of both, and reused by
every later process (see :mod:`breachbench.generator.data.cache` for the never-an-error fallback).

The key hashes the source of *every* module of the ``generator`` package rather than a
hand-kept list of the modules each table passes through: a forgotten module would serve
stale tables, and so rows that differ from what the code says, while a code edit
anywhere costs only one rebuild.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
import pyarrow as pa
from breachbench.generator.data.cache import cache_key, cached

T = TypeVar("T")

# The ``generator`` package: every room (comments/, records/...), not only data/.
_PACKAGE = Path(__file__).resolve().parent.parent


def code_digest(package: Path | None = None) -> str:
    """One SHA-256 over the source files of a package (by default ``generator``), as they
    are now."""
    package = package or _PACKAGE
    digest = hashlib.sha256()
    for source in sorted(package.rglob("*.py")):
        name = source.relative_to(package).as_posix()
        digest.update(name.encode() + b"\0" + source.read_bytes() + b"\0")
    return digest.hexdigest()


def current_key() -> str:
    """Corpora, code, and the versions of the libraries whose arrays are pickled, read
    from the files as they are now."""
    from breachbench.generator.data.corpora import corpora_digest

    corpora = corpora_digest.__wrapped__()  # not the digest this process cached
    return cache_key(corpora, code_digest(), np.__version__, pa.__version__)


@functools.cache
def derived_key() -> str:
    """:func:`current_key` when this process first asked: the key of all it derives."""
    return current_key()


def derived(name: str, compute: Callable[[], T]) -> T:
    """``compute()``, or what an earlier process pickled for the same corpora and code.

    A value is stored only if the files still hash to the key once it is computed, so an
    edit of the corpora during a run never files new tables under the old key.
    """
    key = derived_key()
    return cached(name, key, compute, still_valid=lambda: current_key() == key)
