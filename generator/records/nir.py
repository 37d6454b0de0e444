"""French social security numbers (NIR) that are consistent with the person and valid.

Layout: sex (1) + birth year (2) + birth month (2) + birth place (5: department and
commune, or 99 and a country code) + order number (3) + key (2). The key is
``97 - (first 13 digits mod 97)``, reading Corsica's 2A as 19 and 2B as 18.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from breachbench.generator.arrays.text import digit_items, hcat, strings_from_matrix
from breachbench.generator.records.people import People
from breachbench.generator.records.places import BirthPlace

# Where spaces go in the usual written form "1 85 05 78 006 084 36".
SPACED_GROUPS = ((0, 1), (1, 3), (3, 5), (5, 7), (7, 10), (10, 13), (13, 15))


def nir_key(first13: np.ndarray) -> np.ndarray:
    return 97 - np.asarray(first13, dtype=np.int64) % 97


def nir_matrix(
    *,
    sex: np.ndarray,
    birth_year: np.ndarray,
    birth_month: np.ndarray,
    place_bytes: np.ndarray,
    place_value: np.ndarray,
    order: np.ndarray,
) -> np.ndarray:
    """The 15 characters of each NIR as a ``(n, 15)`` byte matrix.

    ``sex`` is 0 for men (digit 1) and 1 for women (digit 2); ``place_bytes`` holds the
    5 characters of the birth place code and ``place_value`` its numeric reading.
    """
    sex_digit = np.asarray(sex, dtype=np.int64) + 1
    year = np.asarray(birth_year, dtype=np.int64) % 100
    month = np.asarray(birth_month, dtype=np.int64)
    first13 = (
        sex_digit * 10**12
        + year * 10**10
        + month * 10**8
        + np.asarray(place_value, dtype=np.int64) * 10**3
        + np.asarray(order, dtype=np.int64)
    )
    return hcat(
        [
            *digit_items(sex_digit, 1),
            *digit_items(year, 2),
            *digit_items(month, 2),
            place_bytes,
            *digit_items(order, 3),
            *digit_items(nir_key(first13), 2),
        ]
    )


def person_nir(people: People, birth: BirthPlace, order: np.ndarray) -> np.ndarray:
    """The NIR matrix of each person: their sex, birth year, month and place."""
    return nir_matrix(
        sex=people.sex,
        birth_year=people.birth_year,
        birth_month=people.birth_month,
        place_bytes=birth.code_bytes,
        place_value=birth.code_value,
        order=order,
    )


def solid(matrix: np.ndarray) -> pa.Array:
    return strings_from_matrix(matrix)


def spaced(matrix: np.ndarray, separator: str = " ") -> pa.Array:
    """The written form with ``separator`` between groups, 21 characters
    ("1 85 05 78 006 084 36", "1.85.05.78.006.084.36")."""
    n = len(matrix)
    space = np.full((n, 1), ord(separator), dtype=np.uint8)
    parts: list[np.ndarray] = []
    for start, end in SPACED_GROUPS:
        if parts:
            parts.append(space)
        parts.append(matrix[:, start:end])
    return strings_from_matrix(hcat(parts))


def key_apart(matrix: np.ndarray) -> pa.Array:
    """The 13 digits solid and the key after a space, as some forms print it
    ("1850578006084 36")."""
    space = np.full((len(matrix), 1), ord(" "), dtype=np.uint8)
    return strings_from_matrix(hcat([matrix[:, :13], space, matrix[:, 13:]]))


# The written forms of ``nir_layouts`` (formats/composition.yaml), by name.
LAYOUTS = {
    "spaced": spaced,
    "solid": solid,
    "dotted": lambda matrix: spaced(matrix, "."),
    "key_apart": key_apart,
}
