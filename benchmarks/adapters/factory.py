"""One entry for the CLI: a detector from ``--detector`` or ``--detector-cmd``."""

from __future__ import annotations

from breachbench.benchmarks.protocol import Detector, DetectorLoadError

from .command import CommandDetector
from .python import load_detector

__all__ = ["open_detector"]


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
