"""Python detectors: a callable, a class, an entry point or a built-in name, one adapter.

``load_detector("package.module:name")`` resolves, in order: a built-in name
(``keywords``...), a name registered under the entry-point group ``breachbench.detectors``,
then ``module:attribute`` (the attribute may be dotted). A class is instantiated with no
arguments. The object must be callable on a list of texts; ``close()``, ``name``,
``version`` and ``mode`` are used when present.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from importlib import metadata
from typing import Any

from breachbench.benchmarks.detectors import BUILTINS
from breachbench.benchmarks.protocol import (
    Answer,
    AnswerNormaliser,
    DetectorFault,
    DetectorLoadError,
    Mode,
)

from .memory import peak_rss_bytes

__all__ = ["ENTRY_POINT_GROUP", "PythonDetector", "load_detector"]

ENTRY_POINT_GROUP = "breachbench.detectors"


class PythonDetector:
    """Adapter around an in-process detector: validates answers, keeps its mode, closes it.

    Its peak memory is that of the whole process (harness included): an in-process
    detector cannot be measured apart from its host.
    """

    def __init__(
        self,
        detector: Callable[[list[str]], Any],
        *,
        name: str | None = None,
        version: str | None = None,
        mode: Mode | None = None,
    ) -> None:
        if not callable(detector):
            raise DetectorLoadError(f"detector {detector!r} is not callable")
        self._detector = detector
        self.name: str = name or getattr(detector, "name", None) or _describe(detector)
        found_version = version or getattr(detector, "version", None)
        self.version: str | None = None if found_version is None else str(found_version)
        self._normaliser = AnswerNormaliser(mode or getattr(detector, "mode", None))

    @property
    def mode(self) -> Mode | None:
        """Span, categories or bool mode; None while every answer so far was empty."""
        return self._normaliser.mode

    def __call__(self, ids: list[str], texts: list[str]) -> list[Answer]:
        """Run the detector on one batch and validate its answers."""
        try:
            raw = self._detector(list(texts))
        except Exception as error:
            first = ids[0] if ids else None
            raise DetectorFault(
                first,
                f"detector raised {type(error).__name__}: {error}"
                f" (batch of {len(ids)} records starting here)",
            ) from error
        return self._normaliser.batch(ids, texts, raw)

    def close(self) -> None:
        """Call the detector's own ``close()`` if it has one."""
        close = getattr(self._detector, "close", None)
        if callable(close):
            close()

    def peak_memory_bytes(self) -> int | None:
        """Peak resident memory of this process so far."""
        return peak_rss_bytes()

    def __enter__(self) -> PythonDetector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _describe(obj: Any) -> str:
    """A readable default name: ``module:qualname`` of the callable or its class."""
    target = obj if hasattr(obj, "__qualname__") else type(obj)
    return f"{target.__module__}:{target.__qualname__}"


def _distribution_version(module_name: str) -> str | None:
    """Version of the installed distribution that provides ``module_name``, if any."""
    top = module_name.split(".")[0]
    for dist in metadata.packages_distributions().get(top, []):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return None


def _instantiate(obj: Any, spec: str) -> Any:
    """A class becomes an instance (no arguments); anything else is used as is."""
    if isinstance(obj, type):
        try:
            return obj()
        except TypeError as error:
            raise DetectorLoadError(
                f"detector class {spec!r} cannot be instantiated without arguments: {error}"
            ) from None
    return obj


def _cwd_on_path() -> None:
    """Put the working directory first on the import path, as ``python -m`` does: the
    ``breachbench`` script's path starts with its own folder, so ``--detector
    mypackage.detect:find_spans`` would not find ``mypackage`` where the user stands."""
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.insert(0, cwd)


def _from_module(spec: str) -> tuple[Any, str | None]:
    """Import ``module:attr.path``; one-line errors for a missing module or attribute."""
    module_name, _, attr_path = spec.partition(":")
    if not module_name or not attr_path:
        raise DetectorLoadError(f"detector {spec!r} must be of the form package.module:name")
    _cwd_on_path()
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        raise DetectorLoadError(
            f"cannot import module {module_name!r} for detector {spec!r}: {error}"
        ) from None
    obj: Any = module
    for part in attr_path.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise DetectorLoadError(
                f"module {module_name!r} has no attribute {attr_path!r} (detector {spec!r})"
            ) from None
    return obj, _distribution_version(module_name)


def _entry_point(name: str) -> metadata.EntryPoint | None:
    """The entry point ``name`` in the ``breachbench.detectors`` group, if registered."""
    for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if entry.name == name:
            return entry
    return None


def _learned(spec: str, mode: Mode | None) -> PythonDetector:
    """A model directory written by ``breachbench train`` (imported only when asked for)."""
    from breachbench.benchmarks.learned import ModelDirError, load_learned

    try:
        instance = load_learned(spec.removeprefix("learned:"))
    except ModelDirError as error:
        raise DetectorLoadError(str(error)) from None
    return PythonDetector(instance, name=spec, version=instance.version, mode=mode)


def load_detector(spec: str, *, mode: Mode | None = None) -> PythonDetector:
    """Resolve ``spec`` (built-in, ``learned:DIR``, entry point, or ``module:name``)."""
    if spec.startswith("learned:"):
        return _learned(spec, mode)
    if spec in BUILTINS:
        instance = BUILTINS[spec]()
        return PythonDetector(instance, name=spec, mode=mode)
    entry = _entry_point(spec)
    if entry is not None:
        try:
            obj = entry.load()
        except (ImportError, AttributeError) as error:
            raise DetectorLoadError(
                f"entry point {spec!r} ({entry.value}) failed to load: {error}"
            ) from None
        dist = getattr(entry, "dist", None)
        version = getattr(obj, "version", None) or (dist.version if dist else None)
        return PythonDetector(_instantiate(obj, spec), name=spec, version=version, mode=mode)
    if ":" not in spec:
        known = ", ".join(sorted(BUILTINS))
        raise DetectorLoadError(
            f"unknown detector {spec!r}: not a built-in ({known}), not registered under"
            f" {ENTRY_POINT_GROUP!r}, and not of the form package.module:name"
        )
    obj, dist_version = _from_module(spec)
    instance = _instantiate(obj, spec)
    version = getattr(instance, "version", None) or dist_version
    name = getattr(instance, "name", None) or spec
    return PythonDetector(instance, name=name, version=version, mode=mode)
