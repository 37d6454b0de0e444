"""The one place the built-in detectors open data files: their lexicons.

Files are read through ``generator.data.corpora``, the one loader of ``corpora/``, so the
detectors work from a wheel as well as from a source tree, and each file is parsed once.
"""

from __future__ import annotations

import csv
import io
from functools import cache
from typing import Any

from breachbench.generator.contract.taxonomy import load_taxonomy
from breachbench.generator.data import corpora

__all__ = [
    "drug_names",
    "identifier_lexicon",
    "keyword_lexicon",
    "sex_cue_lexicon",
    "taxonomy_categories",
]


def _load_yaml(*parts: str) -> Any:
    """Parse one YAML file under ``corpora/``, through the project's one data loader."""
    return corpora.read_yaml("/".join(parts))


def taxonomy_categories() -> dict[str, tuple[str, ...]]:
    """Category ids by group (``sensitive``, ``identifier``), from the one taxonomy loader."""
    taxonomy = load_taxonomy()
    return {"sensitive": taxonomy.sensitive, "identifier": taxonomy.identifiers}


@cache
def keyword_lexicon() -> dict[str, Any]:
    """The built-in keyword detector's lexicon, ``corpora/detectors/keywords_fr.yaml``."""
    return _load_yaml("detectors", "keywords_fr.yaml")


@cache
def identifier_lexicon() -> dict[str, Any]:
    """The built-in identifier detector's word lists, ``corpora/detectors/identifiers_fr.yaml``."""
    return _load_yaml("detectors", "identifiers_fr.yaml")


@cache
def sex_cue_lexicon() -> dict[str, Any]:
    """Words that say the patient's sex, ``corpora/detectors/sex_cues_fr.yaml`` (the CRF's
    note-level feature, :mod:`breachbench.benchmarks.learned.sexcue`)."""
    return _load_yaml("detectors", "sex_cues_fr.yaml")


@cache
def drug_names() -> dict[str, tuple[str, ...]]:
    """Medicine names by the category their use reveals, ``corpora/reference/drugs.csv``
    (derived from edsnlp's ATC table; edsnlp is not needed to read it). Read with the
    ``csv`` module, not pyarrow: a detector's isolated child starts without pyarrow."""
    by_category: dict[str, list[str]] = {}
    text = corpora.read_text("reference/drugs.csv")
    for row in csv.DictReader(io.StringIO(text)):
        by_category.setdefault(row["category"], []).append(row["name"])
    return {category: tuple(names) for category, names in by_category.items()}
