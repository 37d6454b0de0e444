"""Weighted sampling over whole arrays in constant time per draw (Walker's alias method).

A binary search per draw (``searchsorted`` over cumulative weights) costs a cache miss
per level on tables of 10^5 names or communes; the alias method costs one uniform
number and two lookups, whatever the size of the table: ``u * k`` gives the column by
its whole part and the coin that keeps it or its alias by its fraction, a uniform number
of its own (a double leaves 36 bits of it for tables of up to 10^5 entries). Tables are
built once per process with Vose's algorithm.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np


def _vose(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Acceptance probabilities and aliases (local indices) for one distribution."""
    k = len(weights)
    scaled = weights * (k / weights.sum())
    probability = np.ones(k, dtype=np.float64)
    alias = np.arange(k, dtype=np.int64)
    small = [int(i) for i in np.flatnonzero(scaled < 1.0)]
    large = [int(i) for i in np.flatnonzero(scaled >= 1.0)]
    scaled = scaled.tolist()
    while small and large:
        less, more = small.pop(), large[-1]
        probability[less] = scaled[less]
        alias[less] = more
        scaled[more] = scaled[more] + scaled[less] - 1.0
        if scaled[more] < 1.0:
            large.pop()
            small.append(more)
    # Whatever remains is 1 up to rounding error.
    return probability, alias


def _check(weights: np.ndarray) -> np.ndarray:
    array = np.asarray(weights, dtype=np.float64)
    if array.ndim != 1 or len(array) == 0 or (array < 0).any() or not np.isfinite(array).all():
        raise ValueError("weights must be a non-empty 1-d array of finite non-negative numbers")
    return array


@dataclass(frozen=True)
class Categorical:
    """Draws indices ``0..k-1`` with probability proportional to ``weights``."""

    probability: np.ndarray
    alias: np.ndarray

    @classmethod
    def from_weights(cls, weights: np.ndarray | list[float]) -> Categorical:
        array = _check(weights)
        if array.sum() <= 0:
            raise ValueError("weights must not all be zero")
        return cls(*_vose(array))

    def __len__(self) -> int:
        return len(self.probability)

    def masses(self) -> np.ndarray:
        """Each index's share of the draws, recovered from the alias table (the weights it
        was built from, normalised to sum to ``k``): what a restriction rescales."""
        mass = self.probability.copy()
        np.add.at(mass, self.alias, 1.0 - self.probability)
        return mass

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        scaled = rng.random(n)
        scaled *= len(self.probability)
        return _pick(self._entries, scaled, 0)

    @functools.cached_property
    def _entries(self) -> np.ndarray:
        return _entries(self.probability, np.arange(len(self.alias)), self.alias)


@dataclass(frozen=True)
class GroupedCategorical:
    """Many distributions over one item array, chosen per draw by a group id.

    First names by (sex, decade), communes by department, templates by (family, sex):
    each group owns a contiguous slice of one alias table, so drawing a different
    distribution for every row is still a handful of array operations.
    """

    probability: np.ndarray  # per position in group order
    alias: np.ndarray  # global position
    group_start: np.ndarray
    group_size: np.ndarray
    group_total: np.ndarray  # total weight per group (0: the group cannot be drawn)
    item_order: np.ndarray  # position -> original item index

    @classmethod
    def from_groups(
        cls, groups: np.ndarray, weights: np.ndarray, n_groups: int
    ) -> GroupedCategorical:
        groups = np.asarray(groups, dtype=np.int64)
        weights = _check(weights)
        order = np.argsort(groups, kind="stable")
        sorted_weights = weights[order]
        sizes = np.bincount(groups, minlength=n_groups)
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        totals = np.bincount(groups, weights=weights, minlength=n_groups).astype(np.float64)
        probability = np.ones(len(weights), dtype=np.float64)
        alias = np.arange(len(weights), dtype=np.int64)
        for group in np.flatnonzero(totals > 0):
            lo, hi = starts[group], starts[group] + sizes[group]
            p, a = _vose(sorted_weights[lo:hi])
            probability[lo:hi] = p
            alias[lo:hi] = a + lo
        return cls(probability, alias, starts, sizes, totals, order)

    def sample(self, rng: np.random.Generator, group: np.ndarray) -> np.ndarray:
        """One item per entry of ``group``; drawing from a group with no weight raises."""
        return self.draws.sample(rng, group)

    @functools.cached_property
    def draws(self) -> GroupedDraws:
        """What drawing reads, without the arrays it was built from."""
        return GroupedDraws(
            _entries(self.probability, self.item_order, self.item_order[self.alias]),
            self.group_start,
            self.group_size,
            self.group_total,
        )


@dataclass(frozen=True)
class GroupedDraws:
    """A :class:`GroupedCategorical` as drawing reads it: one 16-byte record per position
    and each group's slice, a third of the memory of the arrays it is built from (what a
    table of a million templates keeps per process)."""

    entries: np.ndarray  # per position: acceptance probability, item kept, item of the alias
    group_start: np.ndarray
    group_size: np.ndarray
    group_total: np.ndarray  # total weight per group (0: the group cannot be drawn)

    def sample(self, rng: np.random.Generator, group: np.ndarray) -> np.ndarray:
        """One item per entry of ``group``; drawing from a group with no weight raises."""
        group = np.asarray(group, dtype=np.int64)
        if len(group) and self._has_empty_group and (self.group_total[group] <= 0).any():
            raise ValueError("drawing from an empty group")
        scaled = rng.random(len(group))
        scaled *= self.group_size[group]
        return _pick(self.entries, scaled, self.group_start[group])

    @functools.cached_property
    def _has_empty_group(self) -> bool:
        """Whether any group has no weight: otherwise no draw needs checking."""
        return bool((self.group_total <= 0).any())


_ENTRY = np.dtype([("probability", np.float64), ("item", np.int32), ("alias", np.int32)])


def _entries(probability: np.ndarray, item: np.ndarray, alias: np.ndarray) -> np.ndarray:
    """The alias table as one record per position (acceptance probability, the item kept,
    the item its alias gives), 16 bytes: a draw reads one record where three separate
    arrays cost three cache misses on tables of 10^5 names. Same draws, same items."""
    if len(item) >= 2**31:
        raise ValueError("alias tables are limited to 2**31 items")
    entries = np.empty(len(probability), dtype=_ENTRY)
    entries["probability"] = probability
    entries["item"] = item
    entries["alias"] = alias
    return entries


def _pick(entries: np.ndarray, scaled: np.ndarray, start: np.ndarray | int) -> np.ndarray:
    """The items that uniform numbers scaled to their table's size pick: the whole part
    is the column (counted from ``start``), the fraction the coin between its item and
    its alias.

    A uniform double is at most ``1 - 2**-53``, and that times a size below ``2**53``
    rounds to less than the size: the whole part is always a column of the table, and
    needs no clamp. Temporaries are reused in place: a sampler called a few hundred times
    per block spends as much on allocating arrays as on computing them.
    """
    whole = scaled.astype(np.int64)  # truncation is floor: scaled is non-negative
    scaled -= whole  # the fraction, in place
    whole += start
    entry = entries[whole]
    item = entry["item"].astype(np.int64)
    alias = entry["alias"].astype(np.int64)
    # ``np.where(keep, item, alias)`` as a multiply-add, a third of the time: ``where``
    # on int64 does not vectorise.
    item -= alias
    item *= scaled < entry["probability"]
    item += alias
    return item
