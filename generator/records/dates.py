"""Dates as people write them in comments: "12/03/2019", "12 mars 2019", "03/2019", "2012".

Reads ``formats/dates.yaml``: the month names, the range of dates, and the written forms
with their weights for each of the slots ``{date}``, ``{month_year}`` and ``{year}``, and
for a birth date (``birth``), which is written with its year.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from breachbench.generator.arrays.sampling import Categorical
from breachbench.generator.arrays.text import (
    Patterns,
    digit_matrix,
    join_pieces,
    literal_tokens,
    pattern_tokens,
    strings_from_matrix,
)
from breachbench.generator.data import corpora
from breachbench.generator.records.people import EPOCH

YEARS = 10_000  # years a date may spell, "0000".."9999"
# Days a date of someone's life may fall on: the oldest patients' births to appointments
# after the last record.
CALENDAR = (dt.date(1900, 1, 1), dt.date(2040, 12, 31))


@dataclass(frozen=True)
class DateFormats:
    low_day: int
    high_day: int
    months: pa.Array
    month_abbreviations: pa.Array
    formats: dict[str, tuple[tuple[tuple[str, ...], ...], Categorical]]
    full_years_before: int  # dates of earlier years are written with four digits
    bare_short_years_until: int  # a year alone ("depuis 98") has two digits only until it

    def render(self, rng: np.random.Generator, slot: str, n: int) -> pa.Array:
        """``n`` dates of the configured range, uniform: for dates no one's life bounds."""
        return self.render_days(rng, slot, rng.integers(self.low_day, self.high_day + 1, n))

    def render_days(self, rng: np.random.Generator, slot: str, days: np.ndarray) -> pa.Array:
        """The days ``days`` (since 1970-01-01) in the written forms of ``slot``: dates of
        someone's life (a birth, an event after it, an appointment after the note)."""
        pool = self._pool
        n = len(days)
        # Calendar fields by lookup: datetime64 conversions cost a pass each per field.
        offset = np.clip(np.asarray(days, dtype=np.int64), pool.first_day, pool.last_day)
        offset = offset - pool.first_day
        year, month, day = pool.year[offset], pool.month[offset], pool.day[offset]
        columns = {
            "{dd}": pool.offset["padded"] + day,
            "{mm}": pool.offset["padded"] + month,
            "{d}": pool.offset["plain"] + day,
            "{m}": pool.offset["plain"] + month,
            "{yyyy}": pool.offset["years"] + year,
            "{yy}": pool.offset["padded"] + year % 100,
            "{month}": pool.offset["months"] + month - 1,
            "{mon}": pool.offset["abbreviations"] + month - 1,
        }
        _, weights = self.formats[slot]
        choice = weights.sample(rng, n)
        # Before ``full_years_before`` a two-digit year reads as this century's ("né le
        # 02/05/25" is 2025 to a reader in 2025): such dates take the slot's first pattern
        # with four digits.
        short = self._two_digit(slot)[choice] & (year < self.full_years_before)
        if slot == "year":
            # A year alone reads with two digits for the last century ("depuis 98"), not
            # this one ("depuis 10", "le courrier de 20").
            short |= self._two_digit(slot)[choice] & (year > self.bare_short_years_until)
        if slot == "month_year":
            # A month and a two-digit year read as a day and a month where the year could
            # be a month ("depuis 01/06" is the 1st of June, not January 2006): those
            # years are written with four digits.
            short |= self._two_digit(slot)[choice] & (year % 100 <= 12)
        choice = np.where(short, self._four_digit(slot), choice)
        index, offsets = pool.patterns[slot].indices(choice, columns)
        return join_pieces(pool.strings, index, offsets)

    def _two_digit(self, slot: str) -> np.ndarray:
        """Per pattern of ``slot``: whether it writes the year with two digits."""
        return np.array(["{yy}" in tokens for tokens in self.formats[slot][0]], dtype=bool)

    def _four_digit(self, slot: str) -> int:
        """The first pattern of ``slot`` that writes the year with four digits."""
        return next(i for i, tokens in enumerate(self.formats[slot][0]) if "{yyyy}" in tokens)

    @functools.cached_property
    def _pool(self) -> _DatePool:
        return _DatePool.build(self)


@dataclass(frozen=True)
class _DatePool:
    """Every piece a written date is made of, in one string pool (see
    :class:`~generator.arrays.text.Patterns`): "00".."99", "0".."99", the years, the month
    names and abbreviations, then the formats' literals."""

    strings: pa.Array
    offset: dict[str, int]
    patterns: dict[str, Patterns]
    year: np.ndarray  # calendar fields of each day of the calendar, from its first
    month: np.ndarray
    day: np.ndarray
    first_day: int  # the calendar: every day a life in the data can hold
    last_day: int

    @classmethod
    def build(cls, formats: DateFormats) -> _DatePool:
        parts = {
            "padded": strings_from_matrix(digit_matrix(np.arange(100), 2)),
            "plain": pa.array(np.arange(100)).cast(pa.string()),
            "years": strings_from_matrix(digit_matrix(np.arange(YEARS), 4)),
            "months": formats.months,
            "abbreviations": formats.month_abbreviations,
        }
        sizes = [len(part) for part in parts.values()]
        offset = dict(zip(parts, np.cumsum([0, *sizes[:-1]]).tolist(), strict=True))
        literals = literal_tokens([p for patterns, _ in formats.formats.values() for p in patterns])
        base = sum(sizes)
        literal_index = {literal: base + i for i, literal in enumerate(literals)}
        strings = pa.concat_arrays(
            [p.cast(pa.string()) for p in parts.values()] + [pa.array(literals, pa.string())]
        )
        first_day = min(formats.low_day, (CALENDAR[0] - EPOCH).days)
        last_day = max(formats.high_day, (CALENDAR[1] - EPOCH).days)
        days = np.arange(first_day, last_day + 1).astype("datetime64[D]")
        months = days.astype("datetime64[M]")
        return cls(
            strings=strings,
            offset=offset,
            patterns={
                slot: Patterns.compile(patterns, literal_index)
                for slot, (patterns, _) in formats.formats.items()
            },
            year=days.astype("datetime64[Y]").astype(np.int64) + 1970,
            month=months.astype(np.int64) % 12 + 1,
            day=(days - months).astype(np.int64) + 1,
            first_day=first_day,
            last_day=last_day,
        )


@functools.cache
def load_date_formats() -> DateFormats:
    spec = corpora.read_yaml("formats/dates.yaml")
    low, high = (dt.date.fromisoformat(d) for d in spec["range"])
    formats = {}
    for slot, key in (
        ("date", "full"),
        ("month_year", "month_year"),
        ("year", "year"),
        ("birth", "birth"),
    ):
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
        full_years_before=int(spec["full_years_before"]),
        bare_short_years_until=int(spec["bare_short_years_until"]),
    )


@functools.cache
def desk_days() -> int:
    """Days before the note's date (``updated_at``) in which the desk's own entries fall
    (``desk_days`` of ``formats/dates.yaml``), never before the record's opening; planned
    items come after the note's date."""
    return int(corpora.read_yaml("formats/dates.yaml")["desk_days"])


@functools.cache
def future_days() -> dict[str, int]:
    """Days after the note's date (``updated_at``) within which planned items fall
    (``future_days`` of ``formats/dates.yaml``): ``soon`` for what the desk books (an
    appointment, a blood test, an absence), ``far`` for what waits months (a specialist at
    the hospital, a term, a hearing, a permit's renewal), the ``far`` qualifier of a date
    slot ("{date|patient:future:far}")."""
    raw = corpora.read_yaml("formats/dates.yaml")["future_days"]
    days = {key: raw.get(key) for key in ("soon", "far")}
    if any(not isinstance(d, int) or d < 1 for d in days.values()) or days["soon"] > days["far"]:
        raise ValueError(
            "formats/dates.yaml: future_days: needs soon and far, whole days, soon <= far"
        )
    return days
