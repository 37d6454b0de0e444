"""Where a dataset goes, and how it gets there atomically.

A run never leaves a file under the final name unless it is complete: everything is written
under a hidden temporary name beside the target (``.patients.parquet.tmp-<pid>`` or a
``.patients.tmp-<pid>`` directory), flushed to disk, then renamed in one step. Any exception,
Ctrl-C included, removes the temporary files and any parent directory the run created.

The output is a *directory* (``part-00000.<ext>`` files plus ``manifest.json``) when the
path ends with a separator, is an existing directory, or has no suffix; otherwise it is a
single file.

Every output also carries its metadata documents (:data:`METADATA_DOCUMENTS`): inside a
directory under their plain names (``README.md``, ``croissant.json``), or beside a single
file as sidecars named after it (``patients.parquet.card.md``,
``patients.parquet.croissant.json``), so two outputs in one folder never collide. Sidecars
are staged and renamed with the data, before it, like the JSON-lines/CSV manifest.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

SUFFIXES: dict[str, str] = {"parquet": ".parquet", "jsonl": ".jsonl", "csv": ".csv"}
_SUFFIX_FORMATS: dict[str, str] = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
}
MANIFEST_NAME = "manifest.json"
#: Metadata document -> (name inside a directory output, suffix of a single file's sidecar).
METADATA_DOCUMENTS: dict[str, tuple[str, str]] = {
    "card": ("README.md", ".card.md"),
    "croissant": ("croissant.json", ".croissant.json"),
}


class OutputError(ValueError):
    """The output location cannot be used; the message is one line meant for users."""


_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?:tmp|old)-(?P<pid>\d+)$")
"""Hidden names a run stages under: ``.patients.parquet.tmp-<pid>``, ``.patients.old-<pid>``."""


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (ours or another user's)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return True  # unknown: assume alive, never delete another run's files
    return True


def remove_dead_leftovers(directory: Path, stem: str) -> list[Path]:
    """Remove the staged files of runs on ``stem`` (an output's name) whose process is gone.

    A run killed beyond any cleanup (SIGKILL, power loss) leaves its hidden temporary
    output beside the target; the next run on the same target removes it. Files of a
    live process (a concurrent run) are left alone. Returns what was removed.
    """
    removed: list[Path] = []
    try:
        entries = list(directory.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _LEFTOVER.match(entry.name)
        name = match["name"] if match is not None else ""
        if not (name == stem or name.startswith(stem + ".")):
            continue
        pid = int(match["pid"])
        if pid == os.getpid() or pid_alive(pid):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                entry.unlink()
        removed.append(entry)
    return removed


def format_for_suffix(path: str | os.PathLike[str]) -> str | None:
    """The format a file name announces (``x.csv`` -> ``csv``), or None if it announces none."""
    return _SUFFIX_FORMATS.get(Path(path).suffix.lower())


@dataclass(frozen=True)
class OutputTarget:
    """A resolved output location: a single file or a directory of parts."""

    path: Path
    is_directory: bool
    format: str

    @property
    def sidecar(self) -> Path | None:
        """Single JSON-lines/CSV files carry provenance beside them (Parquet carries it inside)."""
        if self.is_directory or self.format == "parquet":
            return None
        return self.path.with_name(self.path.name + ".manifest.json")

    def metadata_path(self, document: str) -> Path:
        """Final path of a metadata document (a key of :data:`METADATA_DOCUMENTS`)."""
        inside, suffix = METADATA_DOCUMENTS[document]
        if self.is_directory:
            return self.path / inside
        return self.path.with_name(self.path.name + suffix)


def resolve_target(out: str | os.PathLike[str], fmt: str) -> OutputTarget:
    """Apply the file-or-directory rule to ``out``; a file's known suffix must match ``fmt``."""
    raw = os.fspath(out)
    if not raw:
        raise OutputError("the output path is empty")
    path = Path(raw)
    is_directory = raw.endswith(("/", os.sep)) or path.is_dir() or path.suffix == ""
    if not is_directory:
        announced = format_for_suffix(path)
        if announced is not None and announced != fmt:
            raise OutputError(f"{raw} has the suffix of {announced} but the format is {fmt}")
    return OutputTarget(path=path, is_directory=is_directory, format=fmt)


def check_target(target: OutputTarget, *, overwrite: bool) -> None:
    """Refuse, before any work, an output that exists (without overwrite) or cannot be written."""
    path = target.path
    if target.is_directory:
        if path.exists() and not path.is_dir():
            raise OutputError(f"{path} exists and is not a directory")
        if path.is_dir() and os.path.ismount(path):
            # The output is staged beside it and renamed over it: a mount point cannot be.
            raise OutputError(
                f"{path} is a mount point, which cannot be replaced; write into a folder"
                f" inside it (e.g. --out {path / 'patients'}/)"
            )
        if path.is_dir() and any(path.iterdir()):
            if not overwrite:
                raise OutputError(f"{path} already exists and is not empty (use --overwrite)")
            if not (path / MANIFEST_NAME).is_file():
                raise OutputError(
                    f"refusing to replace {path}: it has no {MANIFEST_NAME}, so breachbench "
                    "did not make it"
                )
    else:
        if path.is_dir():
            raise OutputError(f"{path} is a directory")
        if path.exists() and not overwrite:
            raise OutputError(f"{path} already exists (use --overwrite)")
    ancestor = path.parent.absolute()
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputError(f"cannot write {path}: {ancestor} is not a directory")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {path}: {ancestor} is not writable")


def fsync_path(path: Path) -> None:
    """Flush a file's (or a directory's entries') data to disk so a rename publishes it whole."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) if path.is_dir() else os.O_RDONLY
    try:
        fd = os.open(path, flags)
    except OSError:  # some platforms cannot open directories; the rename is still atomic
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class Staging:
    """Context manager owning the temporary output until :meth:`commit` renames it.

    ``path`` is where writers write: a temporary file, or a temporary directory. Leaving the
    block without a commit (an exception, Ctrl-C) deletes it, the temporary sidecar, and the
    parent directories this run created.
    """

    def __init__(self, target: OutputTarget, *, overwrite: bool) -> None:
        self.target = target
        self.overwrite = overwrite
        tag = f"tmp-{os.getpid()}"
        final = target.path
        self.path = final.with_name(f".{final.name}.{tag}")
        sidecar = target.sidecar
        self.sidecar = sidecar.with_name(f".{sidecar.name}.{tag}") if sidecar else None
        self._tag = tag
        self._metadata: list[tuple[Path, Path]] = []  # (staged, final) sidecars of a file
        self._created_dirs: list[Path] = []
        self._committed = False
        self.removed_leftovers: list[Path] = []

    def __enter__(self) -> Staging:
        try:
            self._make_parents(self.target.path.parent)
            self.removed_leftovers = remove_dead_leftovers(
                self.target.path.parent, self.target.path.name
            )
            if self.target.is_directory:
                if self.path.exists():
                    shutil.rmtree(self.path)
                self.path.mkdir()
            else:
                self.path.touch()
        except OSError as exc:
            self._cleanup()
            raise OutputError(f"cannot write {self.target.path}: {exc.strerror or exc}") from exc
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._committed:
            self._cleanup()

    def _make_parents(self, directory: Path) -> None:
        missing: list[Path] = []
        while not directory.exists():
            missing.append(directory)
            directory = directory.parent
        for item in reversed(missing):
            item.mkdir()
            self._created_dirs.append(item)

    def metadata_path(self, document: str) -> Path:
        """Where to write a metadata document now: inside the staged directory, or a
        temporary sidecar that :meth:`commit` renames (and a failure deletes)."""
        if self.target.is_directory:
            return self.path / METADATA_DOCUMENTS[document][0]
        final = self.target.metadata_path(document)
        staged = final.with_name(f".{final.name}.{self._tag}")
        if (staged, final) not in self._metadata:
            self._metadata.append((staged, final))
        return staged

    def _cleanup(self) -> None:
        for temp in (self.path, self.sidecar, *(staged for staged, _ in self._metadata)):
            if temp is None:
                continue
            if temp.is_dir():
                shutil.rmtree(temp, ignore_errors=True)
            else:
                with contextlib.suppress(FileNotFoundError):
                    temp.unlink()
        for directory in reversed(self._created_dirs):
            with contextlib.suppress(OSError):
                directory.rmdir()

    def commit(self) -> None:
        """Publish the staged output under its final name (replacing an old one if allowed)."""
        final = self.target.path
        if self.target.is_directory:
            for child in self.path.iterdir():
                fsync_path(child)
            fsync_path(self.path)
            old = final.with_name(f".{final.name}.old-{os.getpid()}")
            if final.exists():
                # An empty directory, or one check_target proved breachbench made.
                final.rename(old)
            self.path.rename(final)
            if old.exists():
                shutil.rmtree(old, ignore_errors=True)
        else:
            if self.sidecar is not None and self.target.sidecar is not None:
                fsync_path(self.sidecar)
                os.replace(self.sidecar, self.target.sidecar)
            for staged, metadata in self._metadata:
                if staged.exists():
                    fsync_path(staged)
                    os.replace(staged, metadata)
            fsync_path(self.path)
            os.replace(self.path, final)
        fsync_path(final.parent)
        self._committed = True
