"""Mergeable counts: everything the metrics need, and nothing that cannot be summed.

Every figure of a report is a function of these integers, so batches, shards and partial
runs are scored apart and combined with ``+`` (or :meth:`Counts.merge`), and a run that
stops half way still has exact counts for what it scored. Counts serialise to JSON
losslessly (:meth:`Counts.to_json` / :meth:`Counts.from_json`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np

from .bootstrap import BUCKETS, replicate_totals
from .exposure import EXPOSURE_FIELDS, REPLICATED_FIELDS, default_hundredths, width
from .labels import GROUPS, CategorySpace
from .matching import OUTCOMES, SCHEMES

SCHEMA = "breachbench.counts/3"
"""/3: bootstrap weights are drawn per hash bucket of records (see ``bootstrap.py``), so
replicates of /2 files resample differently and do not merge or pair with these."""

RECORD_FIELDS: tuple[str, ...] = ("records", "comments", "category_level", "span_level")
"""``category_level``: records whose prediction had categories or spans; ``span_level``: spans."""
CONFUSION: tuple[str, ...] = ("tp", "fp", "fn", "tn")
LEAK_FIELDS: tuple[str, ...] = (
    "records",
    "leaked_overlap",
    "leaked_full",
    "spans",
    "exposed_overlap",
    "exposed_full",
)
"""Per group: records with >= 1 gold span of the group, those with >= 1 span left exposed
(under each coverage mode), gold spans of the group and those left exposed."""
BREAKDOWN_FIELDS: tuple[str, ...] = (
    "spans",
    "strict_cor",
    "exact_cor",
    "partial_cor",
    "partial_par",
    "ent_type_cor",
    *LEAK_FIELDS[4:],
    *LEAK_FIELDS[:3],
)
REPLICATE_FIELDS: tuple[str, ...] = (
    "sensitive_tp",
    "sensitive_fp",
    "sensitive_fn",
    "strict_cor",
    "strict_actual",
    "strict_possible",
    "sensitive_leak_records",
    "sensitive_leaked_overlap",
    "sensitive_leaked_full",
    "identifier_leak_records",
    "identifier_leaked_overlap",
    "identifier_leaked_full",
)
"""Columns of the per-replicate sums: the counts behind the headline figures."""


def empty_buckets(replicates: int) -> np.ndarray:
    """Zero bucket sums for counts with ``replicates`` replicates (none when the bootstrap
    is off, so that counts without intervals stay small)."""
    rows = BUCKETS if replicates else 0
    return np.zeros((rows, len(REPLICATE_FIELDS) + len(REPLICATED_FIELDS)), dtype=np.int64)


BREAKDOWN_DIMENSIONS: tuple[str, ...] = ("subject", "assertion", "difficulty_tags")

_SERIALISED: tuple[str, ...] = (
    "records",
    "sensitive",
    "category",
    "span_overall",
    "span_category",
    "leak",
    "replicates",
    "exposure",
    "exposure_replicates",
)
"""Arrays written to JSON: the replicates as totals, whatever their source."""
_SUMMED: tuple[str, ...] = (
    *(name for name in _SERIALISED if not name.endswith("replicates")),
    "replicate_base",
    "exposure_replicate_base",
    "buckets",
)
"""Arrays that ``+`` adds: replicate totals read from JSON, and bucket sums scored here."""


def _add_maps(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out = dict(a)
    for key, value in b.items():
        out[key] = out[key] + value if key in out else value.copy()
    return out


@dataclass(frozen=True, eq=False)
class Counts:
    """Integer counts of one or more scored batches.

    Array shapes (C = categories, B = bootstrap replicates):
    ``records`` (RECORD_FIELDS), ``sensitive`` (CONFUSION), ``category`` (C, CONFUSION),
    ``span_overall`` (SCHEMES, OUTCOMES), ``span_category`` (C, SCHEMES, OUTCOMES),
    ``leak`` (GROUPS, LEAK_FIELDS), ``replicates`` (B, REPLICATE_FIELDS), a property;
    ``breakdowns[dimension][value]`` is (GROUPS, BREAKDOWN_FIELDS) and
    ``tag_sensitive[tag]`` is (CONFUSION) for records carrying that difficulty tag.
    ``exposure`` is (EXPOSURE_FIELDS + 2C) and ``exposure_replicates`` (B, REPLICATED_FIELDS):
    the exposure sums of ``exposure.py`` and their per-replicate weighted sums.
    Replicates are the totals read from JSON (``*_replicate_base``) plus the weighted sums
    of ``buckets`` (BUCKETS, REPLICATE_FIELDS + REPLICATED_FIELDS): the per-bucket sums of
    the records scored here, weighed once, when first asked for.
    ``id_digest`` is the sum modulo 2**64 of the record id hashes: equal digests mean
    (with overwhelming probability) the same set of records, which paired tests require.
    """

    space: CategorySpace
    min_overlap_percentage: float
    bootstrap_seed: int
    records: np.ndarray
    sensitive: np.ndarray
    category: np.ndarray
    span_overall: np.ndarray
    span_category: np.ndarray
    leak: np.ndarray
    replicate_base: np.ndarray
    exposure: np.ndarray
    exposure_replicate_base: np.ndarray
    buckets: np.ndarray
    severity: tuple[int, ...] = ()
    """Severity weight of each category id (hundredths) summed into the exposure counts."""
    id_digest: int = 0
    breakdowns: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    tag_sensitive: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def empty(
        cls,
        *,
        space: CategorySpace,
        min_overlap_percentage: float = 1.0,
        bootstrap_seed: int = 0,
        bootstrap_replicates: int = 1000,
        severity: tuple[int, ...] | None = None,
    ) -> Counts:
        """All-zero counts: the identity of ``+`` (``severity``: default weights if None)."""
        c = space.size
        return cls(
            space=space,
            min_overlap_percentage=min_overlap_percentage,
            bootstrap_seed=bootstrap_seed,
            records=np.zeros(len(RECORD_FIELDS), dtype=np.int64),
            sensitive=np.zeros(len(CONFUSION), dtype=np.int64),
            category=np.zeros((c, len(CONFUSION)), dtype=np.int64),
            span_overall=np.zeros((len(SCHEMES), len(OUTCOMES)), dtype=np.int64),
            span_category=np.zeros((c, len(SCHEMES), len(OUTCOMES)), dtype=np.int64),
            leak=np.zeros((len(GROUPS), len(LEAK_FIELDS)), dtype=np.int64),
            replicate_base=np.zeros((bootstrap_replicates, len(REPLICATE_FIELDS)), dtype=np.int64),
            exposure=np.zeros(width(c), dtype=np.int64),
            exposure_replicate_base=np.zeros(
                (bootstrap_replicates, len(REPLICATED_FIELDS)), dtype=np.int64
            ),
            buckets=empty_buckets(bootstrap_replicates),
            severity=severity if severity is not None else default_hundredths(space),
            breakdowns={dim: {} for dim in BREAKDOWN_DIMENSIONS},
        )

    @property
    def bootstrap_replicates(self) -> int:
        """Number of bootstrap replicates (0 when the bootstrap is off)."""
        return self.replicate_base.shape[0]

    @cached_property
    def _weighed(self) -> np.ndarray:
        return replicate_totals(
            self.buckets, seed=self.bootstrap_seed, replicates=self.bootstrap_replicates
        )

    @property
    def replicates(self) -> np.ndarray:
        """(B, REPLICATE_FIELDS): the headline counts of each bootstrap replicate."""
        return self.replicate_base + self._weighed[:, : len(REPLICATE_FIELDS)]

    @property
    def exposure_replicates(self) -> np.ndarray:
        """(B, REPLICATED_FIELDS): the exposure counts of each bootstrap replicate."""
        return self.exposure_replicate_base + self._weighed[:, len(REPLICATE_FIELDS) :]

    def _check_compatible(self, other: Counts) -> None:
        if self.space != other.space:
            raise ValueError("cannot merge counts over different category spaces")
        mine = (self.min_overlap_percentage, self.bootstrap_seed, self.bootstrap_replicates)
        theirs = (other.min_overlap_percentage, other.bootstrap_seed, other.bootstrap_replicates)
        if self.severity != other.severity:
            raise ValueError("cannot merge counts scored with different severity weights")
        if mine != theirs:
            raise ValueError(
                f"cannot merge counts scored with different options: {mine} != {theirs}"
            )

    def __add__(self, other: Counts) -> Counts:
        if not isinstance(other, Counts):
            return NotImplemented
        self._check_compatible(other)
        summed = {name: getattr(self, name) + getattr(other, name) for name in _SUMMED}
        dims = set(self.breakdowns) | set(other.breakdowns)
        return replace(
            self,
            **summed,
            id_digest=(self.id_digest + other.id_digest) % 2**64,
            breakdowns={
                d: _add_maps(self.breakdowns.get(d, {}), other.breakdowns.get(d, {}))
                for d in sorted(dims)
            },
            tag_sensitive=_add_maps(self.tag_sensitive, other.tag_sensitive),
        )

    @staticmethod
    def merge(parts: Iterable[Counts]) -> Counts:
        """Sum of several counts (at least one)."""
        items = list(parts)
        if not items:
            raise ValueError("merge needs at least one Counts")
        total = items[0]
        for item in items[1:]:
            total = total + item
        return total

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Counts):
            return NotImplemented
        return self.to_json() == other.to_json()

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly dict holding every count (lossless)."""

        def nonzero(m: dict[str, np.ndarray]) -> dict[str, Any]:
            return {k: v.tolist() for k, v in sorted(m.items())}

        return {
            "schema": SCHEMA,
            "taxonomy": self.space.to_json(),
            "min_overlap_percentage": self.min_overlap_percentage,
            "bootstrap_seed": self.bootstrap_seed,
            "id_digest": f"{self.id_digest:016x}",
            "severity_hundredths": list(self.severity),
            "layout": {
                "records": list(RECORD_FIELDS),
                "confusion": list(CONFUSION),
                "schemes": list(SCHEMES),
                "outcomes": list(OUTCOMES),
                "groups": list(GROUPS),
                "leak": list(LEAK_FIELDS),
                "breakdown": list(BREAKDOWN_FIELDS),
                "replicates": list(REPLICATE_FIELDS),
                "exposure": [*EXPOSURE_FIELDS, "spans per category", "leaked per category"],
                "exposure_replicates": list(REPLICATED_FIELDS),
            },
            **{name: getattr(self, name).tolist() for name in _SERIALISED},
            "breakdowns": {d: nonzero(v) for d, v in sorted(self.breakdowns.items())},
            "tag_sensitive": nonzero(self.tag_sensitive),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Counts:
        """Inverse of :meth:`to_json`; refuses another schema or layout."""
        if data.get("schema") != SCHEMA:
            raise ValueError(
                f"unsupported counts schema {data.get('schema')!r}, expected {SCHEMA!r}"
            )
        if data["layout"] != cls.empty(space=CategorySpace((), ())).to_json()["layout"]:
            raise ValueError("counts layout differs from this version's")
        space = CategorySpace.from_json(data["taxonomy"])
        empty = cls.empty(space=space, bootstrap_replicates=len(data["replicates"]))
        arrays = {
            name: np.asarray(data[name], dtype=np.int64).reshape(getattr(empty, name).shape)
            for name in _SERIALISED
        }
        arrays["replicate_base"] = arrays.pop("replicates")
        arrays["exposure_replicate_base"] = arrays.pop("exposure_replicates")
        arrays["buckets"] = empty.buckets
        width = (len(GROUPS), len(BREAKDOWN_FIELDS))
        return cls(
            space=space,
            min_overlap_percentage=float(data["min_overlap_percentage"]),
            bootstrap_seed=int(data["bootstrap_seed"]),
            id_digest=int(data["id_digest"], 16),
            severity=tuple(int(v) for v in data["severity_hundredths"]),
            **arrays,
            breakdowns={
                d: {k: np.asarray(v, dtype=np.int64).reshape(width) for k, v in m.items()}
                for d, m in data["breakdowns"].items()
            },
            tag_sensitive={
                k: np.asarray(v, dtype=np.int64) for k, v in data["tag_sensitive"].items()
            },
        )
