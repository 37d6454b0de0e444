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

from generator import corpora
from generator.rates import step_rate
from generator.sampling import Categorical
from generator.text import (
    digit_matrix,
    join,
    pattern_tokens,
    render_patterns,
    strings_from_matrix,
    take,
)


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


TWO_DIGITS = pa.array([f"{value:02d}" for value in range(100)])
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
        return cls(pa.concat_arrays(rendered), len(patterns), weights)

    def numbers(self, rng: np.random.Generator, block: np.ndarray) -> pa.Array:
        """One random number per row, in the row's block, in a random usual format."""
        n = len(block)
        form = self.format_weights.sample(rng, n)
        free = rng.integers(0, FREE_NUMBERS, n)
        return self.pool.take(pa.array((block * self.n_formats + form) * FREE_NUMBERS + free))


@dataclass(frozen=True)
class ContactsModel:
    phones: PhoneBook  # block 0 is the mobile block, block z the landline zone z
    mobile_steps: list[list[float]]
    home_steps: list[list[float]]
    email_steps: list[list[float]]
    email_patterns: tuple[tuple[str, ...], ...]
    email_pattern_weights: Categorical
    reserved_domains: pa.Array
    reserved_weights: Categorical
    real_domains: pa.Array
    real_weights: Categorical
    zone_by_region: dict[str, int]
    zone_by_department: dict[str, int]
    default_zone: int

    def mobile(self, rng: np.random.Generator, n: int) -> pa.Array:
        return self.phones.numbers(rng, np.zeros(n, dtype=np.int64))

    def landline(self, rng: np.random.Generator, zone: np.ndarray) -> pa.Array:
        return self.phones.numbers(rng, np.asarray(zone, dtype=np.int64))

    def zones(self, region: np.ndarray, department: np.ndarray) -> np.ndarray:
        by_department = np.array([self.zone_by_department.get(d, 0) for d in department])
        by_region = np.array([self.zone_by_region.get(r, self.default_zone) for r in region])
        return np.where(by_department > 0, by_department, by_region)

    def email(
        self,
        rng: np.random.Generator,
        *,
        first: pa.Array,
        last: pa.Array,
        birth_year: np.ndarray,
        real_domains: bool,
    ) -> pa.Array:
        """Addresses in the usual patterns (prenom.nom, p.nom, prenom.nom85...)."""
        n = len(first)
        values = {
            "{first}": first,
            "{last}": last,
            "{f}": pc.utf8_slice_codeunits(first, 0, 1),
            "{nn}": TWO_DIGITS.take(pa.array(rng.integers(0, 100, n))),
            "{yy}": TWO_DIGITS.take(pa.array(birth_year % 100)),
            "{yyyy}": pa.array(birth_year).cast(pa.string()),
        }
        choice = self.email_pattern_weights.sample(rng, n)
        local = render_patterns(choice, self.email_patterns, values)
        if real_domains:
            domain = take(self.real_domains, self.real_weights.sample(rng, n))
        else:
            domain = take(self.reserved_domains, self.reserved_weights.sample(rng, n))
        return join(local, "@", domain)


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
