"""What the comment engine may read of each record: the row a note is written about.

Its own module so that the engine and the slot filler can both read it without importing
each other.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from breachbench.generator.comments.aged import age_class
from breachbench.generator.comments.births import UNKNOWN_BIRTH, birth_classes
from breachbench.generator.comments.homes import UNKNOWN_HOME, home_classes
from breachbench.generator.comments.templates import (
    NEEDS_EMAIL,
    NEEDS_HOME,
    NEEDS_MARRIED_NAME,
    NEEDS_MOBILE,
    NEEDS_PHONE,
)
from breachbench.generator.records.people import (
    People,
    calendar_years,
    completed_years,
    load_people,
)
from breachbench.generator.records.places import BirthPlace, PlacesModel, Residence

__all__ = ["AGES", "FIRST_YEAR", "YEARS", "CommentContext"]


@dataclass(frozen=True)
class CommentContext:
    """What the engine may read of each record when it chooses templates and fills slots.

    Every mention of the patient is the record's own: title and names by its sex and
    names, its phones, email, address, NIR and birth. The note is written as of
    ``note_days``, when the comment was last edited (``updated_at``): ages, eligibility and
    the timeline read it; ``created_days``, the record's opening, is read only where a
    clause means the opening ("dossier ouvert le", the practice's own follow-up).
    Contexts built without the record's contacts (held-out evaluation, tests) let the
    engine draw contacts as before.
    """

    sex: np.ndarray
    birth_year: np.ndarray
    last_name: pa.Array
    nir: np.ndarray  # (n, 15) bytes
    unit: np.ndarray  # residence row of the commune table
    department_index: np.ndarray
    birth_days: np.ndarray | None = None
    created_days: np.ndarray | None = None  # day the record was opened
    note_days: np.ndarray | None = None  # day the note was last written; None: opening
    first_name_index: np.ndarray | None = None
    last_name_index: np.ndarray | None = None
    birth_name_index: np.ndarray | None = None
    birth_place: pa.Array | None = None
    birth_classes: np.ndarray | None = None  # generator.comments.births, None: not known
    home_classes: np.ndarray | None = None  # generator.comments.homes, None: not known
    mobile: pa.Array | None = None  # null where the record has none
    home: pa.Array | None = None
    email: pa.Array | None = None
    street: pa.Array | None = None  # the record's address line, postcode and city
    postcode: pa.Array | None = None
    city: pa.Array | None = None

    def __post_init__(self) -> None:
        if self.created_days is None:
            days = np.full(len(self.sex), load_people().reference_days - 1, dtype=np.int64)
            object.__setattr__(self, "created_days", days)
        if self.note_days is None:
            object.__setattr__(self, "note_days", self.created_days)

    @classmethod
    def for_people(
        cls,
        people: People,
        nir: np.ndarray,
        unit: np.ndarray,
        places: PlacesModel,
        *,
        created_days: np.ndarray | None = None,
        note_days: np.ndarray | None = None,
        birth: BirthPlace | None = None,
        residence: Residence | None = None,
        mobile: pa.Array | None = None,
        home: pa.Array | None = None,
        email: pa.Array | None = None,
    ) -> CommentContext:
        """The context of people living in the commune-table rows ``unit``.

        Without ``created_days`` the records are opened the day before the reference
        date; without ``note_days`` the notes are written the day the records are opened.
        """
        if created_days is None:
            created_days = np.full(len(people.sex), load_people().reference_days - 1)
        return cls(
            sex=people.sex,
            birth_year=people.birth_year,
            last_name=people.last_name,
            nir=nir,
            unit=unit,
            department_index=places.department_index[unit],
            birth_days=people.birth_days,
            created_days=np.asarray(created_days, dtype=np.int64),
            note_days=None if note_days is None else np.asarray(note_days, dtype=np.int64),
            first_name_index=people.first_name_index,
            last_name_index=people.last_name_index,
            birth_name_index=people.birth_name_index,
            birth_place=None if birth is None else birth.place,
            birth_classes=None
            if birth is None
            else birth_classes(birth.born_abroad, birth.code_value),
            home_classes=home_classes(np.asarray(places.departments))[
                places.department_index[unit]
            ],
            mobile=mobile,
            home=home,
            email=email,
            street=None if residence is None else residence.address,
            postcode=None if residence is None else residence.postcode,
            city=None if residence is None else residence.city,
        )

    @functools.cached_property
    def age(self) -> np.ndarray:
        """Completed calendar years on the note's date, as a reader counts them."""
        if self.birth_days is None or self.note_days is None:
            return np.full(len(self.sex), 40)
        return completed_years(self.birth_days, self.note_days)

    @functools.cached_property
    def age_class(self) -> np.ndarray:
        """The age class templates are drawn by (``generator.comments.aged``)."""
        return age_class(self.age)

    @functools.cached_property
    def note_year(self) -> np.ndarray:
        """The calendar year of the note's date (a ``since`` is compared with it)."""
        if self.note_days is None:
            return np.full(len(self.sex), 2025)
        return calendar_years(self.note_days)

    @functools.cached_property
    def age_column(self) -> np.ndarray:
        """Column of :attr:`CommentEngine._fit_tables`' age table: the age, clipped to it."""
        return np.clip(self.age, 0, AGES - 1)

    @functools.cached_property
    def year_column(self) -> np.ndarray:
        """Column of :attr:`CommentEngine._fit_tables`' year table: the note's year from
        FIRST_YEAR, clipped to it."""
        return np.clip(self.note_year - FIRST_YEAR, 0, YEARS - 1)

    @functools.cached_property
    def open_years(self) -> np.ndarray:
        """Completed years from the record's opening to the note's date: a template's
        ``min_open`` and ``max_open`` read them ("nouveau patient" in its first year)."""
        return completed_years(self.created_days, self.note_days)

    @functools.cached_property
    def open_column(self) -> np.ndarray:
        """Column of :attr:`CommentEngine._fit_tables`' years-open table, clipped to it."""
        return np.clip(self.open_years, 0, OPEN_YEARS - 1)

    @functools.cached_property
    def birth_class(self) -> np.ndarray:
        """Per record, its birth class; :data:`UNKNOWN_BIRTH` (fits every clause) when the
        context carries no birth places."""
        if self.birth_classes is None:
            return np.full(len(self.sex), UNKNOWN_BIRTH, dtype=np.int64)
        return self.birth_classes

    @functools.cached_property
    def home_class(self) -> np.ndarray:
        """Per record, its home class; :data:`UNKNOWN_HOME` (fits every clause) when the
        context carries no residences."""
        if self.home_classes is None:
            return np.full(len(self.sex), UNKNOWN_HOME, dtype=np.int64)
        return self.home_classes

    @functools.cached_property
    def born_abroad(self) -> np.ndarray:
        return (self.birth_class > 0) & (self.birth_class != UNKNOWN_BIRTH)

    @functools.cached_property
    def contacts(self) -> np.ndarray:
        """Per record, the contacts it has (a NEEDS_PHONE | ... mask); UNKNOWN_CONTACTS
        when the context carries none (slots then draw them, and a template's ``has``
        and ``lacks`` both fit)."""
        n = len(self.sex)
        if self.mobile is None:
            return np.full(n, UNKNOWN_CONTACTS)
        mobile = _valid(self.mobile)
        home = _valid(self.home) if self.home is not None else np.zeros(n, bool)
        email = _valid(self.email) if self.email is not None else np.zeros(n, bool)
        married = np.zeros(n, bool)
        if self.last_name_index is not None and self.birth_name_index is not None:
            married = self.last_name_index != self.birth_name_index
        return (
            np.where(mobile | home, NEEDS_PHONE, 0)
            | np.where(mobile, NEEDS_MOBILE, 0)
            | np.where(home, NEEDS_HOME, 0)
            | np.where(email, NEEDS_EMAIL, 0)
            | np.where(married, NEEDS_MARRIED_NAME, 0)
        )


# Contacts of a record whose context carries none: a column of its own in the engine's
# fit table, past the 32 masks of known contacts (and married name).
UNKNOWN_CONTACTS = 32

# The eligibility tables' range: ages 0..120 and the note's years 1990..2049 (a ``since``
# is compared with the year clipped to it).
AGES = 121
FIRST_YEAR, YEARS = 1990, 60
OPEN_YEARS = 121  # years a record has been open, 0..120 (templates.MAX_OPEN)


def _valid(array: pa.Array) -> np.ndarray:
    return np.asarray(array.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
