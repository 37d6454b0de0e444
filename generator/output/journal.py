"""Resumable directory runs: a journal of the finished parts, kept through an interruption.

A run that may be resumed (``--resume``, or a ``--shard``) stages its part files in a
hidden directory with a stable name (not one keyed by a process id, which the next run
could not find), and appends one line per finished part to ``journal.jsonl`` there,
flushed to disk after the part itself: a part listed in the journal is complete. An
interruption (Ctrl-C, SIGTERM, SIGKILL, a power cut) leaves both; the next run with
``--resume`` keeps each listed part whose size and SHA-256 still match and writes only the
others, so the result is the one an uninterrupted run gives. The journal is append-only,
so recording a part costs the same at the first part as at the millionth; a line torn by a
crash is ignored.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any, TextIO

from breachbench.generator.output.counts import DatasetStats
from breachbench.generator.output.manifest import FileEntry, sha256_file
from breachbench.generator.output.target import (
    OutputError,
    OutputTarget,
    Staging,
    fsync_path,
    remove_dead_leftovers,
)

JOURNAL_NAME = "journal.jsonl"
JOURNAL_VERSION = 1


@dataclass(frozen=True)
class PartPlan:
    """What a resumed run must share with the run it continues: same provenance (so same
    rows), same cut into parts, same shard."""

    provenance: dict[str, Any]
    part_rows: int
    parts: int
    shard: str | None = None

    def header(self) -> dict[str, Any]:
        return {"journal": JOURNAL_VERSION, **asdict(self)}


@dataclass(frozen=True)
class DonePart:
    """A finished part file: its manifest entry and the counts of its rows."""

    entry: FileEntry
    counts: DatasetStats

    def to_json(self) -> str:
        return json.dumps({**asdict(self.entry), "counts": asdict(self.counts)}, sort_keys=True)

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> DonePart:
        counts = DatasetStats(**record.pop("counts"))
        return cls(FileEntry(**record), counts)


def read_journal(directory: Path) -> tuple[dict[str, Any] | None, list[DonePart]]:
    """The header and the parts a journal lists; a torn or unreadable line ends it."""
    path = directory / JOURNAL_NAME
    header: dict[str, Any] | None = None
    done: list[DonePart] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None, []
    for number, line in enumerate(lines):
        try:
            record = json.loads(line)
            if number == 0:
                header = record
            else:
                done.append(DonePart.from_json(record))
        except (ValueError, TypeError, KeyError):
            break
    return header, done


def verified_parts(directory: Path, plan: PartPlan) -> list[DonePart]:
    """The journal's parts whose file is whole (size and SHA-256 as recorded).

    Raises :class:`OutputError` when the journal belongs to another dataset (other seed,
    options, version, part size or shard): resuming it would mix two datasets.
    """
    header, done = read_journal(directory)
    if header is None:
        return []
    if header != plan.header():
        raise OutputError(
            f"{directory} holds an interrupted run with other options, version or part size;"
            " run again with the same ones, or without --resume to start over"
        )
    kept = []
    for part in done:
        path = directory / part.entry.name
        try:
            whole = path.stat().st_size == part.entry.bytes and sha256_file(path) == (
                part.entry.sha256
            )
        except OSError:
            whole = False
        if whole:
            kept.append(part)
    return kept


class Journal:
    """Appends finished parts to a directory's journal, each flushed to disk at once."""

    def __init__(self, directory: Path, plan: PartPlan, kept: list[DonePart]) -> None:
        """Start the journal over with ``kept`` only (written whole, then renamed), so that
        a torn line or a part that failed its check is not carried forward."""
        path = directory / JOURNAL_NAME
        staged = directory / f".{JOURNAL_NAME}.tmp"
        lines = [json.dumps(plan.header(), sort_keys=True), *(part.to_json() for part in kept)]
        staged.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        fsync_path(staged)
        os.replace(staged, path)
        self.directory = directory
        #: The parts an earlier run had finished, as found when this one started.
        self.kept: list[DonePart] = list(kept)
        #: Every finished part: those kept, then those recorded by this run.
        self.done: list[DonePart] = list(kept)
        self._file: TextIO = path.open("a", encoding="utf-8")

    def record(self, part: DonePart) -> None:
        """Note ``part`` as complete: after its file is flushed, before anything else."""
        fsync_path(self.directory / part.entry.name)
        self._file.write(part.to_json() + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())
        self.done.append(part)

    def close(self) -> None:
        self._file.close()


class StagingLock:
    """An exclusive lock on one resumable staging directory, held while a run writes it.

    Two runs given the same ``--out`` and ``--resume`` (or the same ``--shard`` twice)
    would otherwise both keep the journal's parts and write the missing ones over each
    other. The lock is a file beside the staging directory, not in it, so that it never
    moves into the dataset with the parts; it is removed when the run lets go. A POSIX
    record lock, not ``flock``: forked worker processes do not inherit it, so the kernel
    releases it the moment the run's own process dies, even under SIGKILL.
    """

    def __init__(self, staging: Path, output: Path) -> None:
        self.path = staging.with_name(staging.name + ".lock")
        self.output = output
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock, or raise a one-line :class:`OutputError` naming the output."""
        handle = open(self.path, "a")  # noqa: SIM115 (held until release)
        try:
            fcntl.lockf(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise OutputError(
                f"another breachbench run is writing {self.output} right now;"
                " wait for it to finish or give another --out"
            ) from None
        self._handle = handle

    def release(self) -> None:
        """Remove the lock file, then let go: a run starting after this sees no lock."""
        if self._handle is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()
        self._handle.close()
        self._handle = None


def discard_interrupted(staging: Path, output: Path) -> None:
    """Remove an interrupted ``--resume`` run's staging directory that a plain run has
    just replaced, unless a live run holds it (that run's parts are not ours to delete)."""
    lock = StagingLock(staging, output)
    try:
        lock.acquire()
    except OutputError:
        return
    try:
        shutil.rmtree(staging, ignore_errors=True)
    finally:
        lock.release()


class ResumableStaging(Staging):
    """:class:`Staging` of a directory output in ``.NAME.partial``, kept when the run is
    interrupted with at least one finished part, and continued by ``resume``.

    Without ``resume`` (a shard run again), it starts over in that directory.
    """

    def __init__(self, target: OutputTarget, plan: PartPlan, *, overwrite: bool, resume: bool):
        super().__init__(target, overwrite=overwrite)
        self.path = target.path.with_name(f".{target.path.name}.partial")
        self.plan = plan
        self.resume = resume
        self.journal: Journal | None = None
        self._lock: StagingLock | None = None

    def __enter__(self) -> ResumableStaging:
        return self._open_in(self.target.path.parent, sweep=True)

    def _open_in(self, parent: Path, *, sweep: bool) -> ResumableStaging:
        """Create ``parent``, remove dead runs' leftovers beside the target if ``sweep``,
        and open (or continue) the journal; one-line errors, nothing left behind."""
        try:
            self._make_parents(parent)
            if sweep:
                self.removed_leftovers = remove_dead_leftovers(parent, self.target.path.name)
            self._lock = StagingLock(self.path, self.target.path)
            self._lock.acquire()
            self.journal = open_journal(self.path, self.plan, resume=self.resume)
        except OSError as exc:
            self._cleanup()
            raise OutputError(f"cannot write {self.target.path}: {exc.strerror or exc}") from exc
        except OutputError:
            self._release()
            self._cleanup_created_parents()
            raise
        return self

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.journal is not None:
            self.journal.close()
        try:
            if self._committed:
                return
            if self.journal is not None and self.journal.done:
                return  # kept for --resume
            self._cleanup()
        finally:
            self._release()

    def _cleanup(self) -> None:
        """The staged files go while the lock is held (a run that takes it next must not see
        them half gone), then the lock file, then the parent directories this run made."""
        created, self._created_dirs = self._created_dirs, []
        try:
            super()._cleanup()
        finally:
            self._release()
            self._created_dirs = created
            self._cleanup_created_parents()

    def _cleanup_created_parents(self) -> None:
        for directory in reversed(self._created_dirs):
            with contextlib.suppress(OSError):
                directory.rmdir()

    @property
    def kept_parts(self) -> int:
        """Finished parts the staging directory holds (for the message of an interruption)."""
        return len(self.journal.done) if self.journal is not None else 0

    def commit(self) -> None:
        if self.journal is not None:
            self.journal.close()
        (self.path / JOURNAL_NAME).unlink(missing_ok=True)
        super().commit()


def open_journal(directory: Path, plan: PartPlan, *, resume: bool) -> Journal:
    """The journal of ``directory``, created if needed: with ``resume``, keeping the parts
    an earlier run finished (every other file there is removed); without, empty."""
    kept: list[DonePart] = []
    if directory.is_dir() and resume:
        kept = verified_parts(directory, plan)
        names = {part.entry.name for part in kept} | {JOURNAL_NAME}
        for child in directory.iterdir():
            if child.name not in names:
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink(missing_ok=True)
    else:
        if directory.exists():
            shutil.rmtree(directory)
        directory.mkdir()
    return Journal(directory, plan, kept)
