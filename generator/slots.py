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

from generator.nir import solid, spaced
from generator.people import FEMALE, MALE
from generator.text import join, take

if TYPE_CHECKING:
    from generator.comments import CommentContext, CommentEngine


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

    def _title(self, rows: np.ndarray) -> pa.Array:
        e = self.engine
        n = len(rows)
        male = take(e.titles[MALE][0], e.titles[MALE][1].sample(self.rng, n))
        female = take(e.titles[FEMALE][0], e.titles[FEMALE][1].sample(self.rng, n))
        return pc.if_else(pa.array(self.ctx.sex[rows] == FEMALE), female, male)

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
        return self._upper_some(take(people.surnames, index))

    def _full_name(self, rows: np.ndarray) -> pa.Array:
        people = self.engine.people
        n = len(rows)
        years = self._relative_years(rows)
        first = take(
            people.first_names, people.draw_first_names(self.rng, self.rng.integers(0, 2, n), years)
        )
        last = take(people.surnames, people.draw_surnames(self.rng, years))
        upper_last = pc.utf8_upper(last)
        last_first = self.rng.random(n) < 0.3
        return pc.if_else(
            pa.array(last_first),
            join(upper_last, " ", first),
            join(first, " ", self._upper_some(last)),
        )

    # -- contacts
    def _phone(self, rows: np.ndarray) -> pa.Array:
        contacts = self.engine.contacts
        n = len(rows)
        zone = self.engine.zone_of_unit[self.ctx.unit[rows]]
        mobile = self.rng.random(n) < 0.7
        return pc.if_else(
            pa.array(mobile), contacts.mobile(self.rng, n), contacts.landline(self.rng, zone)
        )

    def _email(self, rows: np.ndarray) -> pa.Array:
        e = self.engine
        people = e.people
        n = len(rows)
        years = self._relative_years(rows)
        first = people.draw_first_names(self.rng, self.rng.integers(0, 2, n), years)
        last = people.draw_surnames(self.rng, years)
        return e.contacts.email(
            self.rng,
            first=take(e.first_name_forms, first),
            last=take(e.surname_forms, last),
            birth_year=years,
            real_domains=e.real_email_domains,
        )

    # -- places
    def _units(self, rows: np.ndarray) -> np.ndarray:
        return self.engine.places.draw_units(self.rng, self.ctx.department_index[rows])

    def _street(self, rows: np.ndarray) -> pa.Array:
        return self.engine.places.residence(self.rng, self._units(rows)).address

    def _city(self, rows: np.ndarray) -> pa.Array:
        places = self.engine.places
        unit = self._units(rows)
        return join(take(places.postcode, unit), " ", take(places.city, unit))

    def _address(self, rows: np.ndarray) -> pa.Array:
        places = self.engine.places
        unit = self._units(rows)
        line = places.residence(self.rng, unit).address
        separator = pa.array(np.where(self.rng.random(len(rows)) < 0.6, ", ", " "))
        return join(line, separator, take(places.postcode, unit), " ", take(places.city, unit))

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
