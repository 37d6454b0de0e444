"""Which sensitive fact follows another in one note: facts that hang together.

A note with two or three sensitive facts drew each on its own, so they sat side by side
with nothing between them ("Insulino-dépendant. Sans domicile fixe ?"), the first tell
of ``shared/REALISM.md``. A desk that writes several facts writes one story: an
addiction and the precarity it led to, violence and the protection order, a serology
and its context. ``corpora/comments/fact_pairs.yaml`` gives, per sensitive category of
a fact (the *lead*), the rate at which the next fact of its note is drawn from paired
categories, and their weights.

The engine redraws a note's later facts from their lead's pairs in whole-batch array
operations, as ``sequels.py`` does for the steps at the desk: a pair that does not fit
the record or repeats a clause of the note is drawn again, and after a few rounds the
fact drawn first stays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from breachbench.generator.arrays.sampling import GroupedCategorical
from breachbench.generator.comments.compiled import CompiledTemplates
from breachbench.generator.data import corpora

__all__ = ["FACT_PAIRS_FILE", "FactPairs", "load_fact_pairs"]

FACT_PAIRS_FILE = "comments/fact_pairs.yaml"


@dataclass(frozen=True)
class FactPairs:
    """Per sensitive category its pairing rate and the categories its next fact is drawn
    from; per template whether it may lead a pair, and be drawn as a paired fact."""

    rate: np.ndarray  # (categories,) float64: share of next facts drawn from the pairs
    then: GroupedCategorical  # lead category -> category * len(categories) + next category
    leads: np.ndarray  # (templates,) bool: not tagged with one of ``unlinked_tags``
    follows: np.ndarray  # (templates,) bool: not tagged with one of ``unpaired_tags``
    categories: tuple[str, ...]
    weights: np.ndarray  # (categories, categories) float64: lead x next category

    def draw(self, rng: np.random.Generator, lead: np.ndarray) -> np.ndarray:
        """A category (index into ``categories``) paired with each ``lead`` category; only
        for leads of a non-zero rate (others have no pairs to draw from)."""
        return self.then.sample(rng, lead) % len(self.categories)

    def listed(self, lead: np.ndarray, follower: np.ndarray) -> np.ndarray:
        """Whether each (lead, follower) category pair is one the table lists."""
        return self.weights[lead, follower] > 0


def load_fact_pairs(
    compiled: CompiledTemplates,
    categories: Sequence[str],
    document: Mapping | None = None,
) -> FactPairs:
    """The :class:`FactPairs` of ``categories`` (the sensitive categories, in the
    engine's key order) over the compiled templates; ``document`` defaults to
    ``corpora/comments/fact_pairs.yaml``. Raises ``ValueError`` with one line naming the
    file and the entry on an unknown category or tag, a rate outside [0, 1], a negative
    weight, or a listed lead with a rate and no weight."""
    if document is None:
        document = corpora.read_yaml(FACT_PAIRS_FILE)
    file = FACT_PAIRS_FILE
    if not isinstance(document, Mapping):
        raise ValueError(f"{file}: expected a mapping with 'pairs'")
    unknown_keys = sorted(set(document) - {"pairs", "unlinked_tags", "unpaired_tags"})
    if unknown_keys:
        raise ValueError(
            f"{file}: unknown keys {unknown_keys} (pairs, unlinked_tags, unpaired_tags)"
        )
    names = list(categories)
    pairs = document.get("pairs") or {}
    if not isinstance(pairs, Mapping):
        raise ValueError(f"{file}: pairs: expected a mapping of sensitive categories")
    n = len(names)
    rate = np.zeros(n, dtype=np.float64)
    weights = np.zeros((n, n), dtype=np.float64)
    for lead, spec in pairs.items():
        if lead not in names:
            raise ValueError(f"{file}: pairs: unknown category {lead!r}")
        if not isinstance(spec, Mapping) or not isinstance(spec.get("then"), Mapping):
            raise ValueError(f"{file}: pairs.{lead}: expected a rate and a mapping 'then'")
        if set(spec) - {"rate", "then"}:
            extra = sorted(set(spec) - {"rate", "then"})
            raise ValueError(f"{file}: pairs.{lead}: unknown keys {extra} (rate, then)")
        value = spec.get("rate")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise ValueError(f"{file}: pairs.{lead}.rate: a share, between 0 and 1, got {value!r}")
        i = names.index(lead)
        rate[i] = float(value)
        for follower, weight in spec["then"].items():
            if follower not in names:
                raise ValueError(f"{file}: pairs.{lead}.then: unknown category {follower!r}")
            if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight < 0:
                raise ValueError(
                    f"{file}: pairs.{lead}.then.{follower}: a weight, 0 or more, got {weight!r}"
                )
            weights[i, names.index(follower)] = float(weight)
        if rate[i] > 0 and weights[i].sum() <= 0:
            raise ValueError(f"{file}: pairs.{lead}: a rate above 0 needs a category to draw")

    tags = list(compiled.tag_vocabulary)

    def untagged(key: str) -> np.ndarray:
        """Per template: whether it has none of the tags ``document[key]`` lists."""
        listed = [str(t) for t in document.get(key) or ()]
        unknown = sorted(set(listed) - set(tags))
        if unknown:
            raise ValueError(f"{file}: {key} names unknown tags {unknown}")
        return ~compiled.template_tags[:, [tags.index(t) for t in listed]].any(axis=1)

    # Every lead has a group of n items; an unlisted lead's weigh 0 and, at rate 0, are
    # never drawn from.
    then = GroupedCategorical.from_groups(np.repeat(np.arange(n), n), weights.ravel(), n)
    return FactPairs(
        rate, then, untagged("unlinked_tags"), untagged("unpaired_tags"), tuple(names), weights
    )
