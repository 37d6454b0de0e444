"""Ages as notes write them ("96 ans", "8 mois", "12 jours"), from ``formats/ages.yaml``.

The age is the one a reader works out from the row: completed years (or months, or days
for a baby) between the birth date and the day the note was written.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from breachbench.generator.arrays.text import take
from breachbench.generator.data import corpora
from breachbench.generator.records.people import completed_months, completed_years

MAX_YEARS = 150  # the pool's oldest age; a birth date's range never reaches it
_DAYS = 32  # the pool's first entries: 0 to 31 days, a baby's first month


@dataclass(frozen=True)
class AgeForms:
    months_under_years: int
    pool: pa.Array  # days 0..31, then months 0..(months_under_years * 12), then years

    @property
    def _first_year(self) -> int:
        return _DAYS + self.months_under_years * 12 + 1

    def render(self, birth_days: np.ndarray, days: np.ndarray) -> pa.Array:
        """The age on ``days`` of people born on ``birth_days``, as written."""
        birth_days = np.asarray(birth_days, dtype=np.int64)
        days = np.asarray(days, dtype=np.int64)
        years = np.clip(completed_years(birth_days, days), 0, MAX_YEARS)
        months = completed_months(birth_days, days)
        index = np.where(
            years >= self.months_under_years,
            self._first_year + years,
            np.where(
                months >= 1,
                _DAYS + np.clip(months, 0, self.months_under_years * 12),
                np.clip(days - birth_days, 0, _DAYS - 1),
            ),
        )
        return take(self.pool, index)

    def in_years(self, years: np.ndarray) -> pa.Array:
        """Ages of ``years`` completed years, as written ("40 ans")."""
        return take(self.pool, self._first_year + np.clip(years, 0, MAX_YEARS))


@functools.cache
def load_age_forms() -> AgeForms:
    settings = corpora.read_yaml("formats/ages.yaml")
    forms = settings["forms"]
    under = int(settings["months_under_years"])
    days = [(forms["day"] if n <= 1 else forms["days"]).format(n=n) for n in range(_DAYS)]
    months = [forms["months"].format(n=n) for n in range(under * 12 + 1)]
    years = [forms["years"].format(n=n) for n in range(MAX_YEARS + 1)]
    return AgeForms(under, pa.array(days + months + years, type=pa.string()))
