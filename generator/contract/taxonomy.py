"""The label taxonomy, loaded from ``corpora/taxonomy/taxonomy.yaml``.

Category ids are numbered in sorted order, so that a bitmask over ids, read from the
low bit up, lists categories already sorted: record-level ``categories`` come for free.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from breachbench.generator.data import corpora

TAXONOMY_FILE = "taxonomy/taxonomy.yaml"


@dataclass(frozen=True)
class Taxonomy:
    version: str
    categories: tuple[str, ...]  # sorted
    group_of: dict[str, str]  # category -> 'sensitive' | 'identifier'
    subjects: tuple[str, ...]
    assertions: tuple[str, ...]

    @property
    def sensitive(self) -> tuple[str, ...]:
        return tuple(c for c in self.categories if self.group_of[c] == "sensitive")

    @property
    def identifiers(self) -> tuple[str, ...]:
        return tuple(c for c in self.categories if self.group_of[c] == "identifier")

    def index(self, category: str) -> int:
        return self.categories.index(category)

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> Taxonomy:
        """The taxonomy of a parsed ``taxonomy.yaml``: the shipped one, or a test's own."""
        group_of = {
            category: group
            for group, spec in document["groups"].items()
            for category in spec["categories"]
        }
        return cls(
            version=str(document["version"]),
            categories=tuple(sorted(group_of)),
            group_of=group_of,
            subjects=tuple(document["attributes"]["subject"]["values"]),
            assertions=tuple(document["attributes"]["assertion"]["values"]),
        )


@functools.cache
def load_taxonomy() -> Taxonomy:
    """The taxonomy that ships with the project: the one every layer labels and scores by."""
    return Taxonomy.from_document(corpora.read_yaml(TAXONOMY_FILE))
