"""Built-in detectors, by name: ``keywords``, ``identifiers``, ``keywords+identifiers``,
``none`` and ``all``; ``presidio`` and ``edsnlp`` when their optional extras are installed
(imported only when asked for, so the harness starts without them).

Each is a class with ``name``, ``version``, ``mode`` and a batch
``__call__(texts) -> list[answer]``; :func:`benchmarks.adapters.load_detector` wraps them
like any other Python detector.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .baselines import AllBaseline, NoneBaseline
from .combined import UnionDetector
from .identifiers import IdentifierDetector
from .keywords import KeywordDetector

__all__ = [
    "BUILTINS",
    "AllBaseline",
    "IdentifierDetector",
    "KeywordDetector",
    "NoneBaseline",
    "UnionDetector",
    "builtin",
]


def _keywords_and_identifiers() -> UnionDetector:
    return UnionDetector("keywords+identifiers", [KeywordDetector(), IdentifierDetector()])


def _presidio() -> Any:
    from .presidio import PresidioDetector

    return PresidioDetector()


def _edsnlp() -> Any:
    from .edsnlp import EdsNlpDetector

    return EdsNlpDetector()


BUILTINS: dict[str, Callable[[], Any]] = {
    "keywords": KeywordDetector,
    "identifiers": IdentifierDetector,
    "keywords+identifiers": _keywords_and_identifiers,
    "none": NoneBaseline,
    "all": AllBaseline,
    "presidio": _presidio,
    "edsnlp": _edsnlp,
}


def builtin(name: str) -> Any:
    """A fresh instance of the built-in detector ``name``; KeyError if there is none."""
    return BUILTINS[name]()
