"""What an interrupted ``bench`` keeps so that ``bench --resume`` continues it.

Every run writes its per-record files into a hidden folder beside ``--out``
(``.NAME.resume/``, one sub-folder per detector of the session), and, after a chunk is
scored and written, at most every :func:`save_seconds`, a checkpoint ``state.json``: the
next chunk to run, the byte lengths of predictions.jsonl and errors.jsonl at that point,
the counts so far (:meth:`Counts.to_json`, lossless) and everything else the results are
built from. The files are flushed and synced before the checkpoint is renamed into place,
so whatever kills the run (Ctrl-C, SIGTERM, SIGKILL, a power cut), the last checkpoint
describes files at least that long. Resuming truncates them back to those lengths and
continues at that chunk: the chunk cut never changes (see :mod:`.chunks`), so the result is
the uninterrupted run's.

A checkpoint records the run's *key* (dataset fingerprint, detector, options, shard,
label mapping and severity weights, breachbench version): resuming with anything else
is refused. The folder is removed once the session's output is in place; a run without
``--resume`` starts over. A lock keeps two sessions from writing the same folder.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from pathlib import Path
from typing import IO, Any

__all__ = [
    "SAVE_SECONDS",
    "SAVE_SECONDS_ENV",
    "Checkpoint",
    "ResumeError",
    "ResumeFolder",
    "resume_folder",
    "save_seconds",
]

STATE_FILE = "state.json"
STATE_SCHEMA = "breachbench.bench-state/1"
SAVE_SECONDS = 2.0
"""At most one checkpoint every this many seconds (the counts are ~100 kB of JSON)."""
SAVE_SECONDS_ENV = "BREACHBENCH_CHECKPOINT_SECONDS"
LOCK_FILE = "lock"


class ResumeError(ValueError):
    """A checkpoint that cannot be resumed, or a folder another run is writing; one line."""


def save_seconds() -> float:
    """The checkpoint interval: :data:`SAVE_SECONDS`, or ``$BREACHBENCH_CHECKPOINT_SECONDS``.

    A run on a machine that may be reclaimed at any second can ask for 0 (a checkpoint
    after every chunk), a run of slow chunks on a quiet machine for more; the tests of
    ``--resume`` use 0 so that a checkpoint exists without waiting for one.
    """
    raw = os.environ.get(SAVE_SECONDS_ENV, "").strip()
    if not raw:
        return SAVE_SECONDS
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):  # also refuses nan
        raise ResumeError(f"{SAVE_SECONDS_ENV} must be a number of seconds >= 0, got {raw!r}")
    return value


def resume_folder(out: Path) -> Path:
    """Where a session writing ``out`` keeps what ``--resume`` needs."""
    return out.with_name(f".{out.name}.resume")


def _write_atomic(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class Checkpoint:
    """The state of one detector's run, in ``directory`` (its files are written there too)."""

    def __init__(self, directory: Path, key: dict[str, Any]) -> None:
        self.directory = directory
        self.key = json.loads(json.dumps(key))  # as it reads back from disk

    @property
    def path(self) -> Path:
        """The checkpoint file."""
        return self.directory / STATE_FILE

    def load(self) -> dict[str, Any] | None:
        """The saved state, None if there is none; :class:`ResumeError` if it is another run's."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            raise ResumeError(f"cannot resume: {self.path} is unreadable ({error})") from None
        if not isinstance(data, dict) or data.get("schema") != STATE_SCHEMA:
            raise ResumeError(f"cannot resume: {self.path} is not a {STATE_SCHEMA} checkpoint")
        if data.get("key") != self.key:
            saved = data.get("key") or {}
            differs = sorted(k for k in {*saved, *self.key} if saved.get(k) != self.key.get(k))
            raise ResumeError(
                f"cannot resume {self.directory.parent.name}: the interrupted run differs in"
                f" {', '.join(differs)}; run without --resume to start over"
            )
        return data

    def save(self, state: dict[str, Any]) -> None:
        """Replace the checkpoint (files must be flushed and synced first)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        _write_atomic(self.path, {"schema": STATE_SCHEMA, "key": self.key, **state})


class ResumeFolder:
    """The session's ``.NAME.resume`` folder, locked while the session runs."""

    def __init__(self, out: Path, *, resume: bool) -> None:
        self.path = resume_folder(out)
        self.resume = resume
        self._lock: IO[str] | None = None

    def __enter__(self) -> ResumeFolder:
        if not self.resume and self.path.exists():
            self._check_unlocked()
            shutil.rmtree(self.path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._lock = open(self.path / LOCK_FILE, "w")
        try:
            # A POSIX record lock, not flock: worker processes forked from this one do not
            # inherit it, so a killed session's lingering workers never hold it.
            fcntl.lockf(self._lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._lock.close()
            self._lock = None
            raise ResumeError(
                f"another bench run is writing {self.path.name[1:-7]} right now;"
                " wait for it or give another --out"
            ) from None
        return self

    def _check_unlocked(self) -> None:
        lock = self.path / LOCK_FILE
        if not lock.exists():
            return
        with open(lock, "a") as handle:
            try:
                fcntl.lockf(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise ResumeError(
                    f"another bench run is writing {self.path.name[1:-7]} right now;"
                    " wait for it or give another --out"
                ) from None

    def run_directory(self, relative: Path) -> Path:
        """The folder of one detector's run inside the session's."""
        return self.path / relative

    def remove(self) -> None:
        """Drop the folder: the output it fed is in place."""
        shutil.rmtree(self.path, ignore_errors=True)

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        """Release the lock. An interruption (Ctrl-C, SIGTERM, SIGHUP) keeps the folder for
        ``--resume``; any other failure (a bad row, a detector that cannot load) removes
        it: resuming would meet the same failure."""
        if self._lock is not None:
            with contextlib.suppress(OSError):
                self._lock.close()
            self._lock = None
        if kind is not None and not issubclass(kind, KeyboardInterrupt):
            self.remove()
        elif kind is not None and not any(self.path.rglob(STATE_FILE)):
            self.remove()  # interrupted before any checkpoint: nothing to resume
