"""Countries of birth as an eligibility dimension: which patients a clause may be written
about ("ne parle que l'arabe", "sans-papiers", "arrivé du Mali").

A patient's *birth class* is 0 when born in France, ``1 + i`` when born in the ``i``-th
country of ``reference/birth_countries.csv``, and :data:`UNKNOWN_BIRTH` when the context
does not say (held-out evaluation without rows, tests). A clause's ``born`` is a bit mask
over classes (``corpora/formats/birth_groups.yaml``); every mask holds the unknown bit, so
a context without birth places fits every clause, as it did before birth places were read.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
from breachbench.generator.data import corpora

__all__ = [
    "ANY_BIRTH",
    "BIRTH_CLASSES",
    "UNKNOWN_BIRTH",
    "BirthGroups",
    "birth_classes",
    "load_birth_groups",
]

GROUPS_FILE = "formats/birth_groups.yaml"
BIRTH_CLASSES = 64  # bits of an int64 mask
UNKNOWN_BIRTH = BIRTH_CLASSES - 1
_UNKNOWN_BIT = 1 << UNKNOWN_BIRTH
ANY_BIRTH = -1  # every bit: born anywhere, or not known


class BirthGroups:
    """The birth countries and the groups of ``birth_groups.yaml``, as class bit masks."""

    def __init__(self, countries: Sequence[str], codes: Sequence[int], groups: dict) -> None:
        if len(countries) + 1 >= UNKNOWN_BIRTH:
            raise ValueError(f"{len(countries)} birth countries do not fit a 64-bit mask")
        self.countries = tuple(countries)
        self.country_codes = np.asarray(codes, dtype=np.int64)
        self._class = {name: 1 + i for i, name in enumerate(self.countries)}
        abroad = sum(1 << c for c in self._class.values())
        self._masks: dict[str, int] = {"abroad": abroad}
        for name, spec in groups.items():
            if isinstance(spec, dict) and set(spec) == {"except"}:
                excluded = self._countries_mask(spec["except"], f"group {name}")
                self._masks[name] = abroad & ~excluded
            elif isinstance(spec, list):
                self._masks[name] = self._countries_mask(spec, f"group {name}")
            else:
                raise ValueError(f"{GROUPS_FILE}: group {name}: a list or {{except: [...]}}")

    def _countries_mask(self, names: object, where: str) -> int:
        names = [names] if isinstance(names, str) else names
        if not isinstance(names, list) or not names:
            raise ValueError(f"{where}: expected a country name or a list of them")
        mask = 0
        for name in names:
            if name not in self._class:
                raise ValueError(f"{where}: {name!r} is not a country of birth_countries.csv")
            mask |= 1 << self._class[name]
        return mask

    def mask(self, born: object) -> int:
        """The signed 64-bit mask of a ``born:`` value: group names and countries, joined.

        Raises ValueError on an unknown name."""
        names = [born] if isinstance(born, str) else born
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise ValueError(f"born must be a group, a country or a list of them, got {born!r}")
        mask = _UNKNOWN_BIT
        for name in names:
            if name in self._masks:
                mask |= self._masks[name]
            elif name in self._class:
                mask |= 1 << self._class[name]
            else:
                groups = ", ".join(sorted(self._masks))
                raise ValueError(f"born: {name!r} is neither a group ({groups}) nor a country")
        return int(np.int64(np.uint64(mask)))  # bit 63 set: a negative int64

    def countries_of(self, mask: int) -> frozenset[str]:
        """The countries a mask admits (for ``breachbench check``)."""
        return frozenset(c for c, k in self._class.items() if (mask >> k) & 1)


@functools.cache
def load_birth_groups() -> BirthGroups:
    table = corpora.read_table("reference/birth_countries.csv")
    return BirthGroups(
        [str(n) for n in table.column("name").to_pylist()],
        [int(c) for c in table.column("insee_code").to_pylist()],
        corpora.read_yaml(GROUPS_FILE)["groups"],
    )


def birth_classes(born_abroad: np.ndarray, code_value: np.ndarray) -> np.ndarray:
    """Per person, the birth class of :mod:`this module <births>`: 0 born in France, else
    1 + the row of their country (``code_value`` is its 99xxx INSEE code)."""
    codes = load_birth_groups().country_codes
    order = np.argsort(codes)
    at = np.searchsorted(codes[order], code_value).clip(0, len(codes) - 1)
    country = order[at]
    if not np.all(~born_abroad | (codes[country] == code_value)):
        raise ValueError("a birth place abroad is not a country of birth_countries.csv")
    return np.where(born_abroad, 1 + country, 0).astype(np.int64)
