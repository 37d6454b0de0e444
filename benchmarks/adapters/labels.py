"""Mapping a detector's own labels (``PERSON``, ``PHONE_NUMBER``...) to taxonomy categories.

A label that is already a taxonomy category (in any case) maps to itself. A label the
mapping file sets to ``null`` is deliberately ignored. Any other label is *unmapped*: its
spans are excluded from scoring, and every occurrence is counted in :attr:`unmapped` so the
report can say what was left out; nothing is dropped silently.

Mapping file (YAML), either flat or under a ``labels:`` key::

    labels:
      PERSON: person
      PHONE_NUMBER: phone
      EMAIL_ADDRESS: email
      LOCATION: address
      DATE_TIME: date
      FR_NIR: nir
      URL: null          # known, deliberately not scored
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml
from breachbench.benchmarks.detectors.data import taxonomy_categories
from breachbench.benchmarks.protocol import Answer, PredictedSpan

__all__ = ["LabelMapping", "LabelMappingError"]


class LabelMappingError(ValueError):
    """The mapping file is malformed or maps to a category the taxonomy does not have."""


def _all_categories() -> frozenset[str]:
    return frozenset(c for group in taxonomy_categories().values() for c in group)


class LabelMapping:
    """Detector label -> taxonomy category, counting what could not be mapped."""

    def __init__(
        self,
        mapping: Mapping[str, str | None] | None = None,
        *,
        categories: Iterable[str] | None = None,
    ) -> None:
        self.categories = frozenset(categories) if categories is not None else _all_categories()
        by_lower = {c.lower(): c for c in self.categories}
        self._table: dict[str, str | None] = {}
        for label, target in (mapping or {}).items():
            if target is not None and target not in self.categories:
                raise LabelMappingError(
                    f"label {label!r} maps to {target!r}, which is not a taxonomy category"
                )
            self._table[str(label)] = target
        self._by_lower = by_lower
        self._cache: dict[str, str | None] = {}
        self.unmapped: Counter[str] = Counter()
        self.ignored: Counter[str] = Counter()

    @classmethod
    def from_yaml(cls, path: str | Path, **kwargs: object) -> LabelMapping:
        """Read a mapping file; see the module docstring for its form."""
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as error:
            raise LabelMappingError(f"cannot read label mapping {str(path)!r}: {error}") from None
        if isinstance(data, dict) and isinstance(data.get("labels"), dict):
            data = data["labels"]
        if data is None:
            data = {}
        if not isinstance(data, dict) or not all(
            isinstance(v, str) or v is None for v in data.values()
        ):
            raise LabelMappingError(
                f"label mapping {str(path)!r} must map each label to a category or null"
            )
        return cls(data, **kwargs)  # type: ignore[arg-type]

    def _resolve(self, label: str) -> str | None:
        """The category for ``label`` with no counting; None when unmapped or ignored."""
        if label in self._table:
            return self._table[label]
        if label in self.categories:
            return label
        return self._by_lower.get(label.lower())

    def map_label(self, label: str) -> str | None:
        """The category for ``label``, or None (counted as unmapped or ignored)."""
        try:
            category = self._cache[label]
        except KeyError:
            category = self._cache[label] = self._resolve(label)
        if category is None:
            if label in self._table:
                self.ignored[label] += 1
            else:
                self.unmapped[label] += 1
        return category

    def apply(self, answer: Answer) -> Answer:
        """The answer with labels mapped; spans and categories that do not map are left out."""
        spans = answer.spans
        if spans:
            mapped: list[PredictedSpan] = []
            for span in spans:
                category = self.map_label(span.label)
                if category is not None:
                    mapped.append(span if category == span.label else span._replace(label=category))
            spans = mapped
        categories = answer.categories
        if categories:
            categories = frozenset(
                c for c in (self.map_label(label) for label in sorted(categories)) if c is not None
            )
        if spans is answer.spans and categories is answer.categories:
            return answer
        return Answer(spans=spans, categories=categories, sensitive=answer.sensitive)

    def report(self) -> dict[str, dict[str, int]]:
        """What was left out, by label and count, for results.json."""
        return {
            "unmapped": dict(self.unmapped.most_common()),
            "ignored": dict(self.ignored.most_common()),
        }
