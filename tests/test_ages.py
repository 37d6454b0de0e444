"""Ages as notes write them: what a reader works out from the birth date and the note's day."""

from __future__ import annotations

import datetime as dt

import numpy as np
from breachbench.generator.records.ages import load_age_forms
from hypothesis import given, settings
from hypothesis import strategies as st

EPOCH = dt.date(1970, 1, 1)


def _as_a_reader_says(born: dt.date, on: dt.date) -> str:
    years = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    months = (on.year - born.year) * 12 + on.month - born.month - (on.day < born.day)
    if years >= 2:
        return f"{years} ans"
    if months >= 1:
        return f"{months} mois"
    days = (on - born).days
    return f"{days} jour" if days <= 1 else f"{days} jours"


@settings(max_examples=300, deadline=None)
@given(
    born=st.dates(dt.date(1900, 1, 1), dt.date(2025, 12, 31)),
    days_later=st.one_of(st.integers(0, 40), st.integers(0, 800), st.integers(0, 40_000)),
)
def test_written_age_is_the_readers(born: dt.date, days_later: int) -> None:
    on = born + dt.timedelta(days=days_later)
    birth, day = np.array([(born - EPOCH).days]), np.array([(on - EPOCH).days])

    written = load_age_forms().render(birth, day).to_pylist()

    assert written == [_as_a_reader_says(born, on)]
