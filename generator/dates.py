"""Dates as people write them in comments: "12/03/2019", "12 mars 2019", "03/2019", "2012".

Reads ``formats/dates.yaml``: the month names, the range of dates, and the written forms
with their weights for each of the slots ``{date}``, ``{month_year}`` and ``{year}``.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from generator import corpora
from generator.people import EPOCH
from generator.sampling import Categorical
from generator.text import digit_matrix, pattern_tokens, render_patterns, strings_from_matrix, take


@dataclass(frozen=True)
class DateFormats:
    low_day: int
    high_day: int
    months: pa.Array
    month_abbreviations: pa.Array
    formats: dict[str, tuple[tuple[tuple[str, ...], ...], Categorical]]

    def render(self, rng: np.random.Generator, slot: str, n: int) -> pa.Array:
        days = rng.integers(self.low_day, self.high_day + 1, n).astype("datetime64[D]")
        year = days.astype("datetime64[Y]").astype(np.int64) + 1970
        month = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
        day = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
        tokens = {
            "{dd}": strings_from_matrix(digit_matrix(day, 2)),
            "{mm}": strings_from_matrix(digit_matrix(month, 2)),
            "{d}": pa.array(day).cast(pa.string()),
            "{m}": pa.array(month).cast(pa.string()),
            "{yyyy}": strings_from_matrix(digit_matrix(year, 4)),
            "{yy}": strings_from_matrix(digit_matrix(year % 100, 2)),
            "{month}": take(self.months, month - 1),
            "{mon}": take(self.month_abbreviations, month - 1),
        }
        patterns, weights = self.formats[slot]
        return render_patterns(weights.sample(rng, n), patterns, tokens)


@functools.cache
def load_date_formats() -> DateFormats:
    spec = corpora.read_yaml("formats/dates.yaml")
    low, high = (dt.date.fromisoformat(d) for d in spec["range"])
    formats = {}
    for slot, key in (("date", "full"), ("month_year", "month_year"), ("year", "year")):
        entries = spec[key]
        formats[slot] = (
            tuple(tuple(pattern_tokens(e["pattern"])) for e in entries),
            Categorical.from_weights([e["weight"] for e in entries]),
        )
    return DateFormats(
        low_day=(low - EPOCH).days,
        high_day=(high - EPOCH).days,
        months=pa.array(spec["months"]),
        month_abbreviations=pa.array(spec["month_abbreviations"]),
        formats=formats,
    )
