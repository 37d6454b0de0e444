"""Category ids and groups: the integer space every scoring array is indexed by.

Scoring works on small integer ids rather than strings so that matching, counting and
bootstrapping are array operations. The space is read from the taxonomy that ships with
the project, so a new category needs no change here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from breachbench.generator.contract.taxonomy import load_taxonomy

GROUPS: tuple[str, ...] = ("sensitive", "identifier")
"""Group names, in the order used by every per-group array (index 0, 1)."""


@dataclass(frozen=True)
class CategorySpace:
    """The ordered categories of one taxonomy version and the group of each.

    Parameters
    ----------
    categories:
        Category ids; a category's integer id is its index here.
    groups:
        For each category, the index into :data:`GROUPS` of its group.
    version:
        Taxonomy version string, carried into counts so that runs are comparable.
    """

    categories: tuple[str, ...]
    groups: tuple[int, ...]
    version: str = "unknown"

    def __post_init__(self) -> None:
        if len(self.categories) != len(self.groups):
            raise ValueError("categories and groups must have the same length")
        if len(set(self.categories)) != len(self.categories):
            raise ValueError("categories must be unique")
        if any(g not in range(len(GROUPS)) for g in self.groups):
            raise ValueError(f"group indices must be within 0..{len(GROUPS) - 1}")
        if len(self.categories) >= np.iinfo(np.int16).max:
            raise ValueError("too many categories for int16 ids")

    @property
    def size(self) -> int:
        """Number of categories."""
        return len(self.categories)

    @property
    def group_of(self) -> np.ndarray:
        """int8 array: group index of each category id."""
        return np.asarray(self.groups, dtype=np.int8)

    @property
    def sensitive_mask(self) -> np.ndarray:
        """bool array: which category ids belong to group ``sensitive``."""
        return self.group_of == GROUPS.index("sensitive")

    def ids(self, labels: pa.Array | list[str], *, what: str = "label") -> np.ndarray:
        """Map category strings to int16 ids; unknown strings raise, naming them.

        Unknown labels are an error rather than dropped: a silently dropped label would
        look like a miss and bias every figure (label mapping is the runner's job).
        """
        array = labels if isinstance(labels, pa.Array) else pa.array(labels, type=pa.string())
        if len(array) == 0:
            return np.zeros(0, dtype=np.int16)
        index = pc.index_in(array, value_set=pa.array(self.categories))
        if index.null_count:
            bad = pc.filter(array, pc.is_null(index))
            unknown = sorted({str(v) for v in bad.to_pylist()})
            raise ValueError(f"unknown {what}(s) not in taxonomy: {', '.join(unknown[:10])}")
        return index.to_numpy(zero_copy_only=False).astype(np.int16)

    def to_json(self) -> dict[str, object]:
        """JSON-friendly form, stored inside counts."""
        return {
            "version": self.version,
            "categories": list(self.categories),
            "groups": [GROUPS[g] for g in self.groups],
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> CategorySpace:
        """Inverse of :meth:`to_json`."""
        return cls(
            categories=tuple(data["categories"]),  # type: ignore[arg-type]
            groups=tuple(GROUPS.index(g) for g in data["groups"]),  # type: ignore[union-attr]
            version=str(data["version"]),
        )

    @classmethod
    def from_mapping(
        cls, groups: dict[str, list[str]], *, version: str = "unknown"
    ) -> CategorySpace:
        """Build from ``{group name: [categories]}``; handy for tests and custom taxonomies."""
        cats: list[str] = []
        gids: list[int] = []
        for name, members in groups.items():
            for cat in members:
                cats.append(cat)
                gids.append(GROUPS.index(name))
        return cls(categories=tuple(cats), groups=tuple(gids), version=version)


@cache
def default_space() -> CategorySpace:
    """The category space of the taxonomy that ships with the project, in its one order."""
    taxonomy = load_taxonomy()
    return CategorySpace(
        categories=taxonomy.categories,
        groups=tuple(GROUPS.index(taxonomy.group_of[c]) for c in taxonomy.categories),
        version=taxonomy.version,
    )
