"""Where the patient lives as an eligibility dimension: which patients a clause may be
written about ("frontalier, travaille à Genève", "régime local Alsace-Moselle", the
CPAM or the CGSS, the AME).

A patient's *home class* is 0 when their department is one no group of
``corpora/formats/residence_groups.yaml`` names, ``1 + i`` for the ``i``-th department
the groups name (sorted), and :data:`UNKNOWN_HOME` when the context does not say. A
clause's ``lives`` is a bit mask over classes, read by the machinery ``born:`` uses
(:mod:`classes`).
"""

from __future__ import annotations

import functools

import numpy as np
from breachbench.generator.comments.classes import ANY_CLASS, CLASSES, UNKNOWN_CLASS, ClassGroups
from breachbench.generator.data import corpora

__all__ = ["ANY_HOME", "HOME_CLASSES", "UNKNOWN_HOME", "home_classes", "load_residence_groups"]

GROUPS_FILE = "formats/residence_groups.yaml"
HOME_CLASSES = CLASSES
UNKNOWN_HOME = UNKNOWN_CLASS
ANY_HOME = ANY_CLASS  # every bit: living anywhere, or not known


@functools.cache
def load_residence_groups() -> ClassGroups:
    """The departments ``residence_groups.yaml`` names, validated against
    ``reference/departments.csv``, and its groups."""
    groups = corpora.read_yaml(GROUPS_FILE)["groups"]
    known = set(corpora.read_table("reference/departments.csv").column("code").to_pylist())
    named: set[str] = set()
    for name, spec in groups.items():
        members = spec["except"] if isinstance(spec, dict) else spec
        unknown = set(members) - known
        if unknown:
            raise ValueError(f"{GROUPS_FILE}: group {name}: not departments: {sorted(unknown)}")
        named |= set(members)
    return ClassGroups("lives", GROUPS_FILE, sorted(named), groups, except_rest=True)


def home_classes(departments: np.ndarray) -> np.ndarray:
    """Per person, the home class of their department code (a str array)."""
    codes, at = np.unique(np.asarray(departments, dtype=str), return_inverse=True)
    groups = load_residence_groups()
    return np.array([groups.class_of(c) for c in codes], dtype=np.int64)[at]
