"""breachbench's user cache directory, and a pickle cache for work that is slow to redo.

Expanding the comment templates (cores x frames, tens of thousands of objects) takes
seconds of pure Python in every process that generates rows. Its result depends only on
the corpora files and the code that expands them, so it is pickled once under a key made
of both and reused; any problem with the cache (unwritable, corrupt, another Python)
falls back to computing, never to an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

CACHE_ENV = "BREACHBENCH_CACHE"

T = TypeVar("T")


def cache_dir() -> Path:
    """``$BREACHBENCH_CACHE``, else ``~/.cache/breachbench``."""
    configured = os.environ.get(CACHE_ENV)
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "breachbench"


def cache_key(*parts: str | bytes) -> str:
    """A short hex digest of the parts, with the Python version (pickles are per version)."""
    digest = hashlib.sha256(sys.version.encode())
    for part in parts:
        digest.update(part if isinstance(part, bytes) else part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:24]


def cached(name: str, key: str, compute: Callable[[], T]) -> T:
    """``compute()``, or the value pickled under ``name-key`` by an earlier call."""
    path = cache_dir() / f"{name}-{key}.pickle"
    with contextlib.suppress(Exception), path.open("rb") as handle:
        return pickle.load(handle)
    value = compute()
    with contextlib.suppress(OSError, pickle.PicklingError):
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{name}-", dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as stream:
                pickle.dump(value, stream, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, path)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
    return value
