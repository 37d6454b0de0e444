"""One block of patient records: every column of the dataset, built as whole arrays.

Rows are made in blocks of ``BLOCK_ROWS`` whose random streams depend only on
(seed, block number), so a row's content is a function of (version, seed, options,
row index): the same whatever the batch size or the number of workers. Each concern
draws from its own child stream, so changing the comment options, say, leaves the
identities of the patients untouched.
"""

from __future__ import annotations

import functools

import numpy as np
import pyarrow as pa
from breachbench.generator.arrays.text import digit_items, fixed_strings
from breachbench.generator.comments.engine import CommentContext, load_engine
from breachbench.generator.comments.splits import split_engine
from breachbench.generator.contract.schema import RECORD_SCHEMA
from breachbench.generator.data import corpora
from breachbench.generator.options import GenerateOptions
from breachbench.generator.records.contacts import load_contacts, load_email_book, presence
from breachbench.generator.records.doctors import assign
from breachbench.generator.records.nir import person_nir, solid
from breachbench.generator.records.people import (
    FEMALE,
    MALE,
    People,
    calendar_years,
    completed_years,
    load_people,
    month_days,
)
from breachbench.generator.records.places import load_name_origins, load_places

#: Rows per block. A block costs about 26 ms of CPU whatever its size (some 14,000
#: numpy and pyarrow calls: a pass per slot kind, template family and pattern), 17% of a
#: block of 65,536 rows: twice that size takes 7% off the CPU of a large run (40.6
#: against 43.9 s for 10 million rows, alternated runs) for 20 MB more per worker. A run
#: of a few rows still makes a whole block (0.3 s).
BLOCK_ROWS = 131_072
ID_PREFIX = "PAT"
_SEX_CODES = pa.array(["M", "F"])  # indexed by people.MALE / people.FEMALE
# A stream is the SeedSequence child of its position: a new one goes at the end, so
# that the others draw what they drew before it.
_STREAMS = ("people", "places", "contacts", "comments", "created", "updated")


def _created_at(rng: np.random.Generator, birth_days: np.ndarray) -> np.ndarray:
    """When each record was opened (milliseconds since 1970): a working day, during
    opening hours."""
    settings = corpora.read_yaml("formats/people.yaml")
    low = np.datetime64(settings["created_from"], "D").astype(np.int64)
    high = np.datetime64(settings["created_until"], "D").astype(np.int64)
    start = np.maximum(low, birth_days)
    day = _working_day_from(rng.random(len(birth_days)), start, int(low), int(high))
    open_hour, close_hour = settings["opening_hours"]
    seconds = rng.integers(open_hour * 3600, close_hour * 3600, len(day))
    # Whole seconds, stored in milliseconds: Parquet has no second-resolution timestamp.
    return (day * 86_400 + seconds) * 1000


def _updated_at(rng: np.random.Generator, created_ms: np.ndarray) -> np.ndarray:
    """When each record's comment was last edited (milliseconds since 1970), the day its
    note is written as of: an active record's in the last years of the window, a left
    one's any day from its opening (``formats/people.yaml`` ``updated``); never before
    ``created_ms``, on a working day, during opening hours."""
    settings = corpora.read_yaml("formats/people.yaml")
    law = settings["updated"]
    low = np.datetime64(settings["created_from"], "D").astype(np.int64)
    high = np.datetime64(settings["created_until"], "D").astype(np.int64)
    n = len(created_ms)
    created_day = created_ms // 86_400_000
    active = rng.random(n) < float(law["active_rate"])
    recent = high - round(float(law["active_years"]) * 365.2425) + 1
    start = np.where(active, np.maximum(created_day, recent), created_day)
    # The opening is itself a working day: there is always one from ``start``.
    day = _working_day_from(rng.random(n), start, int(low), int(high))
    open_hour, close_hour = settings["opening_hours"]
    # On the opening day itself, after the opening's hour.
    opened = np.where(day == created_day, created_ms // 1000 - created_day * 86_400, 0)
    first = np.maximum(opened, open_hour * 3600)
    seconds = first + np.floor(rng.random(n) * (close_hour * 3600 - first)).astype(np.int64)
    return (day * 86_400 + seconds) * 1000


def _working_day_from(u: np.ndarray, start: np.ndarray, low: int, high: int) -> np.ndarray:
    """For each uniform ``u``, a working day from ``start`` to ``high``, all equally likely
    (the window's last working day when ``start`` is past it).

    A day drawn from the calendar and moved to the next working day gave Mondays (and the
    day after a public holiday) three times their share: a histogram of the opening days
    by weekday showed it.
    """
    working = _working_days(low, high)
    first = _first_working_day(low, high)[np.clip(start - low, 0, high - low)]
    count = len(working) - first
    return working[first + np.floor(u * count).astype(np.int64)]


@functools.cache
def _first_working_day(low: int, high: int) -> np.ndarray:
    """Per day of ``[low, high]``, the index in :func:`_working_days` of the first working
    day from it (the last one past the window's last): one gather per row, where a
    ``searchsorted`` of every row cost 2.5% of a block."""
    working = _working_days(low, high)
    return np.minimum(np.searchsorted(working, np.arange(low, high + 1)), len(working) - 1)


@functools.cache
def _working_days(low: int, high: int) -> np.ndarray:
    """The working days of ``[low, high]`` (days since 1970), in order: not a weekend nor
    a public holiday of ``formats/people.yaml``."""
    settings = corpora.read_yaml("formats/people.yaml")
    days = np.arange(low, high + 1)
    closed = (days + 3) % 7 >= 5  # 1970-01-01 was a Thursday; 5, 6 = Saturday, Sunday
    fixed = [int(m) * 32 + int(d) for m, d in (h.split("-") for h in settings["public_holidays"])]
    closed |= np.isin(month_days(days), fixed)
    years = calendar_years(days[[0, -1]])
    after = [int(d) for d in settings["public_holidays_after_easter"]]
    movable = [_easter(y) + offset for y in range(years[0], years[1] + 1) for offset in after]
    closed |= np.isin(days, movable)
    return low + np.flatnonzero(~closed)


def _easter(year: int) -> int:
    """Easter Sunday of ``year`` (Gregorian; the anonymous algorithm), in days since 1970."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return int(np.datetime64(f"{year:04d}-{month:02d}-{day + 1:02d}", "D").astype(np.int64))


def _emails(
    rng: np.random.Generator, people: People, age: np.ndarray, real_domains: bool
) -> pa.Array:
    """Addresses for the people who have one (by age when the record was opened); null
    for the others. A child's record holds a parent's address, made of the parent's
    first name and birth year (``formats/emails.yaml``, ``parent_email_until``): no
    "sasha.villette@" for a 4-year-old."""
    contacts = load_contacts()
    has = presence(rng, contacts.email_steps, age)
    first = people.first_name_index[has]
    birth_year = people.birth_year[has]
    child = age[has] < contacts.parent_email_until
    if child.any():
        n = int(child.sum())
        parent_sex = np.where(rng.random(n) < contacts.parent_email_mother, FEMALE, MALE)
        parent_year = birth_year[child] - rng.integers(22, 41, n)
        parent = load_people().draw_first_names(rng, parent_sex, parent_year)
        origins = load_name_origins()
        group = origins.surname[people.birth_name_index[has][child]]
        first[child] = origins.follow(rng, group, parent_sex, parent)
        birth_year[child] = parent_year
    return load_email_book().addresses(
        rng,
        contacts,
        first=first,
        last=people.last_name_index[has],
        birth_year=birth_year,
        real_domains=real_domains,
        has=has,
    )


def _block(options: GenerateOptions, block: int) -> pa.Table:
    start = block * BLOCK_ROWS
    n = BLOCK_ROWS
    rows = np.arange(start, start + n, dtype=np.int64)
    streams = np.random.SeedSequence([options.seed, block]).spawn(len(_STREAMS))
    rng = {name: np.random.default_rng(s) for name, s in zip(_STREAMS, streams, strict=True)}

    people = load_name_origins().patients(rng["people"], load_people().draw(rng["people"], n))
    places = load_places()
    practice = assign(options.seed, rows)
    unit = places.draw_local_units(rng["places"], practice.unit)
    created_ms = _created_at(rng["created"], people.birth_days)
    created_days = created_ms // 86_400_000
    updated_ms = _updated_at(rng["updated"], created_ms)
    # The usage name, address and contacts fit the patient when the record was opened
    # (the note, written as of updated_at, copies them as the row holds them).
    age = completed_years(people.birth_days, created_days)
    people = load_people().usage_names_at(people, age)
    residence = places.residence(rng["places"], unit, age)
    birth = places.birth_place(rng["places"], people.age, unit, load_name_origins().of(people))
    nir = person_nir(people, birth, rng["people"].integers(1, 1000, n))

    contacts = load_contacts()
    crng = rng["contacts"]
    mobile = contacts.mobile(crng, n)
    engine = split_engine(options.real_email_domains, options.split, options.split_fraction)
    home = contacts.landline(crng, engine.zone_of_unit[unit])
    mobile = contacts.phones.numbers(mobile, ~presence(crng, contacts.mobile_steps, age))
    home = contacts.phones.numbers(home, ~presence(crng, contacts.home_steps, age))
    email = _emails(crng, people, age, options.real_email_domains)

    context = CommentContext.for_people(
        people,
        nir,
        unit,
        places,
        created_days=created_days,
        note_days=updated_ms // 86_400_000,
        birth=birth,
        residence=residence,
        mobile=mobile,
        home=home,
        email=email,
    )
    comments = engine.generate(
        rng["comments"],
        context,
        comment_rate=options.comment_rate,
        sensitive_rate=options.sensitive_rate,
        difficulty=options.difficulty,
        hard_negative_rate=options.hard_negative_rate,
    )
    columns = {
        "patient_id": fixed_strings(ID_PREFIX, *digit_items(rows + 1, 10), n=n),
        "last_name": people.last_name,
        "birth_name": people.birth_name,
        "first_name": people.first_name,
        "sex": _SEX_CODES.take(pa.array(people.sex)),
        "birth_date": pa.array(people.birth_days.astype(np.int32)).view(pa.date32()),
        "birth_place": birth.place,
        "nir": solid(nir),
        "phone_mobile": mobile,
        "phone_home": home,
        "email": email,
        "address": residence.address,
        "postcode": residence.postcode,
        "city": residence.city,
        "insee_code": residence.insee_code,
        "doctor_rpps": practice.rpps,
        "doctor_name": practice.name,
        "created_at": pa.array(created_ms, type=pa.timestamp("ms")),
        "updated_at": pa.array(updated_ms, type=pa.timestamp("ms")),
        "admin_comment": comments.text,
        "sensitive": comments.sensitive,
        "categories": comments.categories,
        "spans": comments.spans,
        "difficulty_tags": comments.difficulty_tags,
    }
    return pa.Table.from_pydict(columns, schema=RECORD_SCHEMA)


def warm_up(real_email_domains: bool = False) -> None:
    """Load the corpora now rather than inside the first block: about 0.1 s when their
    arrays are in the disk cache (``generator.data.derived``), some 6 s to build it."""
    load_engine(real_email_domains)
    load_name_origins()


def make_block(options: GenerateOptions, start: int, stop: int) -> pa.Table:
    """Rows ``[start, stop)``: a pure function of (version, content options, row index)."""
    if stop <= start:
        return RECORD_SCHEMA.empty_table()
    first, last = start // BLOCK_ROWS, (stop - 1) // BLOCK_ROWS
    tables = [_block(options, block) for block in range(first, last + 1)]
    table = pa.concat_tables(tables) if len(tables) > 1 else tables[0]
    return table.slice(start - first * BLOCK_ROWS, stop - start)
