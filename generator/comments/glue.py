"""How the clauses of one note hang together: their order and the separator between two.

Clauses drawn one by one and joined by a separator drawn alone read as fragments glued
together ("Travaille à 94220 Charenton-le-Pont, alcoolisme : non"), the first thing that
gives a generated note away (``shared/REALISM.md``, tell 1). A desk writes a note in an
order (who the patient is and how to reach them, the fact, the papers, the step at the
desk, what closes the record) and lists remarks of one kind with a comma, but starts a
new sentence for a new kind. Each template gets a *topic* from the ``topics`` and
``links`` of ``corpora/comments/connectors.yaml``; the engine sorts a note's clauses by
topic (one stable argsort per batch) and draws each separator from the distribution of
its pair (same topic or not): no per-row Python work. A clause drawn as the step of the
one before it (``sequels.py``) takes its lead's place in that order and its own
separator, ``links.sequel`` (mostly a comma: "VIH+, discrétion à l'accueil").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from breachbench.generator.arrays.sampling import GroupedCategorical
from breachbench.generator.data import corpora

__all__ = ["Glue", "load_glue"]

CONNECTORS_FILE = "comments/connectors.yaml"
SAME_TOPIC, NEW_TOPIC, SEQUEL = 0, 1, 2
_LINKS = ("same_topic", "new_topic", "sequel")


@dataclass(frozen=True)
class Glue:
    """Per template, its topic's rank in a note; and the separators by topic pair."""

    rank: np.ndarray  # (templates,) int64: position of the template's topic in ``topics``
    lists: np.ndarray  # (topics,) bool: two clauses of the topic are remarks of one kind
    topic_names: tuple[str, ...]
    separators: GroupedCategorical  # group SAME_TOPIC, NEW_TOPIC or SEQUEL -> link * n + separator
    n_separators: int

    def order(
        self, template: np.ndarray, row: np.ndarray, sequel: np.ndarray | None = None
    ) -> np.ndarray:
        """The permutation that puts each row's clauses in topic order (rows contiguous
        and ascending, ties in drawn order): one stable argsort, no draw. A ``sequel``
        clause (the step of the clause before it) sorts with its lead's topic, so it
        stays right after it, and so does a chain of steps ("VIH+, discrétion à l'accueil,
        ne rien laisser sur le répondeur"): each takes the rank of the last clause before
        it that is no step (a row's first clause never is)."""
        rank = self.rank[template]
        if sequel is not None and sequel.any():
            index = np.arange(len(template))
            rank = rank[np.maximum.accumulate(np.where(sequel, 0, index))]
        key = row.astype(np.int64) * len(self.topic_names) + rank
        return np.argsort(key, kind="stable")

    def separator(
        self,
        rng: np.random.Generator,
        template: np.ndarray,
        first: np.ndarray,
        sequel: np.ndarray | None = None,
    ) -> np.ndarray:
        """A separator index (into ``separators`` of connectors.yaml) per clause, drawn by
        whether the clause is the step of the one before it (``sequel``), else whether it
        shares that clause's topic, when the topic lists; a first clause's is drawn too
        (one draw per clause, as before) and unused."""
        rank = self.rank[template]
        same = ~first & (rank == np.roll(rank, 1)) & self.lists[rank]
        link = np.where(same, SAME_TOPIC, NEW_TOPIC)
        if sequel is not None:
            link = np.where(sequel & ~first, SEQUEL, link)
        drawn = self.separators.sample(rng, link)
        return drawn % self.n_separators


def load_glue(
    families: np.ndarray,
    groups: np.ndarray,
    family_names: Sequence[str],
    group_names: Sequence[str],
    separators: Sequence[str],
    document: Mapping | None = None,
) -> Glue:
    """The :class:`Glue` of templates of the given family and group ids (-1: no group).

    ``family_names`` are the non-sensitive families then ``sensitive`` (every id past
    them is a sensitive category); ``separators`` the texts a link's weights refer to.
    """
    if document is None:
        document = corpora.read_yaml(CONNECTORS_FILE)
    topics = document.get("topics") or [{"name": "any", "families": list(family_names)}]
    names = tuple(str(topic["name"]) for topic in topics)
    unknown_families = {f for t in topics for f in t.get("families", ())} - set(family_names)
    unknown_groups = {g for t in topics for g in t.get("groups", ())} - set(group_names)
    if unknown_families or unknown_groups:
        raise ValueError(
            f"{CONNECTORS_FILE}: topics name unknown families {sorted(unknown_families)} "
            f"or groups {sorted(unknown_groups)}"
        )
    by_family = np.full(len(family_names), -1, dtype=np.int64)
    by_group = np.full(len(group_names) + 1, -1, dtype=np.int64)  # last: no group
    for rank in range(len(topics) - 1, -1, -1):  # the first topic listing it wins
        for family in topics[rank].get("families", ()):
            by_family[list(family_names).index(family)] = rank
        for group in topics[rank].get("groups", ()):
            by_group[list(group_names).index(group)] = rank
    family = np.minimum(families, len(family_names) - 1)
    rank = np.where(by_group[groups] >= 0, by_group[groups], by_family[family])
    if (rank < 0).any():
        raise ValueError(f"{CONNECTORS_FILE}: some templates are of no topic")

    links = document.get("links") or {}
    weights = np.zeros((len(_LINKS), len(separators)), dtype=np.float64)
    for i, link in enumerate(_LINKS):
        given = links.get(link)
        if given is None and link == "sequel":  # not given: as two remarks of one kind
            given = links.get("same_topic")
        if given is None:  # no link given: the separators' own weights
            weights[i] = [float(e["weight"]) for e in document["separators"]]
            continue
        for text, weight in given.items():
            if text not in separators:
                raise ValueError(f"{CONNECTORS_FILE}: links.{link} names {text!r}, no separator")
            weights[i, list(separators).index(text)] = float(weight)
    sampler = GroupedCategorical.from_groups(
        np.repeat(np.arange(len(_LINKS)), len(separators)), weights.ravel(), len(_LINKS)
    )
    lists = np.array([bool(topic.get("lists", False)) for topic in topics], dtype=bool)
    return Glue(rank.astype(np.int64), lists, names, sampler, len(separators))
