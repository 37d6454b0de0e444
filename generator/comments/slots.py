"""Values for the slots of the comment markup ({phone}, {full_name}, {date}...).

One method per slot kind, each filling every instance of its kind in a batch at once,
from the same models as the record columns (names by decade, communes of the patient's
department, fiction phone blocks, reserved email domains), so that a relative's phone
in a comment looks like the patients' own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from breachbench.generator.arrays.text import join_columns, take
from breachbench.generator.records.contacts import load_email_book
from breachbench.generator.records.nir import solid, spaced
from breachbench.generator.records.people import FEMALE, MALE

if TYPE_CHECKING:
    from breachbench.generator.comments.engine import CommentContext, CommentEngine


class SlotFiller:
    """Values for the slots of the markup, one per piece instance, vectorised by kind."""

    def __init__(self, engine: CommentEngine, ctx: CommentContext, rng: np.random.Generator):
        self.engine = engine
        self.ctx = ctx
        self.rng = rng

    def fill(self, slot: str, rows: np.ndarray) -> pa.Array:
        return getattr(self, "_" + slot)(rows)

    # -- people
    def _upper_some(self, names: pa.Array) -> pa.Array:
        upper = self.rng.random(len(names)) < self.engine.upper_surname_rate
        return pc.if_else(pa.array(upper), pc.utf8_upper(names), names)

    def _upper_some_surnames(self, index: np.ndarray) -> np.ndarray:
        """:attr:`NamePool.pool` indices of the surnames ``index``, some in capitals."""
        pool = self.engine.people.name_pool
        upper = self.rng.random(len(index)) < self.engine.upper_surname_rate
        return np.where(upper, pool.upper_surname, pool.surname) + index

    def _title(self, rows: np.ndarray) -> pa.Array:
        e = self.engine
        n = len(rows)
        (male_texts, male_dist), (female_texts, female_dist) = e.titles[MALE], e.titles[FEMALE]
        male = male_dist.sample(self.rng, n)
        female = female_dist.sample(self.rng, n)
        index = np.where(self.ctx.sex[rows] == FEMALE, len(male_texts) + female, male)
        return take(pa.concat_arrays([male_texts, female_texts]), index)

    def _patient_surname(self, rows: np.ndarray) -> pa.Array:
        return self._upper_some(take(self.ctx.last_name, rows))

    def _relative_years(self, rows: np.ndarray) -> np.ndarray:
        """Birth years of a relative: a parent, a sibling or partner, or a child."""
        shift = self.rng.choice(np.array([-30, 0, 30]), len(rows))
        return self.ctx.birth_year[rows] + shift + self.rng.integers(-5, 6, len(rows))

    def _first_name(self, rows: np.ndarray, sex: int) -> pa.Array:
        people = self.engine.people
        index = people.draw_first_names(
            self.rng, np.full(len(rows), sex), self._relative_years(rows)
        )
        return take(people.first_names, index)

    def _first_name_m(self, rows: np.ndarray) -> pa.Array:
        return self._first_name(rows, MALE)

    def _first_name_f(self, rows: np.ndarray) -> pa.Array:
        return self._first_name(rows, FEMALE)

    def _surname(self, rows: np.ndarray) -> pa.Array:
        people = self.engine.people
        index = people.draw_surnames(self.rng, self._relative_years(rows))
        return take(people.name_pool.pool, self._upper_some_surnames(index))

    def _full_name(self, rows: np.ndarray) -> pa.Array:
        """Prénom NOM or Prénom Nom, or NOM Prénom for some rows."""
        people = self.engine.people
        pool = people.name_pool
        n = len(rows)
        years = self._relative_years(rows)
        first = pool.first + people.draw_first_names(self.rng, self.rng.integers(0, 2, n), years)
        last = people.draw_surnames(self.rng, years)
        last_first = self.rng.random(n) < 0.3
        head = np.where(last_first, pool.upper_surname + last, first)
        tail = np.where(last_first, first, self._upper_some_surnames(last))
        return join_columns(pool.pool, [head, pool.space, tail])

    # -- contacts
    def _phone(self, rows: np.ndarray) -> pa.Array:
        contacts = self.engine.contacts
        n = len(rows)
        zone = self.engine.zone_of_unit[self.ctx.unit[rows]]
        mobile = self.rng.random(n) < 0.7
        index = np.where(mobile, contacts.mobile(self.rng, n), contacts.landline(self.rng, zone))
        return contacts.phones.numbers(index)

    def _email(self, rows: np.ndarray) -> pa.Array:
        e = self.engine
        people = e.people
        n = len(rows)
        years = self._relative_years(rows)
        first = people.draw_first_names(self.rng, self.rng.integers(0, 2, n), years)
        last = people.draw_surnames(self.rng, years)
        return load_email_book().addresses(
            self.rng,
            e.contacts,
            first=first,
            last=last,
            birth_year=years,
            real_domains=e.real_email_domains,
        )

    # -- places
    def _units(self, rows: np.ndarray) -> np.ndarray:
        return self.engine.places.draw_units(self.rng, self.ctx.department_index[rows])

    def _street(self, rows: np.ndarray) -> pa.Array:
        places = self.engine.places
        return places.address_pool.join(*places.draw_street_line(self.rng, self._units(rows)))

    def _city(self, rows: np.ndarray) -> pa.Array:
        pool = self.engine.places.address_pool
        unit = self._units(rows)
        return join_columns(pool.pool, [pool.postcode + unit, pool.space, pool.city + unit])

    def _address(self, rows: np.ndarray) -> pa.Array:
        places = self.engine.places
        pool = places.address_pool
        unit = self._units(rows)
        line = places.draw_street_line(self.rng, unit)
        separator = np.where(self.rng.random(len(rows)) < 0.6, pool.comma, pool.space)
        tail = [separator, pool.postcode + unit, pool.space, pool.city + unit]
        return pool.join(*line, tail=tail)

    # -- dates and numbers
    def _date(self, rows: np.ndarray) -> pa.Array:
        return self.engine.dates.render(self.rng, "date", len(rows))

    def _month_year(self, rows: np.ndarray) -> pa.Array:
        return self.engine.dates.render(self.rng, "month_year", len(rows))

    def _year(self, rows: np.ndarray) -> pa.Array:
        return self.engine.dates.render(self.rng, "year", len(rows))

    def _nir(self, rows: np.ndarray) -> pa.Array:
        matrix = self.ctx.nir[rows]
        spaced_rows = pa.array(self.rng.random(len(rows)) < self.engine.spaced_nir_rate)
        return pc.if_else(spaced_rows, spaced(matrix), solid(matrix))
