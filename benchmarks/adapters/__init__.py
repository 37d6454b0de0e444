"""Adapters that make any detector look the same to the harness.

Every adapter has ``name``, ``version``, ``mode``, ``__call__(ids, texts) -> list[Answer]``,
``close()``, ``peak_memory_bytes()`` and is a context manager (see
:class:`breachbench.benchmarks.protocol.Detector`).
"""

from .command import CommandDetector
from .factory import DetectorChoice, open_choice, open_detector
from .labels import LabelMapping, LabelMappingError
from .python import ENTRY_POINT_GROUP, PythonDetector, load_detector

__all__ = [
    "ENTRY_POINT_GROUP",
    "CommandDetector",
    "DetectorChoice",
    "LabelMapping",
    "LabelMappingError",
    "PythonDetector",
    "load_detector",
    "open_choice",
    "open_detector",
]
