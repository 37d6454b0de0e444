"""Comment contexts of drawn people, for tests that call the comment engine directly."""

from __future__ import annotations

import numpy as np
from breachbench.generator.comments.context import CommentContext
from breachbench.generator.records.doctors import assign
from breachbench.generator.records.nir import person_nir
from breachbench.generator.records.people import load_people
from breachbench.generator.records.places import load_places


def people_context(
    n: int, seed: int, *, age: int, year: int, residence: bool = False
) -> CommentContext:
    """``n`` people of ``age`` whose notes are written in mid-``year``; with
    ``residence``, their addresses too (a context without one has no own commune)."""
    rng = np.random.default_rng(seed)
    people = load_people().draw(rng, n)
    places = load_places()
    unit = places.draw_units(rng, assign(seed, np.arange(n)).department_index)
    birth = places.birth_place(rng, people.age, unit)
    nir = person_nir(people, birth, rng.integers(1, 1000, n))
    created = int((np.datetime64(f"{year}-06-15") - np.datetime64("1970-01-01")).astype(int))
    birth_days = np.full(n, created - int(age * 365.2425) - 100)
    people = type(people)(**{**people.__dict__, "birth_days": birth_days})
    return CommentContext.for_people(
        people,
        nir,
        unit,
        places,
        created_days=np.full(n, created),
        birth=birth,
        residence=places.residence(rng, unit) if residence else None,
    )
