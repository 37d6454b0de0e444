"""Who the patients are: sex, birth date, first name and surnames.

Reads ``reference/age_pyramid.csv`` (ages follow the French pyramid),
``reference/first_names.parquet`` (by sex and decade of birth, modelled weights),
``reference/surnames.parquet`` (by decade of birth) and ``formats/people.yaml``.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from breachbench.generator.arrays.rates import step_rate
from breachbench.generator.arrays.sampling import Categorical, GroupedCategorical
from breachbench.generator.arrays.text import string_pool, take
from breachbench.generator.data import corpora
from breachbench.generator.data.derived import derived

EPOCH = dt.date(1970, 1, 1)
DAYS_PER_YEAR = 365.2425
MALE, FEMALE = 0, 1


def completed_years(birth_days: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Age in completed calendar years on ``days`` of people born on ``birth_days`` (both
    days since 1970-01-01): a birthday counts from its date (29 February from 1 March).

    What a reader (and ``breachbench check``) computes from the two dates; dividing the
    days by an average year's length is a year off around one birthday in a thousand,
    enough to write "retraite" about a 14-year-old the day before their 15th birthday.
    """
    first, year, day = _year_and_day_table()
    birth = np.asarray(birth_days, dtype=np.int64) - first
    on = np.asarray(days, dtype=np.int64) - first
    return (year[on] - year[birth] - (day[on] < day[birth])).astype(np.int64)


def completed_months(birth_days: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Age in completed calendar months on ``days`` of people born on ``birth_days``: a
    month counts from the same day of the month ("8 mois" on the day a baby turns 8
    months; one born on the 31st turns a month on the 1st after a shorter month)."""
    first, year, day = _year_and_day_table()
    birth = np.asarray(birth_days, dtype=np.int64) - first
    on = np.asarray(days, dtype=np.int64) - first
    day_on, day_born = day[on].astype(np.int64), day[birth].astype(np.int64)
    months = (year[on].astype(np.int64) - year[birth]) * 12 + day_on // 32 - day_born // 32
    return months - (day_on % 32 < day_born % 32)


def birthday(birth_days: np.ndarray, years: np.ndarray) -> np.ndarray:
    """The first day (days since 1970-01-01) on which people born on ``birth_days`` have
    completed ``years``, as :func:`completed_years` counts them (29 February from 1
    March). ``years * DAYS_PER_YEAR`` days falls a day short of it one year in four: a
    fact floored at 8 was dated the day before a girl turned 8."""
    birth = np.asarray(birth_days, dtype=np.int64)
    years = np.asarray(years, dtype=np.int64)
    # Two days under the average-year estimate is never past the birthday (nor more
    # than four days before it, from 1800 to 2200): step forward to it.
    day = birth + np.floor(years * DAYS_PER_YEAR).astype(np.int64) - 2
    for _ in range(4):
        day += completed_years(birth, day) < years
    return day


def calendar_years(days: np.ndarray) -> np.ndarray:
    """The calendar year of each day (days since 1970-01-01), by table lookup."""
    first, year, _ = _year_and_day_table()
    return year[np.asarray(days, dtype=np.int64) - first].astype(np.int64)


def month_days(days: np.ndarray) -> np.ndarray:
    """Month * 32 + day of month of each day (days since 1970-01-01), by table lookup:
    one number per calendar date of any year (25 December is 12 * 32 + 25)."""
    first, _, day = _year_and_day_table()
    return day[np.asarray(days, dtype=np.int64) - first].astype(np.int64)


@functools.cache
def _year_and_day_table() -> tuple[int, np.ndarray, np.ndarray]:
    """First day of the table, and per day since it: calendar year, and month * 32 + day
    of month (comparing the latter orders dates within a year whatever leap days come
    before them). Tables, since datetime64 conversions of a batch cost more than a
    lookup."""
    first = (dt.date(1800, 1, 1) - EPOCH).days
    date = np.arange(first, (dt.date(2200, 1, 1) - EPOCH).days).astype("datetime64[D]")
    month_start = date.astype("datetime64[M]")
    month = (month_start - date.astype("datetime64[Y]")).astype(np.int64) + 1
    year = date.astype("datetime64[Y]").astype(np.int64) + 1970
    return (
        first,
        year.astype(np.int32),
        (month * 32 + (date - month_start).astype(np.int64) + 1).astype(np.int16),
    )


@dataclass(frozen=True)
class People:
    """Columns describing a batch of people, as numpy arrays; names as indices into the
    name tables, spelt out (one ``take`` each) only when read.

    First names are redrawn by origin and usage names by the age the record was opened
    (:meth:`PeopleModel.usage_names_at`): names spelt at each step were taken twice.
    """

    sex: np.ndarray  # 0 male, 1 female
    age: np.ndarray  # completed years at the reference date
    birth_days: np.ndarray  # days since 1970-01-01
    birth_year: np.ndarray
    birth_month: np.ndarray
    first_name_index: np.ndarray
    birth_name_index: np.ndarray
    last_name_index: np.ndarray
    # The uniform draw that decided a spouse's name: kept so that the name can be decided
    # again at the age the record was opened (:meth:`PeopleModel.usage_names_at`).
    marriage_draw: np.ndarray
    first_names: pa.Array  # what first_name_index reads
    surnames: pa.Array  # what birth_name_index and last_name_index read

    @functools.cached_property
    def first_name(self) -> pa.Array:
        return take(self.first_names, self.first_name_index)

    @functools.cached_property
    def birth_name(self) -> pa.Array:
        return take(self.surnames, self.birth_name_index)

    @functools.cached_property
    def last_name(self) -> pa.Array:
        return take(self.surnames, self.last_name_index)


@dataclass(frozen=True)
class Calendar:
    """Year and month of every day in a range, looked up rather than converted per call."""

    first_day: int
    years: np.ndarray
    months: np.ndarray

    @classmethod
    def spanning(cls, first: dt.date, last: dt.date) -> Calendar:
        days = np.arange((first - EPOCH).days, (last - EPOCH).days + 1).astype("datetime64[D]")
        return cls(
            first_day=(first - EPOCH).days,
            years=days.astype("datetime64[Y]").astype(np.int64) + 1970,
            months=days.astype("datetime64[M]").astype(np.int64) % 12 + 1,
        )

    def year_month(self, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        index = np.asarray(days, dtype=np.int64) - self.first_day
        return self.years[index], self.months[index]


@dataclass(frozen=True)
class PeopleModel:
    reference_days: int
    calendar: Calendar
    sex: Categorical
    age_by_sex: GroupedCategorical
    ages: np.ndarray
    first_names: pa.Array
    first_name_by_sex_decade: GroupedCategorical
    first_name_decades: np.ndarray  # sorted decades available
    surnames: pa.Array
    surname_spelling: np.ndarray  # per surname row, an id shared by rows of one spelling
    surname_by_decade: GroupedCategorical
    surname_decades: np.ndarray
    married_name_steps: list[list[float]]
    married_name_rate_men: float

    def _decade_group(self, decades: np.ndarray, years: np.ndarray) -> np.ndarray:
        """Index of the decade table to use for a birth year, clamped to what exists.

        A lookup in a per-year table (:func:`_decade_of_year`): a ``searchsorted`` per
        draw cost about ten times as much.
        """
        low = int(decades[0])
        table = _decade_of_year(tuple(int(d) for d in decades))
        return table[np.clip(years, low, low + len(table) - 1) - low]

    def draw_first_names(
        self, rng: np.random.Generator, sex: np.ndarray, birth_year: np.ndarray
    ) -> np.ndarray:
        decade = self._decade_group(self.first_name_decades, birth_year)
        return self.first_name_by_sex_decade.sample(
            rng, sex * len(self.first_name_decades) + decade
        )

    def draw_surnames(self, rng: np.random.Generator, birth_year: np.ndarray) -> np.ndarray:
        return self.surname_by_decade.sample(
            rng, self._decade_group(self.surname_decades, birth_year)
        )

    @functools.cached_property
    def name_pool(self) -> NamePool:
        return NamePool.build(self)

    def draw(self, rng: np.random.Generator, n: int) -> People:
        sex = self.sex.sample(rng, n)
        age = self.ages[self.age_by_sex.sample(rng, sex)]
        # Uniform birthday within the year of age: (reference - age - 1 year, reference].
        offset = np.floor((age + rng.random(n)) * DAYS_PER_YEAR).astype(np.int64)
        birth_days = self.reference_days - 1 - offset
        birth_year, birth_month = self.calendar.year_month(birth_days)
        first = self.draw_first_names(rng, sex, birth_year)
        birth_surname = self.draw_surnames(rng, birth_year)
        married = self._married_rate(sex, age)
        marriage_draw = rng.random(n)
        uses_spouse_name = np.flatnonzero(marriage_draw < married)
        last = birth_surname.copy()
        # A spouse's name comes from a similar generation; never the birth name itself
        # ("Martin, née Martin" reads as a clerical error): then the table's next name.
        # Names are compared by spelling: a name has a row per decade table, and a
        # spouse of the previous decade's "Thomas" made "Thomas, née Thomas".
        spouse = self.draw_surnames(rng, birth_year[uses_spouse_name] - 2)
        birth_spelling = self.surname_spelling[birth_surname[uses_spouse_name]]
        same = np.flatnonzero(self.surname_spelling[spouse] == birth_spelling)
        while len(same):
            spouse[same] = (spouse[same] + 1) % len(self.surnames)
            same = same[self.surname_spelling[spouse[same]] == birth_spelling[same]]
        last[uses_spouse_name] = spouse
        return People(
            sex=sex,
            age=age,
            birth_days=birth_days,
            birth_year=birth_year,
            birth_month=birth_month,
            first_name_index=first,
            birth_name_index=birth_surname,
            last_name_index=last,
            marriage_draw=marriage_draw,
            first_names=self.first_names,
            surnames=self.surnames,
        )

    def _married_rate(self, sex: np.ndarray, age: np.ndarray) -> np.ndarray:
        """The share of people of this sex and age who use a spouse's name."""
        return np.where(
            sex == FEMALE,
            step_rate(self.married_name_steps, age),
            np.where(age >= 25, self.married_name_rate_men, 0.0),
        )

    def usage_names_at(self, people: People, age: np.ndarray) -> People:
        """``people`` with a spouse's name only where the person used one at ``age`` (the
        age when the record was opened): the draw was made at the reference date, and a
        woman of 45 today was perhaps 17 when her file was opened, and unmarried. The
        married rate grows with age, so this only takes spouses' names away."""
        married = self._married_rate(people.sex, age)
        single = (people.marriage_draw >= married) & (
            people.last_name_index != people.birth_name_index
        )
        if not single.any():
            return people
        last = np.where(single, people.birth_name_index, people.last_name_index)
        return replace(people, last_name_index=last)


@dataclass(frozen=True)
class NamePool:
    """First names, surnames, the surnames in capitals and a space, in one string pool:
    a name in a comment is pool indices, one take (and one join for a full name), where
    capitalising and joining strings per batch cost more than the names themselves."""

    pool: pa.Array
    first: int  # offsets of each part in the pool
    surname: int
    upper_surname: int
    space: int

    @classmethod
    def build(cls, people: PeopleModel) -> NamePool:
        parts = [
            people.first_names,
            people.surnames,
            pc.utf8_upper(people.surnames),
            pa.array([" "]),
        ]
        pool, start = string_pool(parts)
        return cls(
            pool=pool,
            first=start[0],
            surname=start[1],
            upper_surname=start[2],
            space=start[3],
        )


@functools.cache
def _decade_of_year(decades: tuple[int, ...]) -> np.ndarray:
    """Decade-table index of every year from the first decade to the end of the last.

    Years outside that range read the first or the last entry, as clamping them would.
    """
    years = np.arange(decades[0], decades[-1] + 10)
    clipped = np.clip(years // 10 * 10, decades[0], decades[-1])
    return np.searchsorted(np.asarray(decades), clipped)


@functools.cache
def load_people() -> PeopleModel:
    """The people model of the installed corpora.

    Building it (name samplers over ~270k names) takes a few hundred milliseconds of
    Python in every process; it is cached on disk (``generator.data.derived``) and loads in
    milliseconds.
    """
    return derived("people", _build_people)


def _names_of_their_sex(names: pa.Table, min_share: float) -> pa.Table:
    """The rows of the first-name table whose sex holds at least ``min_share`` of the
    name's births over all decades: a woman named René reads as a clerical error."""
    _, uniques = np.unique(names["name"].to_numpy(zero_copy_only=False), return_inverse=True)
    female = np.asarray(names["sex"].to_pylist()) == "F"
    weight = names["weight"].to_numpy().astype(np.float64)
    totals = np.bincount(uniques, weights=weight)
    of_sex = np.bincount(uniques * 2 + female, weights=weight, minlength=2 * len(totals))
    share = of_sex[uniques * 2 + female] / np.maximum(totals[uniques], 1e-12)
    return names.filter(pa.array(share >= min_share))


def _build_people() -> PeopleModel:
    settings = corpora.read_yaml("formats/people.yaml")
    reference = dt.date.fromisoformat(settings["reference_date"])

    pyramid = corpora.read_table("reference/age_pyramid.csv")
    ages = pyramid["age"].to_numpy().astype(np.int64)
    male = pyramid["male"].to_numpy().astype(np.float64)
    female = pyramid["female"].to_numpy().astype(np.float64)
    age_groups = np.concatenate([np.full(len(ages), MALE), np.full(len(ages), FEMALE)])
    age_by_sex = GroupedCategorical.from_groups(age_groups, np.concatenate([male, female]), 2)

    names = _names_of_their_sex(
        corpora.read_table("reference/first_names.parquet"),
        float(settings["first_name_min_sex_share"]),
    )
    name_decades = np.unique(names["decade"].to_numpy().astype(np.int64))
    sex_code = np.where(np.asarray(names["sex"].to_pylist()) == "F", FEMALE, MALE)
    decade_index = np.searchsorted(name_decades, names["decade"].to_numpy().astype(np.int64))
    first_groups = sex_code * len(name_decades) + decade_index

    surnames = corpora.read_table("reference/surnames.parquet")
    surname_decades = np.unique(surnames["decade"].to_numpy().astype(np.int64))
    surname_groups = np.searchsorted(
        surname_decades, surnames["decade"].to_numpy().astype(np.int64)
    )
    oldest = reference.replace(year=reference.year - int(ages.max()) - 2)
    return PeopleModel(
        reference_days=(reference - EPOCH).days,
        calendar=Calendar.spanning(oldest, reference),
        sex=Categorical.from_weights([male.sum(), female.sum()]),
        age_by_sex=age_by_sex,
        ages=np.concatenate([ages, ages]),
        first_names=names["name"].combine_chunks(),
        first_name_by_sex_decade=GroupedCategorical.from_groups(
            first_groups, names["weight"].to_numpy(), 2 * len(name_decades)
        ),
        first_name_decades=name_decades,
        surnames=surnames["name"].combine_chunks(),
        surname_spelling=pc.dictionary_encode(surnames["name"]).combine_chunks().indices.to_numpy(),
        surname_by_decade=GroupedCategorical.from_groups(
            surname_groups, surnames["weight"].to_numpy(), len(surname_decades)
        ),
        surname_decades=surname_decades,
        married_name_steps=settings["married_name_rate_by_age"],
        married_name_rate_men=float(settings["married_name_rate_men"]),
    )
