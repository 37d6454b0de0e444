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
) -> Detector:
    """A Python/built-in detector from ``spec``, or a subprocess one from ``command``."""
    if (spec is None) == (command is None):
        raise DetectorLoadError("give exactly one of a detector name and a detector command")
    if command is not None:
        return CommandDetector(command, timeout=timeout, shell=shell)
    assert spec is not None
    return load_detector(spec)
