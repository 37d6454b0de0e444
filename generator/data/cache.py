"""breachbench's user cache directory, and a pickle cache for work that is slow to redo.

Expanding and compiling the comment templates, or building the name samplers, takes
seconds of pure Python in every process that generates rows. Such a result depends only
on the corpora files and the code that builds it, so it is pickled once under a key made
of both and reused (see ``generator.data.derived``); any problem with the cache (unwritable,
corrupt, another Python) falls back to computing, never to an error.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

CACHE_ENV = "BREACHBENCH_CACHE"
#: Entries kept per name: every edit of the code or the corpora makes a new key, and an
#: entry can weigh tens of MB. Three leave room for another checkout or version in use
#: on the same machine without the two evicting each other.
KEEP_PER_NAME = 3

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


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the garbage collector while a pickle is read.

    Unpickling the expanded templates creates over a million objects and no garbage, yet
    its allocations keep starting collections, the oldest of which walk the whole growing heap:
    with the collector paused the read takes a third of the time (0.6 instead of 1.9
    CPU-seconds), in every process that loads them.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def cached(
    name: str,
    key: str,
    compute: Callable[[], T],
    *,
    still_valid: Callable[[], bool] | None = None,
) -> T:
    """``compute()``, or the value pickled under ``name-key`` by an earlier call.

    ``still_valid``, if given, is asked once ``compute()`` returns: when the inputs the key
    was made of changed meanwhile (a corpora file saved mid-run), the value is returned
    but not stored under a key that no longer describes it. Storing an entry prunes all
    but the :data:`KEEP_PER_NAME` most recently used entries of the same name.
    """
    path = cache_dir() / f"{name}-{key}.pickle"
    try:
        with path.open("rb") as handle, _collector_paused():
            value = pickle.load(handle)
    except Exception:  # missing, unreadable, corrupt, another version's: compute
        pass
    else:
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: pruned last
        return value
    value = compute()
    if still_valid is not None and not still_valid():
        return value
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
        _prune(path.parent, name)
    return value


def _prune(directory: Path, name: str, keep: int = KEEP_PER_NAME) -> None:
    """Remove all but the ``keep`` most recently used entries of ``name``."""

    def used(path: Path) -> float:
        try:
            return path.stat().st_mtime
        except OSError:  # removed meanwhile by another process
            return 0.0

    entries = [
        path
        for path in directory.glob(f"{name}-*.pickle")
        if "-" not in path.stem[len(name) + 1 :]  # not a longer name's ("name-x-key")
    ]
    for old in sorted(entries, key=used, reverse=True)[keep:]:
        with contextlib.suppress(OSError):
            old.unlink()
