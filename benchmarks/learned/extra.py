"""The ``ml`` extra: scikit-learn, python-crfsuite and joblib, imported only when asked for.

The harness and the generator never need them; training or benchmarking a learned model
does. Without them, one line says what to install.
"""

from __future__ import annotations

import importlib.util

from breachbench.benchmarks.protocol import DetectorLoadError

__all__ = ["INSTALL_LINE", "MissingExtra", "require_ml"]

INSTALL_LINE = "pip install 'breachbench[ml]'"
_MODULES = {"sklearn": "scikit-learn", "pycrfsuite": "python-crfsuite", "joblib": "joblib"}


class MissingExtra(DetectorLoadError):
    """A learned model needs the ``ml`` extra; the message ends with the install line."""


def require_ml() -> None:
    """Raise :class:`MissingExtra` unless every module of the extra can be imported."""
    missing = []
    for module, package in _MODULES.items():
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):  # sys.modules[module] = None in tests
            found = False
        if not found:
            missing.append(package)
    if missing:
        raise MissingExtra(f"learned detectors need {', '.join(missing)}: {INSTALL_LINE}")
