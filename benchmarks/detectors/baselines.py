"""The trivial baselines ``none`` and ``all``, which anchor the bottom and top of the scale.

``none`` answers no span for any text: every metric's floor (precision undefined, recall
0, leak rate = the share of sensitive comments).

``all`` is the "flag everything" baseline: in record-level (categories) mode it predicts
every category of the taxonomy, sensitive and identifier alike, for every non-empty
comment, and nothing for an empty one. Recall is 1 and precision is each category's
prevalence. A span-level "everything" has no sensible form (one span per category over
the whole text would overlap itself), so ``all`` is scored at record level only.
"""

from __future__ import annotations

from collections.abc import Sequence

from .data import taxonomy_categories

__all__ = ["AllBaseline", "NoneBaseline"]


class NoneBaseline:
    """Never finds anything."""

    name = "none"
    version = "1.0"
    mode = "spans"

    def __call__(self, texts: Sequence[str]) -> list[list[tuple[int, int, str]]]:
        """An empty span list per text."""
        return [[] for _ in texts]

    def close(self) -> None:
        """Nothing to release."""


class AllBaseline:
    """Flags every non-empty comment with every taxonomy category (record level)."""

    name = "all"
    version = "1.0"
    mode = "categories"

    def __init__(self, groups: Sequence[str] = ("sensitive", "identifier")) -> None:
        known = taxonomy_categories()
        self._everything = frozenset(c for g in groups for c in known[g])
        self._nothing: frozenset[str] = frozenset()

    def __call__(self, texts: Sequence[str]) -> list[frozenset[str]]:
        """Every category for a non-empty text, none for an empty one."""
        return [self._everything if text else self._nothing for text in texts]

    def close(self) -> None:
        """Nothing to release."""
