"""The one place the built-in detectors open data files: their lexicon and the taxonomy.

Files are read through ``importlib.resources`` from the installed ``corpora`` package, so
the detectors work from a wheel as well as from a source tree, and each file is parsed once.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

__all__ = ["keyword_lexicon", "taxonomy_categories"]


def _load_yaml(*parts: str) -> Any:
    """Parse one YAML file under the ``corpora`` package."""
    path = resources.files("breachbench.corpora").joinpath(*parts)
    with path.open("r", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@cache
def taxonomy_categories() -> dict[str, tuple[str, ...]]:
    """Category ids by group (``sensitive``, ``identifier``), in taxonomy order."""
    taxonomy = _load_yaml("taxonomy", "taxonomy.yaml")
    return {group: tuple(body["categories"]) for group, body in taxonomy["groups"].items()}


@cache
def keyword_lexicon() -> dict[str, Any]:
    """The built-in keyword detector's lexicon, ``corpora/detectors/keywords_fr.yaml``."""
    return _load_yaml("detectors", "keywords_fr.yaml")
