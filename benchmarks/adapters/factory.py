"""One entry for the CLI: a detector from ``--detector`` or ``--detector-cmd``."""

from __future__ import annotations

from dataclasses import dataclass

from breachbench.benchmarks.protocol import Detector, DetectorLoadError

from .command import CommandDetector
from .python import load_detector

__all__ = ["DetectorChoice", "open_choice", "open_detector"]


@dataclass(frozen=True)
class DetectorChoice:
    """One detector to run: a Python/built-in spec or a command line.

    Plain data, so that a worker process (or a Dask worker) can be told which detector to
    load and load its own copy.
    """

    spec: str | None = None
    command: str | None = None

    @property
    def label(self) -> str:
        """What the user typed, for directory names and messages."""
        return self.spec if self.spec is not None else str(self.command)


def open_choice(choice: DetectorChoice, *, timeout: float, isolate: bool) -> Detector:
    """Load ``choice``; any failure of the detector's own code becomes a one-line
    :class:`DetectorLoadError` (an import that raises, a class whose ``__init__`` fails)."""
    try:
        if choice.command is not None:
            return open_detector(command=choice.command, timeout=timeout)
        return open_detector(choice.spec, timeout=timeout, isolate=isolate)
    except (DetectorLoadError, ValueError):
        raise
    except Exception as error:
        raise DetectorLoadError(
            f"detector {choice.label!r} failed to load: {type(error).__name__}: {error}"
        ) from None


def open_detector(
    spec: str | None = None,
    *,
    command: str | None = None,
    timeout: float = 30.0,
    shell: bool = False,
    isolate: bool = False,
) -> Detector:
    """A Python/built-in detector from ``spec``, or a subprocess one from ``command``.

    With ``isolate``, the Python detector runs in a child process
    (:class:`~breachbench.benchmarks.adapters.isolated.IsolatedDetector`), where
    ``timeout`` reaches it.
    """
    if (spec is None) == (command is None):
        raise DetectorLoadError("give exactly one of a detector name and a detector command")
    if command is not None:
        if not command.strip():
            raise DetectorLoadError("the detector command is empty")
        return CommandDetector(command, timeout=timeout, shell=shell)
    assert spec is not None
    if isolate:
        # Imported here: the child runs that module with -m, which must not find it imported.
        from .isolated import IsolatedDetector

        return IsolatedDetector(spec, timeout=timeout)
    return load_detector(spec)
