"""Phone numbers and email addresses that can never reach a real person.

Reads ``formats/phones.yaml`` (ARCEP fiction blocks, written formats, who has which
phone) and ``formats/emails.yaml`` (reserved domains, local-part patterns).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from breachbench.generator.arrays.rates import step_rate
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
from breachbench.generator.data.derived import derived
from breachbench.generator.records.people import load_people


def email_form(name: str) -> str:
    """How a name appears in an address: lower-case ASCII, no spaces or apostrophes."""
    name = name.lower().replace("œ", "oe").replace("æ", "ae")
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9-]", "", folded)


def email_forms(names: pa.Array) -> pa.Array:
    """:func:`email_form` of every name, folding each distinct character only once."""
    values = [name.lower() for name in names.to_pylist()]
    table = str.maketrans({c: email_form(c) or None for c in set("".join(values))})
    return pa.array([value.translate(table) for value in values], type=pa.string())


@functools.cache
def load_name_forms() -> tuple[pa.Array, pa.Array]:
    """:func:`email_forms` of every first name and of every surname of ``generator.records.people``.

    A Python pass over ~270k names, the same in every process: cached on disk
    (``breachbench.generator.data.derived``).
    """

    def compute() -> tuple[pa.Array, pa.Array]:
        people = load_people()
        return email_forms(people.first_names), email_forms(people.surnames)

    return derived("name-forms", compute)


TWO_DIGITS = pa.array([f"{value:02d}" for value in range(100)])
YEARS = 10_000  # birth years an address may spell, "0".."9999"
FREE_NUMBERS = 10_000  # each fiction block leaves four digits free


@dataclass(frozen=True)
class PhoneBook:
    """Every number of every fiction block in every written format, built once.

    Six blocks x a few formats x 10,000 numbers is a few hundred thousand short
    strings: a phone column is then one ``take`` from this pool.
    """

    pool: pa.Array
    n_formats: int
    format_weights: Categorical

    @classmethod
    def build(cls, blocks: list[np.ndarray], patterns: list[list[str]], weights: Categorical):
        free = digit_matrix(np.arange(FREE_NUMBERS), 4)
        rendered = []
        for block in blocks:
            digits = np.hstack([np.broadcast_to(block, (FREE_NUMBERS, 6)), free])
            for tokens in patterns:
                columns = []
                for token in tokens:
                    if token.startswith("{d"):
                        index = int(token[2:-1])
                        columns.append(digits[:, index : index + 1])
                    else:
                        raw = np.frombuffer(token.encode("ascii"), dtype=np.uint8)
                        columns.append(np.broadcast_to(raw, (FREE_NUMBERS, len(raw))))
                rendered.append(strings_from_matrix(np.hstack(columns)))
        # An empty string last: what a row without a number takes (see numbers()).
        rendered.append(pa.array([""], type=pa.string()))
        return cls(pa.concat_arrays(rendered), len(patterns), weights)

    def draw(self, rng: np.random.Generator, block: np.ndarray) -> np.ndarray:
        """One random number per row, in the row's block, in a random usual format: its
        index in the pool, so that callers mixing blocks or nulls take strings once."""
        n = len(block)
        form = self.format_weights.sample(rng, n)
        free = rng.integers(0, FREE_NUMBERS, n)
        return (block * self.n_formats + form) * FREE_NUMBERS + free

    def numbers(self, index: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
        """The numbers of :meth:`draw` indices; null where ``null`` is true.

        A null row takes the pool's last string, the empty one, and the validity is set
        after: Arrow's take with null indices costs twice the plain one, for the same
        buffers (a null string has no bytes either way).
        """
        if null is None or not null.any():
            return self.pool.take(pa.array(index, type=pa.int64()))
        index = np.where(null, len(self.pool) - 1, index)
        taken = self.pool.take(pa.array(index, type=pa.int64()))
        validity = pa.array(~null, type=pa.bool_()).buffers()[1]
        _, offsets, data = taken.buffers()
        return pa.Array.from_buffers(
            pa.string(), len(taken), [validity, offsets, data], null_count=int(null.sum())
        )


@dataclass(frozen=True)
class ContactsModel:
    phones: PhoneBook  # block 0 is the mobile block, block z the landline zone z
    mobile_steps: list[list[float]]
    home_steps: list[list[float]]
    email_steps: list[list[float]]
    parent_email_until: int  # a record opened younger holds a parent's address
    parent_email_mother: float  # share of those that are the mother's
    email_patterns: tuple[tuple[str, ...], ...]
    email_pattern_weights: Categorical
    reserved_domains: pa.Array
    reserved_weights: Categorical
    real_domains: pa.Array
    real_weights: Categorical
    zone_by_region: dict[str, int]
    zone_by_department: dict[str, int]
    default_zone: int

    def mobile(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Mobile numbers, as :meth:`PhoneBook.draw` indices."""
        return self.phones.draw(rng, np.zeros(n, dtype=np.int64))

    def landline(self, rng: np.random.Generator, zone: np.ndarray) -> np.ndarray:
        """Landline numbers of each row's zone, as :meth:`PhoneBook.draw` indices."""
        return self.phones.draw(rng, np.asarray(zone, dtype=np.int64))

    def zones(self, region: np.ndarray, department: np.ndarray) -> np.ndarray:
        by_department = np.array([self.zone_by_department.get(d, 0) for d in department])
        by_region = np.array([self.zone_by_region.get(r, self.default_zone) for r in region])
        return np.where(by_department > 0, by_department, by_region)


@dataclass(frozen=True)
class EmailBook:
    """Every piece an address is made of, in one string pool built once per process.

    An address is a row of pool indices (the pattern's literals, the name forms, their
    initials, two digits, the year, "@", the domain) joined once: no string is built
    for a piece that is only ever concatenated (see :class:`~generator.arrays.text.Patterns`).
    """

    pool: pa.Array
    first: int  # offset of the first-name forms, then of their initials
    initial: int
    last: int  # offset of the surname forms
    digits: int  # offset of "00".."99"
    years: int  # offset of "0".."9999"
    domains: dict[bool, int]  # real_domains -> offset of that domain list
    patterns: Patterns  # the local-part patterns followed by "{domain}" (with its "@")

    @classmethod
    def build(cls, contacts: ContactsModel, first_forms: pa.Array, surname_forms: pa.Array):
        parts = {
            "first": first_forms,
            "initial": pc.utf8_slice_codeunits(first_forms, 0, 1),
            "last": surname_forms,
            "digits": TWO_DIGITS,
            "years": pa.array(np.arange(YEARS)).cast(pa.string()),
            # "@" and the domain make one piece: one fewer per address to take and join.
            "reserved": _at(contacts.reserved_domains),
            "real": _at(contacts.real_domains),
        }
        sizes = [len(part) for part in parts.values()]
        offsets = dict(zip(parts, np.cumsum([0, *sizes[:-1]]).tolist(), strict=True))
        patterns = [(*p, "{domain}") for p in contacts.email_patterns]
        literals = literal_tokens(patterns)
        literal_index = {literal: sum(sizes) + i for i, literal in enumerate(literals)}
        pool = pa.concat_arrays(
            [part.cast(pa.string()) for part in parts.values()] + [pa.array(literals, pa.string())]
        )
        return cls(
            pool=pool,
            first=offsets["first"],
            initial=offsets["initial"],
            last=offsets["last"],
            digits=offsets["digits"],
            years=offsets["years"],
            domains={False: offsets["reserved"], True: offsets["real"]},
            patterns=Patterns.compile(patterns, literal_index),
        )

    def addresses(
        self,
        rng: np.random.Generator,
        contacts: ContactsModel,
        *,
        first: np.ndarray,
        last: np.ndarray,
        birth_year: np.ndarray,
        real_domains: bool,
        has: np.ndarray | None = None,
    ) -> pa.Array:
        """Addresses in the usual patterns (prenom.nom, p.nom, prenom.nom85...).

        ``first`` and ``last`` index the name-form lists (the people model's name
        indices). With ``has`` (a mask over a longer batch), the addresses go to its
        true rows in order and the other rows are null.
        """
        n = len(first)
        columns = {
            "{first}": self.first + first,
            "{last}": self.last + last,
            "{f}": self.initial + first,
            "{nn}": self.digits + rng.integers(0, 100, n),
            "{yy}": self.digits + birth_year % 100,
            "{yyyy}": self.years + birth_year,
        }
        choice = contacts.email_pattern_weights.sample(rng, n)
        weights = contacts.real_weights if real_domains else contacts.reserved_weights
        columns["{domain}"] = self.domains[real_domains] + weights.sample(rng, n)
        index, offsets = self.patterns.indices(choice, columns)
        if has is None:
            return join_pieces(self.pool, index, offsets)
        # Rows without an address get an empty (null) list.
        row_offsets = np.zeros(len(has) + 1, dtype=np.int32)
        row_offsets[1:][has] = np.diff(offsets)
        return join_pieces(self.pool, index, np.cumsum(row_offsets, dtype=np.int32), null=~has)


def _at(domains: pa.Array) -> pa.Array:
    return pa.array(["@" + domain for domain in domains.to_pylist()], type=pa.string())


@functools.cache
def load_email_book() -> EmailBook:
    """The :class:`EmailBook` of the installed corpora (tens of milliseconds, once)."""
    return EmailBook.build(load_contacts(), *load_name_forms())


def _ascii(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("ascii"), dtype=np.uint8)


def _domains(entries: list[dict]) -> tuple[pa.Array, Categorical]:
    return (
        pa.array([entry["domain"] for entry in entries]),
        Categorical.from_weights([entry["weight"] for entry in entries]),
    )


@functools.cache
def load_contacts() -> ContactsModel:
    phones = corpora.read_yaml("formats/phones.yaml")
    emails = corpora.read_yaml("formats/emails.yaml")
    blocks = phones["fiction_blocks"]
    zones = sorted(blocks["zones"], key=int)
    if [int(zone) for zone in zones] != list(range(1, len(zones) + 1)):
        raise ValueError("phone zones must be numbered 1..k")
    reserved, reserved_weights = _domains(emails["reserved_domains"])
    real, real_weights = _domains(emails["real_domains"])
    return ContactsModel(
        phones=PhoneBook.build(
            [_ascii(blocks["mobile"])] + [_ascii(blocks["zones"][zone]) for zone in zones],
            [pattern_tokens(f["pattern"]) for f in phones["formats"]],
            Categorical.from_weights([f["weight"] for f in phones["formats"]]),
        ),
        mobile_steps=phones["mobile_rate_by_age"],
        home_steps=phones["home_rate_by_age"],
        email_steps=emails["email_rate_by_age"],
        parent_email_until=int(emails["parent_email_until"]),
        parent_email_mother=float(emails["parent_email_mother"]),
        email_patterns=tuple(tuple(pattern_tokens(p["pattern"])) for p in emails["patterns"]),
        email_pattern_weights=Categorical.from_weights([p["weight"] for p in emails["patterns"]]),
        reserved_domains=reserved,
        reserved_weights=reserved_weights,
        real_domains=real,
        real_weights=real_weights,
        zone_by_region={str(k): int(v) for k, v in phones["zone_by_region"].items()},
        zone_by_department={str(k): int(v) for k, v in phones["zone_by_department"].items()},
        default_zone=int(phones["default_zone"]),
    )


def presence(rng: np.random.Generator, steps: list[list[float]], age: np.ndarray) -> np.ndarray:
    """Who has this contact, by age."""
    return rng.random(len(age)) < step_rate(steps, age)
