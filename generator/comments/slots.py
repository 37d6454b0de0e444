"""Values for the slots of the comment markup ({phone}, {full_name}, {date}...).

A comment is about one person: its record. A slot about the patient is filled with the
record's own value (its names, phones, email, address, NIR, birth date and place) unless
the markup says it is another one (``{phone|patient:other}``: an old number). A slot
about a relative names a role (``{phone|relative:daughter}``) and is filled from a small
household drawn per record and role (``formats/kinship.yaml``): a daughter is a woman of
the next generation, carrying the family's name or her own, whose email is made of her
own name and whose NIR holds her own sex and birth; every slot of one role in a batch
reads the same person. Dates follow a timeline: the note is written as of its last
edit (``CommentContext.note_days``, the row's ``updated_at``); a patient's past events
fall between their birth (or the youngest age the template allows, or the year the
service existed) and that day, the desk's entries in the weeks before it (never before
the record's opening), planned ones after it.

One method per slot kind fills every instance of its kind in a batch at once; third
parties and values the markup calls 'other' are drawn from the same models as the
record columns (names by decade, communes of the patient's department, fiction phone
blocks, reserved email domains).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from breachbench.generator.arrays.sampling import Categorical
from breachbench.generator.arrays.text import join_columns, take
from breachbench.generator.comments.compiled import CompiledTemplates, parse_slot_key
from breachbench.generator.comments.context import CommentContext
from breachbench.generator.comments.templates import HERE, OTHER, TOWN_FORMS, kinship
from breachbench.generator.records.ages import load_age_forms
from breachbench.generator.records.contacts import ContactsModel, load_email_book
from breachbench.generator.records.dates import DateFormats, desk_days, future_days
from breachbench.generator.records.nir import LAYOUTS, nir_matrix
from breachbench.generator.records.people import (
    DAYS_PER_YEAR,
    FEMALE,
    MALE,
    PeopleModel,
    birthday,
)
from breachbench.generator.records.places import PlacesModel, load_name_origins
from breachbench.generator.records.prepositions import load_prepositions


class SlotSources(Protocol):
    """What the filler reads of the engine: the models slot values are drawn from.

    A protocol rather than the engine's class, so that the engine, which builds fillers,
    and this module do not import each other.
    """

    compiled: CompiledTemplates
    people: PeopleModel
    places: PlacesModel
    contacts: ContactsModel
    dates: DateFormats
    real_email_domains: bool
    zone_of_unit: np.ndarray
    titles: dict[int, tuple[pa.Array, Categorical]]
    titles_min_age: int
    miss_title: tuple[int, int, int]  # index of "Mlle" among women's titles (-1: none), of
    # the title written instead, and the age from which it is
    upper_surname_rate: float
    nir_layouts: tuple[tuple[str, ...], Categorical]


_YEAR = 365
# Where a date without a life to bound it falls: third parties' events, up to this many
# days before the note (planned items: formats/dates.yaml future_days).
_PAST_WINDOW = 20 * _YEAR
_RECENT_WINDOW = 2 * _YEAR
_LATELY_WINDOW = 8 * 7  # 'lately': what the desk still acts on


_MEMBER_FIELDS = ("sex", "birth_days", "birth_year", "first", "last", "phone", "order")
_DATE_NAMES = ("date", "month_year", "year")


@functools.cache
def _slot_roles(slot_names: tuple[str, ...]) -> tuple[tuple[str, ...], np.ndarray]:
    """The relative roles of a compiled slot table, and each slot's role id (-1: none)."""
    known = kinship().roles
    roles: dict[str, int] = {}
    role_of_slot = np.full(len(slot_names), -1, dtype=np.int64)
    for i, name in enumerate(slot_names):
        _, subject, qualifiers = parse_slot_key(name)
        if subject == "relative":
            role = next((q for q in qualifiers if q in known), "relative")
            role_of_slot[i] = roles.setdefault(role, len(roles))
    return tuple(roles), role_of_slot


@dataclass(frozen=True)
class _Members:
    """One relative of a role for each of the records ``rows`` (sorted)."""

    rows: np.ndarray
    sex: np.ndarray
    birth_days: np.ndarray
    birth_year: np.ndarray
    first: np.ndarray  # people-model name indices
    last: np.ndarray
    phone: np.ndarray  # phone-book index
    order: np.ndarray  # NIR order number

    def at(self, rows: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.rows, rows)


def _date_form(name: str, qualifiers: tuple[str, ...]) -> str:
    """The written forms a date slot draws from: a birth date's own (always with its year,
    formats/dates.yaml ``birth``), else its kind's."""
    return "birth" if name == "date" and "birth" in qualifiers else name


def _town_form(names: pa.Array, qualifiers: tuple[str, ...]) -> pa.Array:
    """``names`` with the preposition the slot's qualifiers ask for ("a", "de"), if any."""
    form = next((q for q in qualifiers if q in TOWN_FORMS), None)
    return load_prepositions().apply(names, form)


def _in_reading_order(
    rows: np.ndarray, low: np.ndarray, high: np.ndarray, days: np.ndarray
) -> np.ndarray:
    """``days`` with the dates of one note drawn from one window put in ascending order.

    Instances come in reading order, so consecutive equal ``rows`` are the slots of one
    kind in one note; where they share a window (the same bounds), the earlier-written
    one gets the earlier day, as in a note appended over the years ("RDV du 24/12/2016
    manqué. RDV du 18/02/2017 reporté"), never the other way round.
    """
    same = rows[1:] == rows[:-1]
    if not same.any():
        return days
    run = np.concatenate([[0], np.cumsum(~same)])
    mixed = same & ((low[1:] != low[:-1]) | (high[1:] != high[:-1]))
    unsorted = np.zeros(run[-1] + 1, dtype=bool)
    unsorted[run[1:][mixed]] = True
    ordered = days[np.lexsort((days, run))]
    return np.where(unsorted[run], days, ordered)


def _new_year_near(low: np.ndarray, day: np.ndarray, high: np.ndarray) -> np.ndarray:
    """The January 1st nearest ``day`` within ``(low, high]``, or ``day`` where the
    window holds none."""
    year = day.astype("datetime64[D]").astype("datetime64[Y]")
    this_year = year.astype("datetime64[D]").astype(np.int64)
    next_year = (year + 1).astype("datetime64[D]").astype(np.int64)
    nearest = np.where(day - this_year <= next_year - day, this_year, next_year)
    other = np.where(nearest == this_year, next_year, this_year)
    fits = (nearest > low) & (nearest <= high)
    fits_other = (other > low) & (other <= high)
    return np.where(fits, nearest, np.where(fits_other, other, day))


# Flu vaccination in France: the campaign runs from mid-October, vaccines given until
# February; a "winter" date falls from October 1st to the end of February.
_WINTER_DAYS = 150


def _in_winter(
    rng: np.random.Generator, days: np.ndarray, low: np.ndarray, high: np.ndarray
) -> np.ndarray:
    """``days`` moved into a flu season (October to February) within ``[low, high]``:
    the season after a spring or summer day if it has begun by ``high``, else the one
    before."""
    month = days.astype("datetime64[D]").astype("datetime64[M]")
    january = month.astype("datetime64[Y]").astype("datetime64[M]")
    off = ((month - january).astype(np.int64) >= 2) & ((month - january).astype(np.int64) <= 8)
    offset = rng.integers(0, _WINTER_DAYS, len(days))
    october = (january + 9).astype("datetime64[D]").astype(np.int64)
    # The season after a spring or summer day, cut at ``high`` (it may have begun a few
    # days before), else the season before, which ends with February, before ``days``.
    after = np.where(october <= high, np.minimum(october + offset, high), -1)
    march = (january + 2).astype("datetime64[D]").astype(np.int64)
    before = np.maximum((january - 3).astype("datetime64[D]").astype(np.int64) + offset, low)
    # Where the window holds no season day (a toddler's first year of age), the season
    # just before it: a little younger than the template says, never out of season.
    earlier = (january - 3).astype("datetime64[D]").astype(np.int64) + offset
    pick = np.where(after >= 0, after, np.where(before < march, before, earlier))
    return np.where(off, pick, days)


class SlotFiller:
    """Values for the slots of the markup, one per piece instance, vectorised by kind."""

    def __init__(
        self,
        engine: SlotSources,
        ctx: CommentContext,
        rng: np.random.Generator,
        partner: np.ndarray | None = None,
    ):
        self.engine = engine
        self.ctx = ctx
        self.rng = rng
        # Partner state per record (0 none, 1 male, 2 female): see CommentEngine.
        self.partner = np.where(ctx.sex == MALE, 2, 1) if partner is None else np.asarray(partner)
        self._role_rows: dict[str, np.ndarray] = {}
        self._members: dict[str, _Members] = {}

    # -- dispatch
    def prepare(self, slot_names: tuple[str, ...], slot_id: np.ndarray, slot_row: np.ndarray):
        """Learn which records need a relative of each role in this batch, so that every
        slot of a role reads one household member per record."""
        roles, role_of_slot = _slot_roles(slot_names)
        if not len(roles):
            return
        role = role_of_slot[slot_id]
        keep = role >= 0
        n = len(self.ctx.sex)
        keys = np.unique(role[keep] * n + slot_row[keep])
        bounds = np.searchsorted(keys, np.arange(len(roles) + 1) * n)
        for i, name in enumerate(roles):
            self._role_rows[name] = keys[bounds[i] : bounds[i + 1]] - i * n

    def fill(self, slot: str, rows: np.ndarray, templates: np.ndarray | None = None) -> pa.Array:
        """Values of slot key ``slot`` (see ``compiled.slot_key``) for records ``rows``,
        written by the templates ``templates`` (for their eligibility: a timeline)."""
        name, subject, qualifiers = parse_slot_key(slot)
        if templates is None:
            templates = np.full(len(rows), -1)
        if name in ("title", "patient_surname"):
            return getattr(self, "_" + name)(rows)
        if name == "partner":
            return self._partner_noun(rows, qualifiers[0])
        if subject == "relative":
            return self.fill_relatives(
                name, np.zeros(len(rows), np.int64), rows, (slot,), templates
            )
        if subject == "patient" and OTHER not in qualifiers:
            return self._own(name, rows, templates, qualifiers)
        if name in _DATE_NAMES:
            return self._free_dates(name, rows, qualifiers, templates)
        if name in ("street", "address"):
            # Another address of the patient's (an old one, a work one): no EHPAD for a
            # child there either. A third party's (a laboratory, a mandataire) is an
            # office, never a care home: the complements of the youngest age.
            age = self.ctx.age[rows] if subject == "patient" else np.zeros(len(rows), np.int64)
            return getattr(self, "_" + name)(rows, qualifiers, age=age)
        return getattr(self, "_" + name)(rows, qualifiers)

    def _since_day(self, templates: np.ndarray) -> np.ndarray:
        """Per instance, the first day its template can date anything (January 1st of
        its ``since`` year), the earliest day for templates with none: "Harvoni chez la
        mère en 1987" is as impossible as the patient's own."""
        compiled = self.engine.compiled
        valid = templates >= 0
        since = np.where(valid, compiled.since[np.where(valid, templates, 0)], 0)
        # Calendar January 1st (an average year's length would land on December 31st).
        day = (since - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
        return np.where(since > 0, day, np.iinfo(np.int64).min)

    # -- the patient's own values
    def _own(
        self, name: str, rows: np.ndarray, templates: np.ndarray, qualifiers: tuple[str, ...]
    ) -> pa.Array:
        ctx = self.ctx
        people = self.engine.people
        pool = people.name_pool
        if name in ("date", "month_year", "year"):
            days = self._patient_days(rows, templates, qualifiers)
            return self._dates(_date_form(name, qualifiers), rows, days)
        if name == "surname":
            index = ctx.last_name_index if "birth" not in qualifiers else ctx.birth_name_index
            if index is None:
                return self._patient_surname(rows)
            return take(pool.pool, self._upper_some_surnames(index[rows]))
        if name in ("first_name_m", "first_name_f") and ctx.first_name_index is not None:
            return take(people.first_names, ctx.first_name_index[rows])
        if name == "full_name" and ctx.first_name_index is not None:
            return self._names(ctx.first_name_index[rows], ctx.last_name_index[rows])
        if name == "phone" and ctx.mobile is not None:
            mobile = take(ctx.mobile, rows)
            home = take(ctx.home, rows) if ctx.home is not None else mobile
            if "home" in qualifiers:
                return home
            if "mobile" in qualifiers:
                return mobile
            return pc.coalesce(mobile, home)
        if name == "email" and ctx.email is not None:
            return take(ctx.email, rows)
        if name == "street" and ctx.street is not None:
            return take(ctx.street, rows)
        if name == "city":
            if "birth" in qualifiers and ctx.birth_place is not None:
                return take(ctx.birth_place, rows)
            if "birth" not in qualifiers and ctx.city is not None:
                return pc.binary_join_element_wise(
                    take(ctx.postcode, rows), take(ctx.city, rows), " "
                )
        if name == "address" and ctx.street is not None:
            comma = pa.array(np.where(self.rng.random(len(rows)) < 0.6, ", ", " "))
            return pc.binary_join_element_wise(
                take(ctx.street, rows),
                comma,
                take(ctx.postcode, rows),
                pa.array(np.full(len(rows), " ")),
                take(ctx.city, rows),
                "",
            )
        if name == "nir":
            return self._render_nir(ctx.nir[rows])
        if name == "town":
            place = ctx.birth_place if "birth" in qualifiers else ctx.city
            if place is not None:
                return _town_form(take(place, rows), qualifiers)
        return getattr(self, "_" + name)(rows, qualifiers)

    def _patient_days(
        self, rows: np.ndarray, templates: np.ndarray, qualifiers: tuple[str, ...]
    ) -> np.ndarray:
        """Days of the patient's dates: a birth, a planned item, or a past event no earlier
        than the template's youngest age and first year."""
        ctx = self.ctx
        note = ctx.note_days[rows]
        birth = ctx.birth_days[rows] if ctx.birth_days is not None else note - 40 * _YEAR
        if "birth" in qualifiers:
            return birth
        compiled = self.engine.compiled
        valid = templates >= 0
        # A template with an early date is written for patients older than its floor by
        # the room a period ("de {early} à {middle}") needs before the recent window
        # (templates.EARLY_ROOM_YEARS): its dates keep the floor, date_min_age.
        min_age = np.where(valid, compiled.date_min_age[np.where(valid, templates, 0)], 0)
        low = birthday(birth, min_age)
        low = np.maximum(low, self._since_day(templates))
        return self._timeline(rows, low, note, qualifiers)

    def _timeline(
        self, rows: np.ndarray, low: np.ndarray, note: np.ndarray, qualifiers: tuple[str, ...]
    ) -> np.ndarray:
        """Days of dated slots of the records ``rows`` whose note is last edited on
        ``note``: the desk's entries in the weeks before it (from the record's opening at
        the earliest), the past from ``low`` to the start of these weeks, so that "{lately}
        : carte Vitale perdue. {desk} : nouvelle carte reçue" never runs backwards (unless
        ``low`` falls in them), and plans after it."""
        u = self.rng.random(len(rows))
        if "adult" in qualifiers and self.ctx.birth_days is not None:
            # From the patient's age of having a partner: a partner's death never falls in
            # the widow's childhood.
            adult = int(kinship().partners["min_age"])
            low = np.maximum(low, birthday(self.ctx.birth_days[rows], adult))
        if HERE in qualifiers:
            # A visit at this practice: not before the record was opened ("Revu en
            # {middle:here}" in a record opened after it read as seen by no one).
            low = np.maximum(low, self.ctx.created_days[rows])
        # The desk's weeks: from the opening, or ``desk_days`` before the note's date.
        desk = np.maximum(self.ctx.created_days[rows], note - desk_days())
        # The past ends where they begin, or where it begins if that is later: a fact a
        # girl has from 10 turned 10 between the desk's first week and the note ("en
        # 2024" for a birthday on 2 January 2025, a note of the 20th).
        past_end = np.maximum(desk, np.minimum(low, note))
        low = np.minimum(low, past_end)
        if "future" in qualifiers:
            # After the note's date, and so after the desk's entries: a plan is written
            # once the desk has acted.
            start = note + 1
            window = future_days()["far" if "far" in qualifiers else "soon"]
            days = start + (u * window).astype(np.int64)
            return _in_reading_order(rows, start, start, days)
        if "created" in qualifiers:
            return self.ctx.created_days[rows]
        if "desk" in qualifiers:
            # The desk's own entries on the record (a cancelled appointment, a message
            # left), never before the record's opening, nor before what the template
            # names existed ("vu en téléconsultation le 28/11/17" in a note of January
            # 2018: the teleconsultation is from 2018).
            first = np.maximum(desk, low)
            days = first + (u * (note - first + 1)).astype(np.int64)
            return _in_reading_order(rows, first, note, days)
        high = past_end  # or the split below
        if "lately" in qualifiers:
            low = np.maximum(low, high - _LATELY_WINDOW)
        elif "recent" in qualifiers:
            low = np.maximum(low, high - _RECENT_WINDOW)
        elif "early" in qualifiers or "middle" in qualifiers:
            # Before the recent window, split in two: early, then middle, then recent
            # never run backwards in one note. The split falls on a January 1st where
            # the window holds one, so "de {early} à {middle}" never reads "de 2012 à
            # 2012".
            recent = np.maximum(low, high - _RECENT_WINDOW)
            half = _new_year_near(low, low + (recent - low) // 2, recent)
            if "early" in qualifiers:
                high = np.maximum(half - 1, low)
            else:
                low, high = half, recent
        days = low + (u * (high - low + 1)).astype(np.int64)
        if "winter" in qualifiers:
            days = _in_winter(self.rng, days, low, high)
        return _in_reading_order(rows, low, high, days)

    def _dates(self, name: str, rows: np.ndarray, days: np.ndarray) -> pa.Array:
        return self.engine.dates.render_days(self.rng, name, days)

    def _render_nir(self, matrix: np.ndarray) -> pa.Array:
        names, dist = self.engine.nir_layouts
        layout = pa.array(dist.sample(self.rng, len(matrix)).astype(np.int8))
        return pc.choose(layout, *(LAYOUTS[name](matrix) for name in names))

    # -- relatives
    def _member(self, role: str) -> _Members:
        if role not in self._members:
            self._members[role] = self._draw_members(role, self._role_rows.get(role))
        return self._members[role]

    def _draw_members(self, role: str, rows: np.ndarray | None) -> _Members:
        ctx, rng, people = self.ctx, self.rng, self.engine.people
        if rows is None:
            rows = np.arange(len(ctx.sex))
        spec = kinship().roles[role]
        n = len(rows)
        patient_sex = ctx.sex[rows]
        if spec["sex"] == "partner":
            state = self.partner[rows]
            sex = np.where(state > 0, state - 1, 1 - patient_sex)
        elif spec["sex"] == "any":
            sex = rng.integers(0, 2, n)
        else:
            sex = np.full(n, FEMALE if spec["sex"] == "F" else MALE)
        low, high = spec["years"]
        # Born before the note is written: their ages are at its date.
        note = ctx.note_days[rows]
        patient_birth = ctx.birth_days[rows] if ctx.birth_days is not None else note - 40 * _YEAR
        offset = rng.integers(low, high + 1, n) * DAYS_PER_YEAR + rng.integers(-180, 181, n)
        birth_days = np.minimum(patient_birth + offset.astype(np.int64), note - 30)
        if low > 0:
            # Never older than the patient they descend from, nor born before them.
            birth_days = np.maximum(birth_days, patient_birth + int(low * DAYS_PER_YEAR) // 2)
            birth_days = np.minimum(birth_days, note - 30)
        birth_year, _ = people.calendar.year_month(
            np.clip(birth_days, people.calendar.first_day, people.reference_days)
        )
        first = people.draw_first_names(rng, sex, birth_year)
        if spec["surname"] in ("birth", "usage") or role == "relative":
            first = self._family_first_names(rows, sex, first)
        last = self._member_surnames(spec, rows, sex, birth_year)
        return _Members(
            rows=rows,
            sex=sex,
            birth_days=birth_days,
            birth_year=birth_year,
            first=first,
            last=last,
            phone=self.engine.contacts.mobile(rng, n),
            order=rng.integers(1, 1000, n),
        )

    def _family_first_names(
        self, rows: np.ndarray, sex: np.ndarray, first: np.ndarray
    ) -> np.ndarray:
        """Parents, siblings, children and unplaced family members mostly take a first
        name of the household's origin (formats/name_origins.yaml, ``family_first_names``):
        the patient's birth name's group, else their first name's; a Diallo's son is more
        often Moussa than Kevin."""
        ctx = self.ctx
        if ctx.birth_name_index is None or ctx.first_name_index is None:
            return first
        origins = load_name_origins()
        group = origins.of_names(ctx.birth_name_index[rows], ctx.first_name_index[rows])
        return origins.follow(self.rng, group, sex, first)

    def _member_surnames(
        self, spec: dict, rows: np.ndarray, sex: np.ndarray, birth_year: np.ndarray
    ) -> np.ndarray:
        ctx, rng, people = self.ctx, self.rng, self.engine.people
        n = len(rows)
        own = people.draw_surnames(rng, birth_year)
        usage = ctx.last_name_index[rows] if ctx.last_name_index is not None else own
        birth = ctx.birth_name_index[rows] if ctx.birth_name_index is not None else own
        rule = spec["surname"]
        if rule == "birth":
            family = birth
        elif rule == "usage":
            family = usage
        elif rule == "partner":
            # A woman using her husband's name shares it with him; a man's wife takes his
            # about half the time; partners of the same sex keep their own.
            patient_sex = ctx.sex[rows]
            opposite = sex != patient_sex
            married_name = (patient_sex == FEMALE) & (usage != birth)
            takes_his = (patient_sex == MALE) & (rng.random(n) < 0.5)
            family = np.where(opposite & (married_name | takes_his), usage, own)
        else:
            family = own
        shared = rng.random(n) < float(spec["shared"])
        return np.where(shared, family, own)

    def fill_relatives(
        self,
        name: str,
        slot_ids: np.ndarray,
        rows: np.ndarray,
        slot_names: tuple[str, ...],
        templates: np.ndarray | None = None,
    ) -> pa.Array:
        """Values of every relative slot of kind ``name`` in the batch, whatever their
        roles: each instance reads its role's household member, and the strings are
        rendered once for them all (a render per role and kind cost more than the
        values). A relative's dated event falls after their birth and after the first
        year of what its template names (``since``)."""
        n = len(rows)
        fields = {f: np.empty(n, dtype=np.int64) for f in _MEMBER_FIELDS}
        days = np.empty(n, dtype=np.int64) if name in _DATE_NAMES else None
        birth = np.zeros(n, dtype=bool)
        since_day = self._since_day(np.full(n, -1) if templates is None else templates)
        roles = kinship().roles
        for slot_id in np.unique(slot_ids):
            sel = np.flatnonzero(slot_ids == slot_id)
            _, _, qualifiers = parse_slot_key(slot_names[slot_id])
            m = self._member(next((q for q in qualifiers if q in roles), "relative"))
            at = m.at(rows[sel])
            for field, values in fields.items():
                values[sel] = getattr(m, field)[at]
            if days is not None:
                birth[sel] = _date_form(name, qualifiers) == "birth"
                born = m.birth_days[at]
                days[sel] = (
                    born
                    if "birth" in qualifiers
                    else self._timeline(
                        rows[sel],
                        np.maximum(born, since_day[sel]),
                        self.ctx.note_days[rows[sel]],
                        qualifiers,
                    )
                )
        view = _Members(rows=rows, **fields)
        if days is not None and birth.any():
            # Births take their own written forms; the others keep the kind's.
            order = np.concatenate([np.flatnonzero(~birth), np.flatnonzero(birth)])
            values = pa.concat_arrays(
                [
                    self._dates(name, rows[~birth], days[~birth]),
                    self._dates("birth", rows[birth], days[birth]),
                ]
            )
            return take(values, np.argsort(order))
        return self._relative(name, view, np.arange(n), rows, days)

    def _relative(
        self,
        name: str,
        m: _Members,
        at: np.ndarray,
        rows: np.ndarray,
        days: np.ndarray | None,
    ) -> pa.Array:
        people = self.engine.people
        sex = m.sex[at]
        if name in ("first_name_m", "first_name_f"):
            wanted = MALE if name == "first_name_m" else FEMALE
            first = np.where(
                sex == wanted,
                m.first[at],
                people.draw_first_names(self.rng, np.full(len(rows), wanted), m.birth_year[at]),
            )
            return take(people.first_names, first)
        if name == "surname":
            return take(people.name_pool.pool, self._upper_some_surnames(m.last[at]))
        if name == "full_name":
            return self._names(m.first[at], m.last[at])
        if name == "phone":
            return self.engine.contacts.phones.numbers(m.phone[at])
        if name == "email":
            return load_email_book().addresses(
                self.rng,
                self.engine.contacts,
                first=m.first[at],
                last=m.last[at],
                birth_year=m.birth_year[at],
                real_domains=self.engine.real_email_domains,
            )
        if days is not None:
            return self._dates(name, rows, days)
        if name == "nir":
            return self._render_nir(self._member_nir(m, at, rows))
        if name == "age":
            return load_age_forms().render(m.birth_days[at], self.ctx.note_days[rows])
        # Addresses and cities of relatives live near the patient.
        return getattr(self, "_" + name)(rows, ())

    def _member_nir(self, m: _Members, at: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """A relative's NIR: their own sex, birth year and month; the family's birth place
        (the place digits of the patient's NIR)."""
        place = self.ctx.nir[rows, 5:10]
        digits = place.astype(np.int64) - ord("0")
        # Corsica: 2A reads 19 and 2B 18 in the key.
        department = np.where(
            place[:, 1] == ord("A"),
            19,
            np.where(place[:, 1] == ord("B"), 18, digits[:, 0] * 10 + digits[:, 1]),
        )
        value = department * 1000 + digits[:, 2] * 100 + digits[:, 3] * 10 + digits[:, 4]
        _, month = self.engine.people.calendar.year_month(
            np.clip(
                m.birth_days[at],
                self.engine.people.calendar.first_day,
                self.engine.people.reference_days,
            )
        )
        return nir_matrix(
            sex=m.sex[at],
            birth_year=m.birth_year[at],
            birth_month=month,
            place_bytes=place,
            place_value=value,
            order=m.order[at],
        )

    def _partner_noun(self, rows: np.ndarray, form: str) -> pa.Array:
        nouns = kinship().partner_nouns[form]
        state = self.partner[rows]
        female = np.where(state > 0, state == 2, self.ctx.sex[rows] == MALE)
        return take(pa.array([nouns["M"], nouns["F"]]), female.astype(np.int64))

    # -- people
    def _names(self, first: np.ndarray, last: np.ndarray) -> pa.Array:
        """Prénom NOM or Prénom Nom, or NOM Prénom for some rows."""
        pool = self.engine.people.name_pool
        first = pool.first + first
        last_first = self.rng.random(len(first)) < 0.3
        head = np.where(last_first, pool.upper_surname + last, first)
        tail = np.where(last_first, first, self._upper_some_surnames(last))
        return join_columns(pool.pool, [head, pool.space, tail])

    def _upper_some(self, names: pa.Array) -> pa.Array:
        upper = self.rng.random(len(names)) < self.engine.upper_surname_rate
        return pc.if_else(pa.array(upper), pc.utf8_upper(names), names)

    def _upper_some_surnames(self, index: np.ndarray) -> np.ndarray:
        """:attr:`NamePool.pool` indices of the surnames ``index``, some in capitals."""
        pool = self.engine.people.name_pool
        upper = self.rng.random(len(index)) < self.engine.upper_surname_rate
        return np.where(upper, pool.upper_surname, pool.surname) + index

    def _child(self, rows: np.ndarray) -> np.ndarray:
        """Patients too young for a title: a secretary names a child by first name and
        surname ("Léa Martin a appelé"), never "Mme Martin" at 4."""
        return self.ctx.age[rows] < self.engine.titles_min_age

    def _age(self, rows: np.ndarray, qualifiers: tuple[str, ...]) -> pa.Array:
        """The patient's age on the day of the note, as the row's birth date gives it."""
        ctx = self.ctx
        if ctx.birth_days is None:  # a context without birth dates: the age it assumes
            return load_age_forms().in_years(ctx.age[rows])
        return load_age_forms().render(ctx.birth_days[rows], ctx.note_days[rows])

    def _title(self, rows: np.ndarray) -> pa.Array:
        e = self.engine
        n = len(rows)
        (male_texts, male_dist), (female_texts, female_dist) = e.titles[MALE], e.titles[FEMALE]
        male = male_dist.sample(self.rng, n)
        female = female_dist.sample(self.rng, n)
        miss, madam, until = e.miss_title
        if miss >= 0 and self.ctx.birth_name_index is not None:
            # "Mlle" only for a young woman under her own name: "Mme" for the others.
            married = self.ctx.last_name_index[rows] != self.ctx.birth_name_index[rows]
            older = (self.ctx.age[rows] >= until) | married
            female = np.where((female == miss) & older, madam, female)
        index = np.where(self.ctx.sex[rows] == FEMALE, len(male_texts) + female, male)
        texts = pa.concat_arrays([male_texts, female_texts, pa.array([""])])
        return take(texts, np.where(self._child(rows), len(texts) - 1, index))

    def _patient_surname(self, rows: np.ndarray) -> pa.Array:
        surnames = self._upper_some(take(self.ctx.last_name, rows))
        child = self._child(rows)
        if self.ctx.first_name_index is None or not child.any():
            return surnames
        # A child's first name goes inside the labelled name, the title being empty.
        first = take(self.engine.people.first_names, self.ctx.first_name_index[rows])
        named = pc.binary_join_element_wise(first, surnames, " ")
        return pc.if_else(pa.array(child), named, surnames)

    def _years(self, rows: np.ndarray) -> np.ndarray:
        """Birth years of someone the patient knows: a generation around the patient's."""
        shift = self.rng.choice(np.array([-30, 0, 30]), len(rows))
        years = self.ctx.birth_year[rows] + shift + self.rng.integers(-5, 6, len(rows))
        return np.minimum(years, self.ctx.note_year[rows] - 18)

    def _first_name(self, rows: np.ndarray, sex: int) -> pa.Array:
        people = self.engine.people
        index = people.draw_first_names(self.rng, np.full(len(rows), sex), self._years(rows))
        return take(people.first_names, index)

    def _first_name_m(self, rows: np.ndarray, qualifiers: tuple[str, ...] = ()) -> pa.Array:
        return self._first_name(rows, MALE)

    def _first_name_f(self, rows: np.ndarray, qualifiers: tuple[str, ...] = ()) -> pa.Array:
        return self._first_name(rows, FEMALE)

    def _surname(self, rows: np.ndarray, qualifiers: tuple[str, ...] = ()) -> pa.Array:
        people = self.engine.people
        index = people.draw_surnames(self.rng, self._years(rows))
        return take(people.name_pool.pool, self._upper_some_surnames(index))

    def _full_name(self, rows: np.ndarray, qualifiers: tuple[str, ...] = ()) -> pa.Array:
        people = self.engine.people
        n = len(rows)
        years = self._years(rows)
        first = people.draw_first_names(self.rng, self.rng.integers(0, 2, n), years)
        return self._names(first, people.draw_surnames(self.rng, years))

    # -- contacts
    def _phone(self, rows: np.ndarray, qualifiers: tuple[str, ...] = ()) -> pa.Array:
        contacts = self.engine.contacts
        n = len(rows)
        zone = self.engine.zone_of_unit[self.ctx.unit[rows]]
        mobile = self.rng.random(n) < 0.7
        if "home" in qualifiers or "mobile" in qualifiers:  # an office's landline, say
            mobile[:] = "mobile" in qualifiers
        index = np.where(mobile, contacts.mobile(self.rng, n), contacts.landline(self.rng, zone))
        return contacts.phones.numbers(index)

    def _email(self, rows: np.ndarray, qualifiers: tuple[str, ...] = ()) -> pa.Array:
        e = self.engine
        people = e.people
        n = len(rows)
        years = self._years(rows)
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

    def _street(
        self, rows: np.ndarray, qualifiers: tuple[str, ...] = (), age: np.ndarray | None = None
    ) -> pa.Array:
        places = self.engine.places
        line = places.draw_street_line(self.rng, self._units(rows), age)
        return places.address_pool.join(*line)

    def _city(self, rows: np.ndarray, qualifiers: tuple[str, ...] = ()) -> pa.Array:
        pool = self.engine.places.address_pool
        unit = self._units(rows)
        return join_columns(pool.pool, [pool.postcode + unit, pool.space, pool.city + unit])

    def _town(self, rows: np.ndarray, qualifiers: tuple[str, ...] = ()) -> pa.Array:
        """A commune of the patient's department, bare or with its preposition: where a
        relative lives, a hospital, a pharmacy, another patient's town."""
        pool = self.engine.places.address_pool
        return _town_form(take(pool.pool, pool.city + self._units(rows)), qualifiers)

    def _address(
        self, rows: np.ndarray, qualifiers: tuple[str, ...] = (), age: np.ndarray | None = None
    ) -> pa.Array:
        places = self.engine.places
        pool = places.address_pool
        unit = self._units(rows)
        line = places.draw_street_line(self.rng, unit, age)
        separator = np.where(self.rng.random(len(rows)) < 0.6, pool.comma, pool.space)
        tail = [separator, pool.postcode + unit, pool.space, pool.city + unit]
        return pool.join(*line, tail=tail)

    # -- dates and numbers not bound to anyone's life
    def _date(self, rows: np.ndarray, qualifiers: tuple[str, ...] = ()) -> pa.Array:
        return self._free_dates("date", rows, qualifiers)

    def _month_year(self, rows: np.ndarray, qualifiers: tuple[str, ...] = ()) -> pa.Array:
        return self._free_dates("month_year", rows, qualifiers)

    def _year(self, rows: np.ndarray, qualifiers: tuple[str, ...] = ()) -> pa.Array:
        return self._free_dates("year", rows, qualifiers)

    def _free_dates(
        self,
        name: str,
        rows: np.ndarray,
        qualifiers: tuple[str, ...],
        templates: np.ndarray | None = None,
    ) -> pa.Array:
        note = self.ctx.note_days[rows]
        low = note - _PAST_WINDOW
        if templates is not None:
            low = np.maximum(low, self._since_day(templates))
        days = self._timeline(rows, low, note, qualifiers)
        return self._dates(name, rows, days)

    def _nir(self, rows: np.ndarray, qualifiers: tuple[str, ...] = ()) -> pa.Array:
        return self._render_nir(self.ctx.nir[rows])
