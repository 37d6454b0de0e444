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
from breachbench.generator.comments.classes import ANY_CLASS, CLASSES, UNKNOWN_CLASS, ClassGroups
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
BIRTH_CLASSES = CLASSES
UNKNOWN_BIRTH = UNKNOWN_CLASS
ANY_BIRTH = ANY_CLASS  # every bit: born anywhere, or not known
FRANCE = "France"  # class 0 by name, in a group or a born: list ("France, Maroc")


class BirthGroups(ClassGroups):
    """The birth countries and the groups of ``birth_groups.yaml``, as class bit masks;
    ``abroad`` is every country, and ``except`` keeps out born in France."""

    def __init__(self, countries: Sequence[str], codes: Sequence[int], groups: dict) -> None:
        super().__init__(
            "born", GROUPS_FILE, countries, groups, builtin={"abroad": countries}, rest=FRANCE
        )
        self.countries = self.names
        self.country_codes = np.asarray(codes, dtype=np.int64)

    def countries_of(self, mask: int) -> frozenset[str]:
        """The countries a mask admits (for ``breachbench check``)."""
        return self.names_of(mask)


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
