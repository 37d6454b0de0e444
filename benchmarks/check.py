"""Contradictions between each comment and its own row: what ``breachbench check`` counts.

A generated record should be one person: the comment's "Mme Durand" must be a woman named
Durand, the phone it gives as the patient's must be one of the row's, nothing can happen
to her before she was born, and a toddler has no curatelle. A reader spots such
contradictions in seconds and stops trusting the data, and a detector trained on it learns
from text that no GP writes. This module finds them mechanically.

Each rule is a small named function in :data:`RULES` with a one-line description; it gets
one :class:`Record` (the comment, its spans and the row fields it needs) and returns
:class:`Finding` objects naming the offending text and the row field it contradicts.
Word lists and thresholds are data: ``corpora/checks/eligibility.yaml`` (facts impossible
for a sex or an age) and ``corpora/checks/markers.yaml`` (titles, "nouveau numéro",
planning words, relative words, abbreviations).

Rules that only look at the text (joins) are matched on whole Arrow columns with pyarrow
compute; the others walk the commented rows of each batch in Python, which keeps a million
rows at a few seconds, since only about a third of the rows carry a comment and most rules
look at only one or two spans.

Text comparisons are made on a *folded* form (lower case, accents removed, same length as
the original), so that "Séguin", "SEGUIN" and "seguin" are the same name.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from breachbench.benchmarks.dataset import open_dataset
from breachbench.generator.comments.births import load_birth_groups
from breachbench.generator.comments.homes import load_residence_groups
from breachbench.generator.contract.taxonomy import load_taxonomy
from breachbench.generator.data import corpora
from breachbench.generator.records.dates import desk_days, load_date_formats

if TYPE_CHECKING:
    from breachbench.generator.comments.templates import Template

__all__ = [
    "EXTRA_COLUMNS",
    "RULES",
    "Finding",
    "Record",
    "Rule",
    "check_dataset",
    "fold",
    "format_report",
    "parse_date_span",
]

EXTRA_COLUMNS: dict[str, pa.DataType] = {
    "sex": pa.string(),
    "birth_date": pa.date32(),
    "created_at": pa.timestamp("ms"),
    "updated_at": pa.timestamp("ms"),
    "first_name": pa.string(),
    "last_name": pa.string(),
    "birth_name": pa.string(),
    "phone_mobile": pa.string(),
    "phone_home": pa.string(),
    "email": pa.string(),
    "nir": pa.string(),
    "birth_place": pa.string(),
    "insee_code": pa.string(),
}
"""The row columns the rules compare comments with; a rule whose fields a dataset lacks is
skipped (reported as such), so a hand-labelled file with only ``sex`` still gets checked."""

ELIGIBILITY_FILE = "checks/eligibility.yaml"
SINCE_FILE = "checks/since.yaml"
MARKERS_FILE = "checks/markers.yaml"
BIRTH_FILE = "checks/birth_country.yaml"
RESIDENCE_FILE = "checks/residence.yaml"
ORIGIN_REASON_FILE = "checks/origin_reason.yaml"
KIN_REASON_FILE = "checks/kin_reason.yaml"
CONTACTS_FILE = "checks/contacts.yaml"
DESK_FILE = "checks/desk.yaml"
OPENING_FILE = "checks/opening.yaml"
LASTING_FILE = "checks/lasting.yaml"
KINSHIP_FILE = "formats/kinship.yaml"
LIFELONG_FILE = "checks/lifelong.yaml"
CLASHES_FILE = "checks/clashes.yaml"
# The classes of sides the generator keeps out of one note, read here as a reader sees them.
CLASS_CLASHES_FILE = "comments/clashes.yaml"
DEAD_RELATIVE_FILE = "checks/dead_relative.yaml"
SERVICES_FILE = "checks/services.yaml"
AGREEMENT_FILE = "checks/agreement.yaml"
LEAVING_FILE = "checks/leaving.yaml"
ONE_OF_KIND_FILE = "checks/one_of_kind.yaml"
FRAME_FACT_FILE = "checks/frame_fact.yaml"
AGE_FLOORS_FILE = "comments/age_floors.yaml"
EXAMPLES = 3


# --------------------------------------------------------------------------- folding


def _fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0xC0, 0x250):
        decomposed = unicodedata.normalize("NFD", chr(code))
        if len(decomposed) > 1 and all(unicodedata.combining(c) for c in decomposed[1:]):
            table[code] = decomposed[0]
    table.update({ord("’"): "'", ord("‘"): "'", ord("\u00a0"): " "})
    return table


_FOLD = _fold_table()


def fold(text: str) -> str:
    """Lower case without accents, one character for one (offsets stay valid)."""
    folded = text.translate(_FOLD).lower()
    return folded if len(folded) == len(text) else text.lower()


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Eligibility:
    """One rule of ``eligibility.yaml``: who a fact fits."""

    id: str
    why: str
    scope: str
    sex: str | None
    min_age: int | None
    max_age: int | None
    categories: frozenset[str]
    pattern: re.Pattern[str] | None

    def excludes(self, sex: str | None, age: int | None) -> bool:
        """True when a patient of this sex and age cannot have the fact."""
        if self.sex is not None and sex is not None and sex != self.sex:
            return True
        if age is None:
            return False
        if self.min_age is not None and age < self.min_age:
            return True
        return self.max_age is not None and age >= self.max_age


@dataclass(frozen=True)
class Markers:
    """The word lists of ``markers.yaml``, compiled."""

    other_identifier: re.Pattern[str]
    planning: re.Pattern[str]
    birth_date_before: re.Pattern[str]
    correction: re.Pattern[str]
    titles: dict[str, re.Pattern[str]]
    same_sex_partner: dict[str, re.Pattern[str]]
    partner_of_other: re.Pattern[str]
    relative_words: re.Pattern[str]
    abbreviations: frozenset[str]


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


@functools.cache
def load_eligibility() -> tuple[Eligibility, ...]:
    """The rules of ``corpora/checks/eligibility.yaml``, validated."""
    document = corpora.read_yaml(ELIGIBILITY_FILE)
    known = set(load_taxonomy().categories)
    rules = []
    for raw in document["rules"]:
        unknown = set(raw.get("categories", ())) - known
        if unknown:
            raise ValueError(f"{ELIGIBILITY_FILE}: {raw['id']}: unknown categories {unknown}")
        if raw.get("sex") not in (None, "M", "F"):
            raise ValueError(f"{ELIGIBILITY_FILE}: {raw['id']}: sex must be M or F")
        if not ({"sex", "min_age", "max_age"} & set(raw)):
            raise ValueError(f"{ELIGIBILITY_FILE}: {raw['id']}: no sex, min_age or max_age")
        patterns = raw.get("patterns") or []
        rules.append(
            Eligibility(
                id=raw["id"],
                why=raw["why"],
                scope=raw.get("scope", "span"),
                sex=raw.get("sex"),
                min_age=raw.get("min_age"),
                max_age=raw.get("max_age"),
                categories=frozenset(raw.get("categories", ())),
                pattern=_compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None,
            )
        )
    return tuple(rules)


CONTACT_KINDS = ("mobile", "home", "phone", "email")
_AROUND = 30  # characters of a clause read before and after a contacts rule's match


@dataclass(frozen=True)
class ContactRule:
    """One rule of ``contacts.yaml``: a clause that presumes the record's own contacts."""

    id: str
    why: str
    has: frozenset[str]
    lacks: frozenset[str]
    pattern: re.Pattern[str]
    unless_before: re.Pattern[str] | None
    unless_after: re.Pattern[str] | None

    def broken_by(self, held: frozenset[str]) -> bool:
        """True when a record holding the contacts ``held`` contradicts the clause."""
        return bool(self.has - held or self.lacks & held)

    def said_in(self, clause: str) -> re.Match[str] | None:
        """Where the clause presumes the contacts, unless the words around deny, doubt or
        date the fact ("pas SDF", "SDF (ancien)"); None when it does not."""
        m = self.pattern.search(clause)
        if m is None:
            return None
        before, after = clause[max(0, m.start() - _AROUND) : m.start()], clause[m.end() :]
        if self.unless_before and self.unless_before.search(before):
            return None
        if self.unless_after and self.unless_after.search(after[:_AROUND]):
            return None
        return m


@functools.cache
def load_contact_rules() -> tuple[ContactRule, ...]:
    """The rules of ``corpora/checks/contacts.yaml``, validated."""
    rules = []
    for raw in corpora.read_yaml(CONTACTS_FILE)["rules"]:
        has, lacks = frozenset(raw.get("has", ())), frozenset(raw.get("lacks", ()))
        if not has | lacks or not (has | lacks) <= set(CONTACT_KINDS):
            raise ValueError(f"{CONTACTS_FILE}: {raw['id']}: has/lacks among {CONTACT_KINDS}")
        before, after = raw.get("unless_before"), raw.get("unless_after")
        rules.append(
            ContactRule(
                id=raw["id"],
                why=raw["why"],
                has=has,
                lacks=lacks,
                pattern=_compile("|".join(f"(?:{p})" for p in raw["patterns"])),
                unless_before=_compile(before) if before else None,
                unless_after=_compile(after) if after else None,
            )
        )
    return tuple(rules)


@dataclass(frozen=True)
class Since:
    """One item of ``since.yaml``: something that existed only from ``since`` (to ``until``)."""

    pattern: re.Pattern[str]
    since: int
    until: int | None
    unless: re.Pattern[str] | None = None

    def found_in(self, folded: str) -> re.Match[str] | None:
        """The first match in ``folded`` that is no homonym (``unless``), or None."""
        for m in self.pattern.finditer(folded):
            around = folded[max(0, m.start() - 16) : m.end() + 16]
            if self.unless is None or not self.unless.search(around):
                return m
        return None


@functools.cache
def load_since() -> tuple[tuple[Since, ...], re.Pattern[str]]:
    """The items of ``corpora/checks/since.yaml``, and one pattern matching any of them."""
    items = []
    for raw in corpora.read_yaml(SINCE_FILE)["items"]:
        since, until = int(raw["since"]), raw.get("until")
        if until is not None and int(until) < since:
            raise ValueError(f"{SINCE_FILE}: {raw['pattern']}: until before since")
        unless = _compile(raw["unless"]) if raw.get("unless") else None
        until = None if until is None else int(until)
        items.append(Since(_compile(raw["pattern"]), since, until, unless))
    combined = _compile("|".join(f"(?:{i.pattern.pattern})" for i in items))
    return tuple(items), combined


@dataclass(frozen=True)
class BirthRule:
    """One rule of ``birth_country.yaml``: a fact that only fits some countries of birth."""

    id: str
    why: str
    scope: str
    born: frozenset[str]  # countries that fit; "France" where born in France does
    min_age: int | None
    pattern: re.Pattern[str] | None
    named: tuple[tuple[re.Pattern[str], frozenset[str]], ...]  # country word -> countries
    when: re.Pattern[str] | None  # what a clause says for its named countries to count
    # where a country's name says no flight from it (an origin, a trip): read blanked
    not_from: re.Pattern[str] | None = None


@functools.cache
def load_birth_rules() -> tuple[BirthRule, ...]:
    """The rules of ``corpora/checks/birth_country.yaml``, with the templates' groups."""
    groups = load_birth_groups()

    def countries(born: object, where: str) -> frozenset[str]:
        try:
            return groups.countries_of(groups.mask(born))
        except ValueError as error:
            raise ValueError(f"{BIRTH_FILE}: {where}: {error}") from None

    rules = []
    for raw in corpora.read_yaml(BIRTH_FILE)["rules"]:
        patterns = raw.get("patterns") or []
        named = tuple(
            (_compile(n["pattern"]), countries(n["born"], f"{raw['id']}: {n['pattern']}"))
            for n in raw.get("named") or ()
        )
        if not patterns and not named:
            raise ValueError(f"{BIRTH_FILE}: {raw['id']}: no patterns and nothing named")
        rules.append(
            BirthRule(
                id=raw["id"],
                why=raw["why"],
                scope=raw.get("scope", "span"),
                born=countries(raw["born"], raw["id"]) if "born" in raw else frozenset(),
                min_age=raw.get("min_age"),
                pattern=_compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None,
                named=named,
                when=_compile(raw["when"]) if "when" in raw else None,
                not_from=_compile(raw["not_from"]) if "not_from" in raw else None,
            )
        )
    return tuple(rules)


@functools.cache
def load_markers() -> Markers:
    """The word lists of ``corpora/checks/markers.yaml``, compiled."""
    raw = corpora.read_yaml(MARKERS_FILE)
    return Markers(
        other_identifier=_compile(raw["other_identifier"]),
        planning=_compile(raw["planning"]),
        birth_date_before=_compile(raw["birth_date_before"]),
        correction=_compile(raw["correction"]),
        titles={sex: re.compile(rf"(?:{p})\.?\s*$") for sex, p in raw["titles"].items()},
        same_sex_partner={sex: _compile(p) for sex, p in raw["same_sex_partner"].items()},
        partner_of_other=_compile(raw["partner_of_other"]),
        relative_words=_compile(raw["relative_words"]),
        abbreviations=frozenset(fold(a) for a in raw["abbreviations"]),
    )


_WORD = re.compile(r"[^\W\d_]+")


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


@functools.cache
def lexicon_vocabulary() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """Words of the generator's comment lexicons: folded words, their prefixes, cased forms.

    The clean forms a noisy span is compared with: a folded word found here is readable;
    one that is only a prefix of a longer word here was cut.
    """
    words: set[str] = set()
    cased: set[str] = set()
    for file in sorted((corpora.corpora_root() / "comments").rglob("*.yaml")):
        relative = file.relative_to(corpora.corpora_root()).as_posix()
        for text in _strings(corpora.read_yaml(relative)):
            for word in _WORD.findall(text):
                words.add(fold(word))
                # Folding keeps a ligature (one character for one): "cœur" typed without
                # accents is "coeur", a spelling, not a typo.
                words.add(fold(word).replace("œ", "oe").replace("æ", "ae"))
                cased.add(word)
    prefixes = {w[:i] for w in words for i in range(3, len(w) - 1)}
    return frozenset(words), frozenset(prefixes - words), frozenset(cased)


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


@functools.cache
def _near_index() -> tuple[frozenset[str], frozenset[tuple[int, str]]]:
    """Lexicon words of up to 10 letters with one letter deleted: anywhere, and by position."""
    words = [w for w in lexicon_vocabulary()[0] if len(w) <= 10]
    anywhere = {d for w in words for d in _deletions(w)}
    placed = {(i, w[:i] + w[i + 1 :]) for w in words for i in range(len(w))}
    return frozenset(anywhere), frozenset(placed)


def near_lexicon(word: str) -> bool:
    """True when folded ``word`` is one typo from a lexicon word it is not.

    One typo: a letter missing, one too many, one replaced, or two swapped. A word unknown
    to the lexicon but one typo from one of its words is a damaged form (``vhi``,
    ``giflfs``); one near nothing (``camsp``, ``ptsd``) is a word the lexicon does not
    hold, and no reason to call the span unreadable. Two-letter words are too ambiguous.
    """
    words = lexicon_vocabulary()[0]
    if len(word) < 3 or word in words:
        return False
    if word.endswith(("s", "x")) and word[:-1] in words:  # a plural
        return False
    anywhere, placed = _near_index()
    if word in anywhere:
        return True
    if any(word[:i] + word[i + 1 :] in words for i in range(len(word))):
        return True
    if any((i, word[:i] + word[i + 1 :]) in placed for i in range(len(word))):
        return True
    swaps = (word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1))
    return any(w in words for w in swaps)


# --------------------------------------------------------------------------- records


@dataclass
class Record:
    """One commented row, as the rules see it; missing row fields are ``None``."""

    patient_id: str
    text: str
    spans: list[tuple[int, int, str, str, str]]
    sex: str | None = None
    birth_date: dt.date | None = None
    created_at: dt.date | None = None  # the record's opening
    updated_at: dt.date | None = None  # the comment's last edit: the note's date
    age: int | None = None  # at the note's date
    first_name: str | None = None
    last_name: str | None = None
    birth_name: str | None = None
    phones: tuple[str, ...] = ()
    has_phones: bool = False
    mobile: str | None = None
    home: str | None = None
    email: str | None = None
    has_email: bool = False
    nir: str | None = None
    birth_place: str | None = None  # commune, or country for people born abroad
    insee_code: str | None = None  # of the commune the patient lives in
    folded: str = field(default="", repr=False)
    _clauses: list[tuple[int, int]] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.folded = fold(self.text)

    @property
    def note_date(self) -> dt.date | None:
        """The day the note is written as of: the comment's last edit (``updated_at``);
        in datasets without that column, the record's opening (``created_at``)."""
        return self.updated_at or self.created_at

    @property
    def note_field(self) -> str:
        """The column :attr:`note_date` comes from, as findings name it."""
        return "updated_at" if self.updated_at is not None else "created_at"

    @property
    def desk_end(self) -> dt.date | None:
        """The last day a desk entry of the note may fall on: the note's date; in datasets
        without ``updated_at``, ``desk_days`` after the opening (the desk's entries were
        drawn in the weeks after it)."""
        if self.updated_at is not None or self.created_at is None:
            return self.updated_at
        return self.created_at + dt.timedelta(days=desk_days())

    def pivot(self, ahead: int = 0) -> int:
        """The year a two-digit year is read up to: the note's year (today's without one)
        plus ``ahead``."""
        return (self.note_date or dt.date.today()).year + ahead

    @property
    def clauses(self) -> list[tuple[int, int]]:
        """The comment's clauses (see :func:`clauses`), split once for all the rules."""
        if self._clauses is None:
            self._clauses = clauses(self.text)
        return self._clauses

    @functools.cached_property
    def without_names(self) -> str:
        """``folded`` with commune and person names blanked (:func:`_without_names`),
        worked out once for the several rules that read it."""
        return _without_names(self)

    def span_text(self, start: int, end: int) -> str:
        return self.text[start:end]


@dataclass(frozen=True)
class Finding:
    """One contradiction: which record, the offending text, and the row field it contradicts."""

    rule: str
    patient_id: str
    text: str
    field: str
    value: str

    def to_json(self) -> dict[str, str]:
        return {
            "patient_id": self.patient_id,
            "text": self.text,
            "field": self.field,
            "value": self.value,
        }


_CLAUSE_SEP = re.compile(r"(?<!\bM)(?<!\bDr)[.;!?|]+(?:\s+|$)|\n+|\s(?:--|[-–/+])\s|\s//\s?")


@functools.cache
def _places_with_separators() -> re.Pattern[str] | None:
    """The communes whose official name holds a clause separator ("Saint-Paterne - Le
    Chevain"), as one pattern: a note's separator never falls inside one."""
    names = corpora.read_table("reference/communes.parquet").column("name").to_pylist()
    joined = sorted({n for n in names if _CLAUSE_SEP.search(n)}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, joined))) if joined else None


@functools.cache
def _month_dots() -> re.Pattern[str]:
    """The dot of an abbreviated month inside a written date ("RDV du 17 nov. 2025
    reporté", ``month_abbreviations`` of ``formats/dates.yaml``), accents typed or not: it
    ends no clause. Read as one, two postponed visits left "2025 reporté" twice in a note
    (rule ``repeated_clause``, 100,000 realistic rows of seed 3131)."""
    written = load_date_formats().month_abbreviations.to_pylist()
    stems = {fold(m.removesuffix(".")) for m in written if m.endswith(".")}
    stems |= {m.removesuffix(".") for m in written if m.endswith(".")}
    alternatives = "|".join(map(re.escape, sorted(stems, key=len, reverse=True)))
    return re.compile(rf"\b(?:{alternatives})(\.\s+)(?=\d)", re.IGNORECASE)


def _separators(text: str) -> Iterator[re.Match[str]]:
    """:data:`_CLAUSE_SEP` matches of ``text``, bar those inside a commune's name and the
    dot of an abbreviated month in a date."""
    places = _places_with_separators()
    inside = [(m.start(), m.end()) for m in places.finditer(text)] if places else []
    dots = {m.span(1) for m in _month_dots().finditer(text)} if "." in text else set()
    for match in _CLAUSE_SEP.finditer(text):
        if match.span() in dots:
            continue
        if not any(lo < match.start() and match.end() < hi for lo, hi in inside):
            yield match


def clauses(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each clause: pieces between sentence or list separators."""
    bounds, start = [], 0
    for match in _separators(text):
        if match.start() > start:
            bounds.append((start, match.start()))
        start = match.end()
    if start < len(text):
        bounds.append((start, len(text)))
    return bounds


def clause_bounds(record: Record, start: int, end: int) -> tuple[int, int]:
    """``(lo, hi)`` of the clause that holds ``[start, end)`` (a span may hold a separator)."""
    lo, hi = 0, len(record.text)
    for match in _separators(record.text):
        if match.end() <= start:
            lo = match.end()
        elif match.start() >= end:
            hi = match.start()
            break
    return lo, hi


def clause_around(record: Record, start: int, end: int) -> str:
    """The folded clause that holds ``[start, end)``."""
    lo, hi = clause_bounds(record, start, end)
    return record.folded[lo:hi]


# --------------------------------------------------------------------------- helpers


def _digits_phone(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    if digits.startswith("0033"):
        digits = "0" + digits[4:]
    elif digits.startswith("33") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits


def _nir_key(value: str) -> str:
    """The 13 characters that identify a person (no key), spaces and dots removed."""
    return re.sub(r"[\s.\-]", "", value).upper()[:13]


_MONTHS = {
    "janvier": 1, "janv": 1, "jan": 1, "fevrier": 2, "fevr": 2, "fev": 2, "mars": 3,
    "avril": 4, "avr": 4, "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "aout": 8,
    "septembre": 9, "sept": 9, "octobre": 10, "oct": 10, "novembre": 11, "nov": 11,
    "decembre": 12, "dec": 12,
}  # fmt: skip
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_FULL = re.compile(r"\b(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4}|\d{2})\b")
_DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}})(?:er)?\s+({_MONTH})\.?\s+(\d{{4}})\b")
_MONTH_YEAR = re.compile(rf"\b({_MONTH})\.?\s+(\d{{4}})\b")
_NUM_MONTH_YEAR = re.compile(r"\b(\d{1,2})\s*[/.\-]\s*(\d{4})\b")
_DECADE = re.compile(r"\bannees\s+(\d{2}|\d{4})\b")
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")


def _year(raw: str, pivot: int) -> int:
    if len(raw) == 4:
        return int(raw)
    value = int(raw)
    return 2000 + value if value <= pivot % 100 else 1900 + value


def _month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    return dt.date(year, month, 1), nxt - dt.timedelta(days=1)


def parse_date_span(text: str, pivot: int = 2026) -> tuple[dt.date, dt.date] | None:
    """The calendar interval a date span names, or None when it has no year.

    Full dates ("12/03/2019", "1/6/85", "3 mars 2019"), months ("mars 2019", "09/2024"),
    years ("2014") and decades ("années 90"); a two-digit year is read as the most recent
    century up to ``pivot``. "12/02" or "10 mai" name no year and cannot be placed.
    """
    text = fold(text)
    try:
        if m := _FULL.search(text):
            day = dt.date(_year(m[3], pivot), int(m[2]), int(m[1]))
            return day, day
        if m := _DAY_MONTH_YEAR.search(text):
            day = dt.date(int(m[3]), _MONTHS[m[2]], int(m[1]))
            return day, day
        if m := _MONTH_YEAR.search(text):
            return _month_bounds(int(m[2]), _MONTHS[m[1]])
        if (m := _NUM_MONTH_YEAR.search(text)) and 1 <= int(m[1]) <= 12:
            return _month_bounds(int(m[2]), int(m[1]))
        if m := _DECADE.search(text):
            start = _year(m[1], 1999) if len(m[1]) == 2 else int(m[1])
            start -= start % 10
            return dt.date(start, 1, 1), dt.date(start + 9, 12, 31)
        if m := _YEAR.search(text):
            return dt.date(int(m[1]), 1, 1), dt.date(int(m[1]), 12, 31)
    except ValueError:  # 31/02/2019: not a date a check can place
        return None
    return None


def _patient_spans(record: Record, category: str) -> Iterator[tuple[int, int, str]]:
    for start, end, cat, subject, assertion in record.spans:
        if cat == category and subject == "patient":
            yield start, end, assertion


_NAME_SPLIT = re.compile(r"[\s\-'’.]+")
_PARTICLES = frozenset({"de", "du", "des", "la", "le", "d", "l", "van", "von", "der", "el", "ben"})


def _name_words(*names: str | None) -> set[str]:
    words: set[str] = set()
    for name in names:
        if name:
            words.update(w for w in _NAME_SPLIT.split(fold(name)) if w)
    return words


# --------------------------------------------------------------------------- rules


def rule_title_sex(record: Record) -> list[Finding]:
    """A title (M., Mme...) before the patient's name that does not fit the row's sex."""
    if record.sex not in ("M", "F"):
        return []
    titles = load_markers().titles
    other = titles["F" if record.sex == "M" else "M"]
    found = []
    for start, end, _ in _patient_spans(record, "person"):
        before = record.text[max(0, start - 14) : start]
        if m := other.search(before):
            text = before[m.start() :] + record.text[start:end]
            found.append(Finding("title_sex", record.patient_id, text, "sex", record.sex))
    return found


def rule_title_child(record: Record) -> list[Finding]:
    """A title (M., Mme...) before the name of a patient too young for one
    (``formats/composition.yaml`` ``titles_min_age``): "Mme Martin" at 4."""
    if record.age is None or record.age >= _titles_min_age():
        return []
    titles = load_markers().titles
    found = []
    for start, end, _ in _patient_spans(record, "person"):
        before = record.text[max(0, start - 14) : start]
        if m := titles["M"].search(before) or titles["F"].search(before):
            text = before[m.start() :] + record.text[start:end]
            found.append(Finding("title_child", record.patient_id, text, "age", str(record.age)))
    return found


# A patient's age as a note states it (formats/ages.yaml): at the start of a clause,
# "patiente de 96 ans", "ado de 15 ans", "bébé de 8 mois", "jeune femme de 24 ans"; or
# right after the patient's name, "Mme Martin, 91 ans", "M. Roux (67 ans)". Folded text.
_STATED_AGE = re.compile(
    r"(?:^|[.:;!?\n]\s*)(?:nouvel(?:le)?\s+)?(?:patiente?|ado|bebe|enfant|jeune (?:femme|homme))"
    r"\s+de\s+(\d{1,3})\s+(ans|mois|jours?)\b"
)
_AGE_AFTER_NAME = re.compile(r"(?:,\s*|\s*\()(\d{1,3})\s+(ans|mois|jours?)\b")
AGE_GATE = r"\d (?:ans|mois|jours?)\b"


def rule_age_stated(record: Record) -> list[Finding]:
    """The patient's age as the note states it, against the one the row's birth date gives
    on the note's day: "patiente de 96 ans" at 91."""
    if record.birth_date is None or record.note_date is None or record.age is None:
        return []
    stated = [(m.group(1), m.group(2), m.start()) for m in _STATED_AGE.finditer(record.folded)]
    for _, end, _ in _patient_spans(record, "person"):
        if m := _AGE_AFTER_NAME.match(record.folded, end):
            stated.append((m.group(1), m.group(2), end))
    found = []
    for number, unit, at in stated:
        if not _is_age_on(record, int(number), unit):
            text = record.text[max(0, at - 24) : at + 16].strip()
            value = f"born {record.birth_date}, note of {record.note_date}"
            found.append(Finding("age_stated", record.patient_id, text, "birth_date", value))
    return found


def _is_age_on(record: Record, number: int, unit: str) -> bool:
    """Whether ``number`` ``unit`` (ans, mois, jours) is the patient's age on the note's
    day: completed years or months; days within one (a note of the birth day says 0 or 1)."""
    born, on = record.birth_date, record.note_date
    assert born is not None and on is not None
    if unit == "ans":
        return number == record.age
    if unit == "mois":
        return number == (on.year - born.year) * 12 + on.month - born.month - (on.day < born.day)
    return abs((on - born).days - number) <= 1


_MISS = re.compile(r"\b(?:Mlle|Mademoiselle|Melle)\s*$")


def rule_miss_title(record: Record) -> list[Finding]:
    """A "Mlle" before the name of a woman who is married (her usage name is not her birth
    name) or no longer young (``formats/composition.yaml`` ``miss_title``)."""
    if record.age is None:
        return []
    married = record.birth_name is not None and record.last_name != record.birth_name
    if not married and record.age < _miss_until():
        return []
    found = []
    for start, end, _ in _patient_spans(record, "person"):
        lo = max(0, start - 14)
        if m := _MISS.search(record.text[lo:start]):
            text = record.text[lo + m.start() : end]
            value = f"{record.age}, née {record.birth_name}"
            found.append(Finding("miss_title", record.patient_id, text, "age", value))
    return found


# A maiden name stated as such ("nom de jeune fille : Leroi", "nom de naissance Combes"),
# not a trans patient's former name ("carte Vitale au nom de naissance", "nom de naissance
# masculin").
_MAIDEN = re.compile(
    r"\bnom de jeune fille\b|(?<!\bau )\bnom de naissance\b(?! (?:masculin|feminin))"
    r"|\bchangement de nom apres (?:le )?mariage\b"
)


def rule_maiden_name(record: Record) -> list[Finding]:
    """A maiden name written for a patient who uses no other name (her usage name is
    her birth name): a secretary notes one only where the two differ."""
    if record.birth_name is None or record.last_name != record.birth_name:
        return []
    return [
        Finding("maiden_name", record.patient_id, record.text[m.start() : m.end() + 16],
                "last_name", f"{record.last_name}, née {record.birth_name}")
        for m in _MAIDEN.finditer(record.folded)
    ]  # fmt: skip


@functools.cache
def _miss_until() -> int:
    return int(corpora.read_yaml("formats/composition.yaml")["miss_title"]["until"])


@functools.cache
def _titles_min_age() -> int:
    return int(corpora.read_yaml("formats/composition.yaml")["titles_min_age"])


_PERIOD = re.compile(r"\b(?:de|entre) (\d{4}) (?:à|a|et) (\d{4})\b")


def rule_period(record: Record) -> list[Finding]:
    """A period whose start and end are the same year ("de 2012 à 2012"): a period spans
    at least a year, or is written as one date."""
    return [
        Finding("period", record.patient_id, m.group(0), "comment", "same year twice")
        for m in _PERIOD.finditer(record.text)
        if m.group(1) == m.group(2)
    ]


_FLU = re.compile(r"\bgrippe\b", re.IGNORECASE)
# Months a flu vaccine is given in France: the campaign runs from October to February.
_FLU_MONTHS = frozenset({10, 11, 12, 1, 2})
# What joins "grippe" to its own date: "vaccin grippe fait le 12/11/2020", "grippe : 11/2019".
_FLU_DATED = re.compile(r"[^,.;:\n/-]{0,14}\b(?:le|du|en)\s*$|\s*:\s*$")


def rule_flu_season(record: Record) -> list[Finding]:
    """A flu vaccine dated outside the season (October to February): the date right
    after "grippe" ("vaccin grippe fait le 13/08/2014")."""
    found = []
    for m in _FLU.finditer(record.text):
        for start, end, category, _, _ in record.spans:
            between = record.text[m.end() : start]
            if category != "date" or start < m.end() or not _FLU_DATED.match(between):
                continue  # a date of another clause ("grippe fait, né le 06/03/1987")
            bounds = parse_date_span(record.text[start:end])
            if bounds is None or (bounds[0].year, bounds[0].month) != (
                bounds[1].year,
                bounds[1].month,
            ):
                continue  # a year alone says no month
            if bounds[0].month not in _FLU_MONTHS:
                text = record.text[m.start() : end]
                found.append(Finding("flu_season", record.patient_id, text, "comment", "month"))
    return found


_TEST = re.compile(r"\b(test|depistage|serologie|bilan|recherche)\b")
_NEGATIVE = re.compile(r"^\s*:?\s*(?:neg|negati(?:f|ve))\b")


def rule_negative_result(record: Record) -> list[Finding]:
    """A "négatif" after a fact that is not a test result ("handicap mental : négatif"):
    only a serology or a screening can come back negative."""
    found = []
    group = load_taxonomy().group_of
    for start, end, category, _, _ in record.spans:
        if group.get(category) != "sensitive" or category == "serology":
            continue
        lo, _ = clause_bounds(record, start, end)
        if _TEST.search(record.folded[max(lo, start - 24) : end]):
            continue  # "test de grossesse nég", "demande test de [grossesse] : négatif"
        if _NEGATIVE.match(record.folded[end : end + 12]):
            text = record.text[start : end + 12]
            found.append(Finding("negative_result", record.patient_id, text, "comment", category))
    return found


def rule_patient_name(record: Record) -> list[Finding]:
    """A name labelled as the patient's that is not the row's first, last or birth name."""
    if record.last_name is None and record.first_name is None:
        return []
    known: set[str] | None = None
    found = []
    for start, end, _ in _patient_spans(record, "person"):
        if known is None:
            known = _name_words(record.first_name, record.last_name, record.birth_name)
        words = [w for w in _NAME_SPLIT.split(record.folded[start:end]) if w]
        if any(w not in known and w not in _PARTICLES for w in words):
            value = " / ".join(
                n for n in (record.first_name, record.last_name, record.birth_name) if n
            )
            found.append(
                Finding("patient_name", record.patient_id, record.text[start:end], "names", value)
            )
    return found


def _identifier_rule(
    record: Record, rule: str, category: str, same: Callable[[str], bool], column: str, value: str
) -> list[Finding]:
    markers = load_markers()
    found = []
    for start, end, _ in _patient_spans(record, category):
        text = record.text[start:end]
        if same(text):
            continue
        if markers.other_identifier.search(clause_around(record, start, end)):
            continue
        found.append(Finding(rule, record.patient_id, text, column, value))
    return found


def rule_patient_phone(record: Record) -> list[Finding]:
    """A phone labelled as the patient's that is in neither phone column (unless "nouveau")."""
    if not record.has_phones:
        return []
    phones = {_digits_phone(p) for p in record.phones}
    return _identifier_rule(
        record,
        "patient_phone",
        "phone",
        lambda text: _digits_phone(text) in phones,
        "phone_mobile/phone_home",
        " / ".join(_digits_phone(p) for p in record.phones) or "(none)",
    )


def rule_patient_email(record: Record) -> list[Finding]:
    """An email labelled as the patient's that is not the row's (unless "nouveau", "ancien")."""
    if not record.has_email:
        return []
    own = (record.email or "").strip().lower()
    return _identifier_rule(
        record,
        "patient_email",
        "email",
        lambda text: text.strip().lower() == own,
        "email",
        record.email or "(none)",
    )


def held_contacts(record: Record) -> frozenset[str]:
    """The contacts the row holds, by the names of ``contacts.yaml``."""
    held = {"mobile"} if record.mobile else set()
    held |= {"home"} if record.home else set()
    held |= {"phone"} if held else set()
    return frozenset(held | ({"email"} if record.email else set()))


def someone_elses(spans: list[tuple[int, int, str, str, str]], start: int, end: int) -> bool:
    """Whether a span labelled as someone else's overlaps ``start``-``end``."""
    return any(a < end and start < b and who != "patient" for a, b, _, who, _ in spans)


def rule_contacts(record: Record) -> list[Finding]:
    """A clause that presumes a contact the row lacks, or denies one it holds
    (``contacts.yaml``): "pas de portable" beside a mobile, "SDF" beside a landline."""
    if not record.has_phones or not record.has_email:
        return []
    held = held_contacts(record)
    rules = [r for r in load_contact_rules() if r.broken_by(held)]
    if not rules:
        return []
    relatives = load_markers().relative_words
    found = []
    for lo, hi in record.clauses:
        clause = record.without_names[lo:hi]  # "à La Rue-Saint-Pierre" is no street
        for rule in rules:
            m = rule.said_in(clause)
            if m is None:
                continue
            if relatives.search(clause[: m.start()] + " " + clause[m.end() :]):
                continue  # "épouse SDF", "(beau-père) préfère les SMS"
            start, end = lo + m.start(), lo + m.end()
            if someone_elses(record.spans, start, end):
                continue  # labelled as someone else's: "ex-femme [sans domicile]"
            value = ", ".join(sorted(held)) or "(none)"
            text = f"{record.text[start:end]} ({rule.id})"
            found.append(Finding("contacts", record.patient_id, text, "contacts", value))
            break
    return found


def rule_nir(record: Record) -> list[Finding]:
    """The patient's NIR must be the row's; a relative's or a third party's must not be."""
    if not record.nir:
        return []
    own = _nir_key(record.nir)
    markers = load_markers()
    found = []
    for start, end, category, subject, _ in record.spans:
        if category != "nir":
            continue
        text = record.text[start:end]
        key = _nir_key(text)
        if subject == "patient":
            if key != own[: len(key)] and not markers.other_identifier.search(
                clause_around(record, start, end)
            ):
                found.append(Finding("nir", record.patient_id, text, "nir", record.nir))
        elif key == own:
            found.append(Finding("nir", record.patient_id, text, f"nir (of the {subject})", own))
    return found


PIVOT_AHEAD = 5
"""A two-digit year is read up to this many years after the note's date ("RDV le
19/6/20" written in 2019 is 2020), earlier ones in the 1900s."""


def _is_birth_date(record: Record, start: int) -> bool:
    """True when the text just before ``start`` introduces a birth date (DDN, née le)."""
    before = record.folded[max(0, start - 24) : start]
    markers = load_markers()
    found = markers.birth_date_before.search(before)
    # "enft né en 2011": a relative's birth, not the patient's.
    return found is not None and not markers.relative_words.search(before[: found.start()])


def rule_birth_date_stated(record: Record) -> list[Finding]:
    """A birth date written in the comment (DDN, né le) that is not the row's."""
    if record.birth_date is None:
        return []
    pivot = record.pivot()
    markers = load_markers()
    found = []
    for start, end, _ in _patient_spans(record, "date"):
        if not _is_birth_date(record, start):
            continue
        interval = parse_date_span(record.text[start:end], pivot)
        if interval is None or interval[0] <= record.birth_date <= interval[1]:
            continue
        if markers.correction.search(clause_around(record, start, end)):
            continue
        found.append(
            Finding(
                "birth_date_stated",
                record.patient_id,
                record.text[start:end],
                "birth_date",
                record.birth_date.isoformat(),
            )
        )
    return found


def rule_date_before_birth(record: Record) -> list[Finding]:
    """A dated event of the patient's that falls before the patient's birth."""
    if record.birth_date is None:
        return []
    pivot = record.pivot(PIVOT_AHEAD)
    found = []
    for start, end, _ in _patient_spans(record, "date"):
        if _is_birth_date(record, start):
            continue  # a birth date is checked by rule_birth_date_stated
        interval = parse_date_span(record.text[start:end], pivot)
        if interval is not None and interval[1] < record.birth_date:
            found.append(
                Finding(
                    "date_before_birth",
                    record.patient_id,
                    record.text[start:end],
                    "birth_date",
                    record.birth_date.isoformat(),
                )
            )
    return found


NOISE_FILE = "noise/transforms.yaml"


@functools.cache
def _shorthand() -> tuple[re.Pattern[str], dict[str, str]]:
    """The notes' shorthand (``sms`` and ``truncation`` words of the noise data), folded,
    each with the full forms it stands for: "renouv" is "renouveler" or "renouvellement"."""
    raw = corpora.read_yaml(NOISE_FILE)
    forms: dict[str, set[str]] = {}
    for full, short in [*raw["sms"].items(), *raw["truncation"]["words"].items()]:
        forms.setdefault(fold(short), set()).add(fold(full))
    pattern = re.compile(
        r"\b(" + "|".join(map(re.escape, sorted(forms, key=len, reverse=True))) + r")\b"
    )
    return pattern, {short: " ".join(sorted(full)) for short, full in forms.items()}


def spelled_out(folded: str) -> str:
    """``folded`` with each shorthand word replaced by the full forms it stands for, so
    that the marker lists need only the spelled-out words (offsets do not survive)."""
    pattern, forms = _shorthand()
    return pattern.sub(lambda m: forms[m.group(1)], folded)


def rule_date_after_creation(record: Record) -> list[Finding]:
    """A patient's dated event after the note's date (``updated_at``, its last edit), in a
    clause that plans nothing. In datasets without ``updated_at`` the note's date is the
    record's opening, and a desk entry of the weeks after it passes (``desk.yaml``)."""
    note = record.note_date
    if note is None:
        return []
    planning = load_markers().planning
    desk_end = record.desk_end
    found = []
    for start, end, _ in _patient_spans(record, "date"):
        if _is_birth_date(record, start):
            continue  # a birth date is checked by rule_birth_date_stated
        interval = parse_date_span(record.text[start:end], record.pivot(PIVOT_AHEAD))
        if interval is None or interval[0] <= note:
            continue
        if planning.search(spelled_out(clause_around(record, start, end))):
            continue
        if desk_end is not None and interval[0] <= desk_end and _desk_entry(record, start, end):
            continue
        found.append(
            Finding(
                "date_after_creation",
                record.patient_id,
                record.text[start:end],
                record.note_field,
                note.isoformat(),
            )
        )
    return found


@dataclass(frozen=True)
class Desk:
    """``desk.yaml``: what a desk entry's date follows, or is followed by."""

    before: re.Pattern[str]
    after: re.Pattern[str]
    here: re.Pattern[str]  # what a visit here of any year since the opening follows


@functools.cache
def load_desk() -> Desk:
    """The patterns of ``corpora/checks/desk.yaml``, compiled."""
    raw = corpora.read_yaml(DESK_FILE)
    before = "|".join(f"(?:{p})" for p in raw["before"])
    here = "|".join(f"(?:{p})" for p in raw["here"])
    return Desk(
        before=_compile(rf"(?:{before})\W*$"),
        after=_compile("|".join(f"(?:{p})" for p in raw["after"])),
        here=_compile(rf"(?:{here})\W*$"),
    )


def _desk_entry(record: Record, start: int, end: int) -> bool:
    """True when the date ``[start, end)`` dates a desk entry: the words just before it
    ("message laissé le") or just after it on its line ("RDV du ... reporté"), both read
    past a clause's end, which an abbreviation's dot may make: "envoyé au nouveau méd.
    le", "le 09/07 : hosp. en psychiatrie, à revoir dans 15 jours"."""
    desk = load_desk()
    before = record.folded[max(0, start - 60) : start]
    after = record.folded[end : end + 80].split("\n", 1)[0]
    return bool(
        desk.before.search(before)
        or desk.before.search(spelled_out(before))
        or desk.after.match(after)
    )


def _visit_here(record: Record, start: int) -> bool:
    """True when the date at ``start`` dates a visit at this practice of any year since
    the opening ("revu en avril 2018", "perdu de vue jusqu'au 16/07/23"; ``desk.yaml``
    ``here``)."""
    before = record.folded[max(0, start - 60) : start]
    here = load_desk().here
    return bool(here.search(before) or here.search(spelled_out(before)))


def rule_desk_before_opening(record: Record) -> list[Finding]:
    """A desk entry on the record (an appointment cancelled, a message left, a card
    scanned) or a visit here ("revu en avril 2018") dated before the record was opened:
    the desk cannot act on a record that does not exist yet, nor the practice see a
    patient before it, while the patient's history may be older (``desk.yaml``)."""
    if record.created_at is None:
        return []
    pivot = record.pivot(PIVOT_AHEAD)
    found = []
    for start, end, category, _, _ in record.spans:
        if category != "date" or _is_birth_date(record, start):
            continue
        interval = parse_date_span(record.text[start:end], pivot)
        if interval is None or interval[1] >= record.created_at:
            continue
        if _desk_entry(record, start, end) or _visit_here(record, start):
            found.append(
                Finding(
                    "desk_before_opening",
                    record.patient_id,
                    record.text[max(0, start - 24) : end],
                    "created_at",
                    record.created_at.isoformat(),
                )
            )
    return found


@functools.cache
def load_opening() -> tuple[int, re.Pattern[str]]:
    """``corpora/checks/opening.yaml``: the years after the opening by which a note no
    longer says the patient is new, and what says so."""
    raw = corpora.read_yaml(OPENING_FILE)
    return int(raw["years"]), _compile("|".join(f"(?:{p})" for p in raw["new"]))


@functools.cache
def load_arrival() -> tuple[tuple[int, re.Pattern[str]], ...]:
    """``corpora/checks/opening.yaml`` ``arrival``: per class, the years after the opening
    by which a newcomer's state no longer holds, and the facts that state it."""
    raw = corpora.read_yaml(OPENING_FILE)
    return tuple(
        (int(c["years"]), re.compile("|".join(f"(?:{p})" for p in c["facts"])))
        for c in raw["arrival"]
    )


def _opening_detail(record: Record) -> str:
    return f"{record.created_at.isoformat()} (note {record.updated_at.isoformat()})"


def _open_years(record: Record) -> int | None:
    """Completed years from ``created_at`` to the note's date (``updated_at``)."""
    note, opened = record.updated_at, record.created_at
    if note is None or opened is None:
        return None
    return note.year - opened.year - ((note.month, note.day) < (opened.month, opened.day))


def rule_arrival_after_opening(record: Record) -> list[Finding]:
    """A newcomer's state ("primo-arrivant", "demandeur d'asile", "en CADA") stated about
    the patient years after the record was opened (``opening.yaml`` ``arrival``)."""
    years = _open_years(record)
    if years is None:
        return []
    found = []
    for start, end, category, subject, assertion in record.spans:
        if category != "ethnic_origin" or subject != "patient" or assertion != "affirmed":
            continue
        surface = record.folded[start:end]
        for limit, facts in load_arrival():
            if years >= limit and facts.match(surface):
                text = record.text[start:end]
                found.append(
                    Finding(
                        "arrival_after_opening",
                        record.patient_id,
                        text,
                        "created_at",
                        _opening_detail(record),
                    )
                )
                break
    return found


def rule_new_after_opening(record: Record) -> list[Finding]:
    """A note that says the patient is new here ("nouveau patient", "première
    consultation au cabinet") written ``years`` or more after the record was opened
    (``opening.yaml``): it belongs near the opening."""
    years, new = load_opening()
    open_years = _open_years(record)
    if open_years is None or open_years < years:
        return []
    m = new.search(record.folded) or new.search(spelled_out(record.folded))
    if m is None:
        return []
    return [
        Finding(
            "new_after_opening",
            record.patient_id,
            m.group(0),
            "created_at",
            _opening_detail(record),
        )
    ]


@functools.cache
def _brief_facts() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """``corpora/checks/lasting.yaml``: facts that do not last, what says they do, and
    the facts that say their own time (read whatever their assertion)."""
    raw = corpora.read_yaml(LASTING_FILE)
    facts = "|".join(f"(?:{p})" for p in raw["facts"])
    return re.compile(rf"(?:{facts})"), re.compile(raw["after"]), re.compile(raw["recent"])


def rule_brief_since(record: Record) -> list[Finding]:
    """An event or a course of weeks said to last ("chimio depuis 1982", "IVG depuis
    2015", "garde à vue depuis des années", "Baby blues connu de la pharmacie"):
    ``lasting.yaml``."""
    facts, after, recent = _brief_facts()
    group = load_taxonomy().group_of
    found = []
    for start, end, category, subject, assertion in record.spans:
        if group.get(category) != "sensitive" or subject != "patient":
            continue
        surface = record.folded[start:end]
        if assertion != "affirmed" and not recent.match(surface):
            continue  # "plus de chimio depuis 2017" is historical
        brief = facts.match(surface) or recent.match(surface)
        if brief and after.match(record.folded[end : end + 30]):
            text = record.text[start : end + 20]
            found.append(Finding("brief_since", record.patient_id, text, "comment", category))
    return found


@functools.cache
def _services() -> tuple[re.Pattern[str], ...]:
    """``corpora/checks/services.yaml``: bare services, what says they ended or happened
    (before and after the span), and what makes one a follow-up (before it)."""
    raw = corpora.read_yaml(SERVICES_FILE)
    return tuple(re.compile(raw[k]) for k in ("services", "before", "after", "follow_up"))  # type: ignore[return-value]


def rule_service_as_fact(record: Record) -> list[Finding]:
    """A bare service said to have ended or to have happened ("plus de CeGIDD depuis
    2016", "Psychiatre (vue aux urgences le ...)"): ``services.yaml``."""
    services, before, after, follow_up = _services()
    found = []
    for start, end, category, subject, _ in record.spans:
        if subject != "patient" or not services.fullmatch(record.folded[start:end]):
            continue
        if follow_up.search(record.folded[max(0, start - 24) : start]):
            continue
        if before.search(record.folded[max(0, start - 12) : start]) or after.match(
            record.folded[end : end + 30]
        ):
            text = record.text[max(0, start - 8) : end + 20]
            found.append(Finding("service_as_fact", record.patient_id, text, "comment", category))
    return found


@functools.cache
def _lifelong_facts() -> tuple[re.Pattern[str], ...]:
    """``corpora/checks/lifelong.yaml``: facts that never end, what says they did, and
    what makes the span a test's object (before it) or a test's result (after it) rather
    than the fact."""
    raw = corpora.read_yaml(LIFELONG_FILE)
    facts = "|".join(f"(?:{p})" for p in raw["facts"])
    return tuple(
        re.compile(p)
        for p in (rf"(?:{facts})", raw["before"], raw["after"], raw["tested"], raw["tested_after"])
    )


@functools.cache
def _tested_words() -> frozenset[str]:
    """``lifelong.yaml``'s ``tested_words``, each with every one-typo form of it."""
    out = set()
    for word in corpora.read_yaml(LIFELONG_FILE)["tested_words"]:
        out |= {word, *_deletions(word)}
        out |= {word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)}
    return frozenset(out)


def _typed_test(lead: str) -> bool:
    """Whether the last word of ``lead`` is a test word of ``lifelong.yaml`` written with
    at most one typo ("dépistgae VIH"): one letter missing, added, replaced or two swapped."""
    m = re.search(r"(\w+)\W{0,3}$", lead)
    if m is None or len(m.group(1)) < 5:
        return False
    word, known = m.group(1), _tested_words()
    # Missing letter or swap: the word is a listed form. Added letter: one deletion of it
    # is the word. Replaced letter: one deletion of each meets (a deletion is listed).
    return word in known or any(d in known for d in _deletions(word))


def rule_lifelong_ended(record: Record) -> list[Finding]:
    """A fact that never ends said to be over ("plus de VIH depuis 2019", "ancien
    handicapé", "bipolaire jusqu'en 2010"): ``lifelong.yaml``. A test of it ("dépistage
    VIH il y a des années", typo'd or not) or its result ("a été VIH + au TROD") is not."""
    facts, before, after, tested, tested_after = _lifelong_facts()
    group = load_taxonomy().group_of
    found = []
    for start, end, category, subject, _ in record.spans:
        if group.get(category) != "sensitive" or subject != "patient":
            continue
        lead = record.folded[max(0, start - 16) : start]
        if not facts.fullmatch(record.folded[start:end]) or tested.search(lead):
            continue
        tail = record.folded[end : end + 40]
        if _typed_test(lead) or tested_after.match(tail):
            continue
        if before.search(lead) or after.match(tail):
            text = record.text[max(0, start - 12) : end + 16]
            found.append(Finding("lifelong_ended", record.patient_id, text, "comment", category))
    return found


_Clash = tuple[str, str, re.Pattern[str], re.Pattern[str], re.Pattern[str] | None]


def _pattern_pairs(file: str, key: str, one: str, other: str) -> tuple[_Clash, ...]:
    """(id, why, one, other, unless) per entry of ``file``'s list ``key``: two patterns
    that cannot both hold in one note, and what the rule does not read (``unless``)."""
    raw = corpora.read_yaml(file)
    return tuple(
        (
            str(c["id"]),
            str(c["why"]),
            re.compile(c[one]),
            re.compile(c[other]),
            re.compile(c["unless"]) if c.get("unless") else None,
        )
        for c in raw[key]
    )


@functools.cache
def _clash_classes() -> tuple[dict, ...]:
    """The classes of ``corpora/comments/clashes.yaml``, as written."""
    return tuple(corpora.read_yaml(CLASS_CLASHES_FILE)["classes"])


@functools.cache
def load_clashes() -> tuple[_Clash, ...]:
    """(id, why, one, other, unless) per pair of clauses that cannot both hold in one
    note: ``corpora/checks/clashes.yaml`` (desk clauses), then the classes of
    ``corpora/comments/clashes.yaml`` the generator keeps apart, each side as a reader
    finds it (``read``); ``unless`` (optional) is what the rule does not read ("ne pas
    laisser de message sur le fixe" leaves the mobile's voicemail open)."""
    return _pattern_pairs(CLASHES_FILE, "clashes", "one", "other") + tuple(
        (
            str(c["id"]),
            str(c["why"]),
            re.compile(c["sides"][0]["read"]["text"]),
            re.compile(c["sides"][1]["read"]["text"]),
            re.compile(c["unless"]) if c.get("unless") else None,
        )
        for c in _clash_classes()
    )


@functools.cache
def load_clash_spans() -> dict[str, str]:
    """Clash id -> the category whose affirmed span of the patient must hold its ``one``
    (``span:`` of a class's first side in ``comments/clashes.yaml``, or of a clash in
    ``checks/clashes.yaml``; optional): "incarcéré" is the patient's prison now."""
    raw = corpora.read_yaml(CLASHES_FILE)["clashes"]
    spans = {str(c["id"]): str(c["span"]) for c in raw if c.get("span")}
    for c in _clash_classes():
        if c["sides"][0]["read"].get("span"):
            spans[str(c["id"])] = str(c["sides"][0]["read"]["span"])
    return spans


@functools.cache
def load_clash_assertions() -> dict[str, tuple[frozenset[str], frozenset[str]]]:
    """Class id -> how each side reads the patient's spans (``assertions`` of its sides
    in ``comments/clashes.yaml``, default affirmed): "SDF en 2009" is no homeless patient
    now, "SDF ??" may be one, "antécédent d'amputation" is still seen."""
    return {
        str(c["id"]): tuple(  # type: ignore[misc]
            frozenset(side.get("assertions", ["affirmed"])) for side in c["sides"]
        )
        for c in _clash_classes()
    }


def rule_clash(record: Record) -> list[Finding]:
    """Two clauses of one note that contradict each other ("pas de mutuelle renseignée"
    and "nouvelle mutuelle saisie"): ``clashes.yaml``."""
    others = [
        (a, b)
        for a, b, _, subject, assertion in record.spans
        if subject != "patient" or assertion == "negated"
    ]
    assertions = load_clash_assertions()

    def unread(said: frozenset[str]) -> list[tuple[int, int]]:
        """The spans a side does not read: others', denied ones, and the patient's said
        otherwise than the side's ``said`` (all patient spans but denied ones when empty)."""
        return others + [
            (a, b)
            for a, b, _, subject, assertion in record.spans
            if said and subject == "patient" and assertion not in said
        ]

    # Not a relative's fact ("fils hébergé au 115"), nor one denied ("pas d'hébergement en
    # foyer pour femmes battues" beside a stay at a friend's).
    def own(m: re.Match[str], blocked: list[tuple[int, int]] = others) -> bool:
        return not any(a < m.end() and m.start() < b for a, b in blocked)

    found = []
    spans = load_clash_spans()
    for clash_id, why, one, other, unless in load_clashes():
        first_said, second_said = assertions.get(clash_id, (frozenset(), frozenset()))
        first_unread, second_unread = unread(first_said), unread(second_said)
        folded = _blank_matches(record.folded, unless)
        # ``one`` read only inside the patient's affirmed span of the clash's category,
        # where it names one (None: anywhere).
        inside = (
            [
                (a, b)
                for a, b, category, subject, assertion in record.spans
                if category == spans[clash_id] and subject == "patient" and assertion == "affirmed"
            ]
            if clash_id in spans
            else None
        )
        first = next(
            (
                m
                for m in one.finditer(folded)
                if own(m, first_unread)
                and (inside is None or any(a <= m.start() and m.end() <= b for a, b in inside))
            ),
            None,
        )
        if first is None:
            continue
        second = other.search(_blank(folded, first.start(), first.end()))
        if second is not None and own(second, second_unread):
            one_text = record.text[first.start() : first.end()]
            text = f"{one_text} / {record.text[second.start() : second.end()]} ({clash_id})"
            found.append(Finding("clash", record.patient_id, text, "comment", why))
    return found


@functools.cache
def load_dead_relatives() -> tuple[_Clash, ...]:
    """``corpora/checks/dead_relative.yaml``: (id, why, dead, alive, unless) per relative."""
    return _pattern_pairs(DEAD_RELATIVE_FILE, "relatives", "dead", "alive")


def rule_dead_relative(record: Record) -> list[Finding]:
    """A parent said to be dead and present in the same note ("mère décédée, était
    dépressive" beside "accompagne sa mère", "mère : néo du sein"): ``dead_relative.yaml``.
    Spans do not matter here: the death is often a relative's labelled fact."""
    found = []
    for relative_id, why, dead, alive, unless in load_dead_relatives():
        first = dead.search(record.folded)
        if first is None:
            continue
        rest = _blank_matches(_blank_matches(record.folded, dead), unless)
        if (second := alive.search(rest)) is not None:
            one_text = record.text[first.start() : first.end()]
            text = f"{one_text} / {record.text[second.start() : second.end() + 20]} ({relative_id})"
            found.append(Finding("dead_relative", record.patient_id, text, "comment", why))
    return found


@functools.cache
def load_frame_fact() -> tuple[tuple[str, str, re.Pattern[str]], ...]:
    """``checks/frame_fact.yaml``: (id, why, pattern) per rule."""
    raw = corpora.read_yaml(FRAME_FACT_FILE)
    return tuple((r["id"], r["why"], re.compile(r["pattern"])) for r in raw["rules"])


def rule_frame_fact(record: Record) -> list[Finding]:
    """A relative's fact against its frame ("trisomie 21 chez la sœur, qui vient parfois
    à sa place", "atteint d'hospit en psy"): ``frame_fact.yaml``."""
    return [
        Finding(
            "frame_fact",
            record.patient_id,
            f"{record.text[m.start() : m.end()]} ({rid})",
            "comment",
            why,
        )
        for rid, why, pattern in load_frame_fact()
        for m in pattern.finditer(record.folded)
    ]


@functools.cache
def load_one_of_kind() -> tuple[tuple[str, str, str, re.Pattern[str]], ...]:
    """``checks/one_of_kind.yaml``: (id, why, category, pattern) per kind of condition."""
    raw = corpora.read_yaml(ONE_OF_KIND_FILE)
    return tuple((k["id"], k["why"], k["category"], re.compile(k["pattern"])) for k in raw["kinds"])


def rule_one_of_kind(record: Record) -> list[Finding]:
    """Two serious conditions of one kind said of the patient in one note ("tumeur
    cérébrale" and "? leucémie" for a toddler): ``one_of_kind.yaml``."""
    found = []
    for kind_id, why, category, pattern in load_one_of_kind():
        named: dict[str, int] = {}
        for start, end, span_category, subject, assertion in record.spans:
            if span_category != category or subject != "patient" or assertion == "negated":
                continue
            if (m := pattern.search(record.folded[start:end])) is not None:
                named.setdefault(m.group(0), start)
        if len(named) > 1:
            text = " / ".join(sorted(named, key=named.__getitem__))
            found.append(Finding("one_of_kind", record.patient_id, f"{text} ({kind_id})",
                                 "comment", why))  # fmt: skip
    return found


@functools.cache
def load_partner_death() -> re.Pattern[str]:
    """``dead_relative.yaml`` ``partner_death``: a partner's death words and the year after."""
    return re.compile(corpora.read_yaml(DEAD_RELATIVE_FILE)["partner_death"])


def rule_partner_death_young(record: Record) -> list[Finding]:
    """A partner's death dated before the patient could have had one ("a perdu son mari
    (AVC) en 1961" for a woman born in 1955): the year is under the partners' ``min_age``
    of formats/kinship.yaml past the birth year, so the patient was a child all of it."""
    if record.birth_date is None:
        return []
    from breachbench.generator.comments.templates import kinship

    adult = int(kinship().partners["min_age"])
    return [
        Finding(
            "partner_death_young",
            record.patient_id,
            record.text[m.start() : m.end()],
            f"birth_date ({record.birth_date})",
            f"a partner's death dated before the patient was {adult}",
        )
        for m in load_partner_death().finditer(record.folded)
        if int(m.group("year")) - record.birth_date.year < adult
    ]


@functools.cache
def load_agreement() -> dict[str, re.Pattern[str]]:
    """``corpora/checks/agreement.yaml``: by the sex a word agrees with, the clause
    openings said of the patient that a note about the other sex cannot have (a desk
    label such as "NB :" may come first)."""
    raw = corpora.read_yaml(AGREEMENT_FILE)
    lead = r"\W*(?:(?:nb|ps|info|attention|rq)\s*:\s*)?"
    return {
        sex: re.compile(lead + "(?:" + "|".join(f"(?:{p})" for p in raw[sex]) + ")")
        for sex in ("M", "F")
    }


def rule_agreement(record: Record) -> list[Finding]:
    """A clause about the patient that opens with a word of the other sex ("Employé de
    mairie" said of a woman): ``agreement.yaml``."""
    other = {"F": "M", "M": "F"}.get(record.sex or "")
    if other is None:
        return []
    opening = load_agreement()[other]
    found = []
    for lo, hi in record.clauses:
        if m := opening.match(record.folded, lo, hi):
            text = record.text[lo : min(hi, m.end() + 16)]
            found.append(Finding("agreement", record.patient_id, text, "sex", record.sex))
    return found


# What lies between someone else's fact and the patient's when a comma joins them into
# one clause: a few words of the first clause (no clause separator: "mère suivie pour VIH
# - Mme Guillot, mélancolique" names the patient again), the comma, perhaps a doubt.
_COMMA_JOIN = re.compile(r"(?:(?!\s[-–/+]\s)[^.;!?\n]){0,25}, ?(?:\? ?)?")


def rule_comma_hands_over(record: Record) -> list[Finding]:
    """A patient's fact joined by a comma to a relative's or a third party's ("Mère
    placée en GAV, épicerie sociale"): the reader gives both to the relative."""
    group = load_taxonomy().group_of
    facts = [s for s in record.spans if group.get(s[2]) == "sensitive"]
    found = []
    for (_, end, _, subject, _), (start, stop, category, then, _) in itertools.pairwise(facts):
        handed = subject != "patient" and then == "patient"
        if handed and _COMMA_JOIN.fullmatch(record.text, end, start):
            text = record.text[max(0, end - 24) : stop]
            found.append(Finding("comma_hands_over", record.patient_id, text, "comment", category))
    return found


@functools.cache
def _leaving() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """``corpora/checks/leaving.yaml``: what closes a record, what presumes it open."""
    raw = corpora.read_yaml(LEAVING_FILE)
    return re.compile(raw["leaving"]), re.compile(raw["active"])


def rule_after_leaving(record: Record) -> list[Finding]:
    """A clause that presumes a patient still coming ("à revoir dans un mois", "préfère
    les RDV le matin") after one that closed the record ("a quitté la région, dossier
    clos", "patient décédé le ..."): ``leaving.yaml``."""
    leaving, active = _leaving()
    relatives = load_markers().relative_words
    closed = None
    for lo, hi in record.clauses:
        clause = record.folded[lo:hi]
        if closed is None:
            m = leaving.search(clause)
            if m and not relatives.search(clause[: m.start()]):
                closed = record.text[lo + m.start() : lo + m.end()]
                clause = clause[m.end() :]
            else:
                continue
        if m := active.search(clause):
            text = f"{closed} ... {m.group(0)}"
            return [Finding("after_leaving", record.patient_id, text, "comment", "")]
    return []


@functools.lru_cache(maxsize=1024)
def _excluding_rules(
    sex: str | None, age: int | None
) -> tuple[tuple[Eligibility, ...], tuple[Eligibility, ...], re.Pattern[str] | None]:
    """The span and clause rules a patient of this sex and age breaks, and one pattern
    matching any of the clause rules (a patient's sex and age take few distinct values)."""
    rules = [r for r in load_eligibility() if r.excludes(sex, age)]
    spans = tuple(r for r in rules if r.scope == "span")
    clause = tuple(r for r in rules if r.scope == "clause" and r.pattern is not None)
    any_clause = (
        _compile("|".join(f"(?:{r.pattern.pattern})" for r in clause if r.pattern))
        if clause
        else None
    )
    return spans, clause, any_clause


def rule_anachronism_at_opening(record: Record) -> list[Finding]:
    """Something named in a note written before it existed (since.yaml), dated or not:
    "? C2S" in a note of 2005, "prend ses RDV sur Doctolib" in one of 2010. The note is
    written as of ``updated_at`` (in datasets without it, when the record is opened and
    in the desk's weeks after)."""
    latest = record.desk_end
    if latest is None:
        return []
    items, combined = load_since()
    if not combined.search(record.folded):
        return []
    folded = record.without_names
    for item in items:
        if item.since > latest.year and (m := item.found_in(folded)):
            text = record.text[m.start() : m.end()]
            value = f"{record.note_date.isoformat()} (since {item.since})"
            return [
                Finding("anachronism_at_opening", record.patient_id, text, record.note_field, value)
            ]
    return []


def rule_anachronism(record: Record) -> list[Finding]:
    """A date in the same clause as something that did not exist then (since.yaml)."""
    items, combined = load_since()
    if not combined.search(record.folded):
        return []
    pivot = record.pivot(PIVOT_AHEAD)
    found = []
    for start, end, category, _, _ in record.spans:
        if category != "date":
            continue
        folded = record.without_names  # "née à Saint-Amé" names no AME
        interval = parse_date_span(record.text[start:end], pivot)
        if interval is None:
            continue
        lo, hi = clause_bounds(record, start, end)
        # The date goes with an item of its own comma-separated part, the nearest before it
        # if any ("CMU-C en 2010, CSS depuis 2020"), else the nearest after it.
        lo = max(lo, record.text.rfind(",", lo, start) + 1)
        comma = record.text.find(",", end, hi)
        hi = comma if comma >= 0 else hi
        mentions = [
            (m.end() + lo <= start, abs(m.start() + lo - start), m.span(), item)
            for item in items
            for m in item.pattern.finditer(folded[lo:hi])
        ]
        if not mentions:
            continue
        _, _, (m_lo, m_hi), item = min(mentions, key=lambda m: (not m[0], m[1]))
        name = record.text[lo + m_lo : lo + m_hi]
        if interval[1].year < item.since or (
            item.until is not None and interval[0].year > item.until
        ):
            window = f"{item.since}-{item.until}" if item.until else f"since {item.since}"
            text = f"{name} ... {record.text[start:end]}"
            found.append(Finding("anachronism", record.patient_id, text, "since.yaml", window))
    return found


@functools.cache
def lexicon_age_floors() -> dict[tuple[str, str], int]:
    """The youngest patient the generator's lexicons write each fact of theirs about:
    (category, folded span text) -> the lowest ``min_age`` of the templates holding it as
    the patient's, entries' own ages and ``comments/age_floors.yaml`` included."""
    floors = _lowest_ages(_patient_facts)
    # A frame's partner noun ("chez {partner:son_conjoint}") is a sexual_orientation span
    # when said of the patient's own sex, for any patient who may have a partner.
    kinship = corpora.read_yaml(KINSHIP_FILE)
    youngest = int(kinship["partners"]["min_age"])
    for forms in kinship["partner_nouns"].values():
        for noun in forms.values():
            at = ("sexual_orientation", fold(noun))
            floors[at] = min(floors.get(at, youngest), youngest)
    return floors


@functools.cache
def lexicon_affirmed_floors() -> dict[tuple[str, str], int]:
    """The youngest patient the lexicons state each fact about, affirmed: (category,
    folded span text) -> the lowest ``min_age`` of the templates holding it as the
    patient's affirmed fact. A denial or a question may be written younger ("pas d'OH"
    at 13, where "OH" says a drinking problem from 16)."""
    return _lowest_ages(_affirmed_patient_facts)


def _affirmed_patient_facts(template: Template) -> Iterator[tuple[str, str]]:
    """(category, folded text) of a template's labelled literals stating a patient's fact."""
    for piece in template.pieces:
        stated = piece.subject == "patient" and piece.assertion == "affirmed"
        if piece.category and piece.slot is None and stated:
            yield piece.category, fold(piece.text)


def _lowest_ages(
    facts_of: Callable[[Template], Iterator[tuple[str, str]]],
) -> dict[tuple[str, str], int]:
    """Per fact ``facts_of`` reads in the sensitive families' templates, the lowest
    ``min_age`` of a template holding it; a template with an early date dates it that
    much under its patient's age."""
    from breachbench.generator.comments.templates import (
        EARLY_ROOM_YEARS,
        early_dated,
        load_templates,
    )

    floors: dict[tuple[str, str], int] = {}
    sensitive = set(load_taxonomy().sensitive)
    for key, templates in load_templates().items():
        if key not in sensitive:
            continue
        for template in templates:
            age = template.min_age - (EARLY_ROOM_YEARS if early_dated(template) else 0)
            for at in facts_of(template):
                floors[at] = min(floors.get(at, age), age)
    return floors


@functools.cache
def lexicon_age_ceilings() -> dict[tuple[str, str], int]:
    """The oldest patient the generator writes each fact of theirs about: (category,
    folded span text) -> the highest ``max_age`` of the templates of any family holding
    it as the patient's ("délégué syndical" stops at 67, the ASS too). Facts no template
    bounds are left out, and so are identifiers: "travaille à [94220 Charenton-le-Pont]"
    stops at 70 for the work, not for the town, which "déménage à {city}" may draw at any
    age."""
    from breachbench.generator.comments.templates import MAX_AGE, load_templates

    sensitive = set(load_taxonomy().sensitive)
    ceilings: dict[tuple[str, str], int] = {}
    for templates in load_templates().values():
        for template in templates:
            for at in _patient_facts(template):
                if at[0] in sensitive:
                    ceilings[at] = max(ceilings.get(at, template.max_age), template.max_age)
    return {at: age for at, age in ceilings.items() if age < MAX_AGE}


def _patient_facts(template: Template) -> Iterator[tuple[str, str]]:
    """(category, folded text) of a template's labelled literals about the patient."""
    for piece in template.pieces:
        if piece.category and piece.slot is None and piece.subject == "patient":
            yield piece.category, fold(piece.text)


def _under_floor(record: Record, field_name: str) -> dict[int, Finding]:
    """A patient's fact written for someone younger than any lexicon entry allows it, or
    older, by the span's start."""
    if record.age is None:
        return {}
    floors, ceilings = lexicon_age_floors(), lexicon_age_ceilings()
    found = {}
    for start, end, category, subject, assertion in record.spans:
        if subject != "patient":
            continue
        at = (category, record.folded[start:end])
        # A past fact keeps no ceiling: "ATCD de grossesse extra-utérine" at 91.
        ceiling = None if assertion == "historical" else ceilings.get(at)
        floor = floors.get(at)
        if assertion == "affirmed":
            floor = lexicon_affirmed_floors().get(at, floor)
        if floor is not None and record.age < floor:
            text = f"{record.text[start:end]} (age_floor {floor})"
            why = "fact under its lexicon age floor (age_floors.yaml)"
        elif ceiling is not None and record.age > ceiling:
            text = f"{record.text[start:end]} (max_age {ceiling})"
            why = "fact over the oldest age its lexicon entries allow (max_age)"
        else:
            continue
        found[start] = Finding("eligibility", record.patient_id, text, field_name, why)
    return found


@functools.cache
def congenital_facts() -> frozenset[tuple[str, str]]:
    """(category, folded text) of the facts ``comments/age_floors.yaml`` says one is born
    with: they are never dated after the birth year."""
    return frozenset(
        (str(category), fold(str(text)))
        for category, raw in corpora.read_yaml(AGE_FLOORS_FILE).items()
        for text in raw.get("congenital") or ()
    )


@functools.cache
def childhood_facts() -> dict[str, tuple[str, ...]]:
    """Per category, the folded texts of the facts ``comments/age_floors.yaml`` says
    happened in childhood (``childhood``): they are never dated in adulthood."""
    return {
        str(category): tuple(fold(str(text)) for text in raw.get("childhood") or ())
        for category, raw in corpora.read_yaml(AGE_FLOORS_FILE).items()
    }


def _childhood_dated_late(record: Record, start: int, category: str, dates) -> str | None:
    """The text of a childhood fact at ``start`` and its date, when that date falls on or
    after the patient's 18th birthday: "maltraitance infantile en 1984" at 35, "1984 :
    maltraitance infantile" (not a visit's date: "RDV du ... : maltraitance infantile,
    se confie enfin")."""
    folded = record.folded
    facts = childhood_facts().get(category, ())
    fact = next((t for t in facts if folded.startswith(t, start)), None)
    if fact is None or record.birth_date is None:
        return None
    end = start + len(fact)
    after = next(((a, b) for a, b in dates if a >= end), None)
    before = next(((a, b) for a, b in reversed(dates) if b <= start), None)
    if after is not None and _DATED_BY.fullmatch(folded[end : after[0]]):
        date, text = after, record.text[start : after[1]]
    elif (
        before is not None
        and re.fullmatch(r"\s*:\s*", folded[before[1] : start])
        # "RDV du 26/07/2025 : maltraitance infantile, se confie enfin" dates the visit
        and not _desk_entry(record, *before)
    ):
        date, text = before, record.text[before[0] : end]
    else:
        return None
    interval = parse_date_span(record.text[date[0] : date[1]], record.pivot(PIVOT_AHEAD))
    born = record.birth_date
    if interval is None or interval[0].year - born.year - 1 < _MAJORITY:
        return None  # may fall before the 18th birthday
    return text


# The age of majority: a fact of childhood (age_floors.yaml ``childhood``) is not dated
# from it on.
_MAJORITY = 18


# What may stand between a fact and the date that dates it: "IMC depuis 2010", "diabète
# découvert en 2015", "plus de chimio depuis 2019" (a follow-up, "suivi depuis", dates
# the care, not the fact).
_DATED_BY = re.compile(
    r"\s*(?:(?:connue?s?|diagnostiquee?s?|decouverte?s?|depistee?s?|dx)\s+)?"
    r"(?:depuis|en|des)(?:\s+le)?\s*"
)
_ENDED_BEFORE = re.compile(r"\bplus d(?:e\s+|')$")


def rule_dated_fact(record: Record) -> list[Finding]:
    """A patient's fact dated where it cannot be: under the youngest age the lexicons
    give it ("délégué CGT depuis 2014" at 16), its end at or just after that age ("plus
    de chimio depuis 2019" for a boy born in 2019), a congenital fact after the birth
    year ("IMC depuis 2010" for a boy born in 2000), a childhood fact in adulthood
    ("maltraitance infantile en 1984" for a woman born in 1949)."""
    from breachbench.generator.comments.templates import ENDED_AFTER_YEARS

    if record.birth_date is None:
        return []
    born = record.birth_date.year
    pivot = record.pivot(PIVOT_AHEAD)
    floors, congenital = lexicon_age_floors(), congenital_facts()
    dates = [(start, end) for start, end, _ in _patient_spans(record, "date")]
    found = []
    for start, end, category, subject, _ in record.spans:
        if subject != "patient" or category == "date":
            continue
        at = (category, record.folded[start:end])
        late = _childhood_dated_late(record, start, category, dates)
        if late is not None:
            why = "a childhood fact dated in adulthood (age_floors.yaml childhood)"
            found.append(Finding("dated_fact", record.patient_id, late, "birth_date", why))
            continue
        floor = floors.get(at)
        if floor is None and at not in congenital:
            continue
        date = next(((a, b) for a, b in dates if a >= end), None)
        if date is None or not _DATED_BY.fullmatch(record.folded[end : date[0]]):
            continue
        interval = parse_date_span(record.text[date[0] : date[1]], pivot)
        if interval is None:
            continue
        year, why = interval[1].year, ""
        ended = _ENDED_BEFORE.search(record.folded[max(0, start - 12) : start])
        if at in congenital and year != born:
            why = "a congenital fact dated after the birth year (age_floors.yaml congenital)"
        elif floor is not None and year < born + floor:
            why = f"dated under the fact's youngest age in the lexicons ({floor})"
        elif floor is not None and ended and year < born + floor + ENDED_AFTER_YEARS:
            why = f"ended within {ENDED_AFTER_YEARS} years of the fact's youngest age ({floor})"
        if why:
            text = record.text[start : date[1]]
            found.append(Finding("dated_fact", record.patient_id, text, "birth_date", why))
    return found


_YEARS_SINCE = re.compile(r"\bdepuis (?:plus de |pres de |presque )?(\d{1,3}) ans\b")
# The practice's own follow-up ("patiente du cabinet depuis 15 ans"): it cannot be older
# than the record, opened at `created_at`, on the note's date, unless the clause says the
# file is older than the record (a paper file, one taken over).
_FOLLOWED_HERE = re.compile(
    r"\b(?:patiente?|suivie?|connue?) (?:du|au) cabinet\b|\b(?:patiente?|suivie?) ici\b"
)
_OLDER_FILE = re.compile(r"papier|repris|ressaisi|ancien (?:dossier|logiciel)|transfere")


def rule_years_since(record: Record) -> list[Finding]:
    """Years said of the patient that their life or the record cannot hold at the note's
    date: "depuis 20 ans" at 15, "patiente du cabinet depuis 15 ans" in a note written 2
    years after the record was opened (unless the clause says the file predates it: a
    paper file, one taken over)."""
    markers = load_markers()
    folded = record.without_names
    opened = None
    if record.created_at is not None and record.note_date is not None:
        # Years the record has been open, rounded as one says them ("depuis 3 ans").
        opened = round((record.note_date - record.created_at).days / 365.2425)
    found = []
    for lo, hi in record.clauses:
        clause = folded[lo:hi]
        for m in _YEARS_SINCE.finditer(clause):
            years, why = int(m[1]), ""
            if _FOLLOWED_HERE.search(clause[: m.start()]) and not _OLDER_FILE.search(clause):
                if opened is not None and years > opened:
                    why = f"the practice's follow-up older than the record ({opened} years open)"
            elif markers.relative_words.search(clause[: m.start()]):
                continue  # "sa mère vit ici depuis 40 ans"
            elif record.age is not None and years > record.age:
                why = f"{years} years of it at {record.age}"
            if why:
                text = record.text[lo + m.start() : lo + m.end()]
                found.append(Finding("years_since", record.patient_id, text, "created_at", why))
    return found


@functools.cache
def _origin_reason() -> tuple[re.Pattern[str], re.Pattern[str]]:
    raw = corpora.read_yaml(ORIGIN_REASON_FILE)
    return _compile(raw["origin"]), _compile(raw["reason"])


def rule_origin_reason(record: Record) -> list[Finding]:
    """A relative's or a third party's origin in a note that gives no reason to write it
    (``origin_reason.yaml``): "Voisin haïtien. Ecstasy...", where an interpreter, a trip
    home or a migration story would."""
    origin, reason = _origin_reason()
    if reason.search(record.folded):
        return []
    found = []
    for start, end, category, subject, _ in record.spans:
        others = category == "ethnic_origin" and subject != "patient"
        if others and origin.search(record.folded[start:end]):
            text = record.text[start:end]
            why = "an origin noted with no reason (interpreter, language, family abroad)"
            found.append(Finding("origin_reason", record.patient_id, text, subject, why))
    return found


@functools.cache
def _kin_reason() -> tuple[frozenset[str], int, re.Pattern[str]]:
    raw = corpora.read_yaml(KIN_REASON_FILE)
    return frozenset(raw["categories"]), int(raw["min_age"]), _compile(raw["reason"])


def rule_kin_reason(record: Record) -> list[Finding]:
    """Someone else's present fact in a minor's note that gives the child no stake in it
    (``kin_reason.yaml``): "père sous PrEP" at 1, where the baby's serology follow-up, who
    takes the child home or what not to say to the father would."""
    categories, min_age, reason = _kin_reason()
    if record.age is None or record.age >= min_age or reason.search(record.folded):
        return []
    text, found = record.text, []
    for start, end, category, subject, _ in record.spans:
        if category not in categories or subject == "patient":
            continue
        # Set against the patient's own fact of its kind in one sentence, it is the
        # patient's history ("le père est bipolaire, lui pas de trouble de l'humeur").
        lo = max(text.rfind(mark, 0, start) for mark in (". ", "\n", "; "))
        ends = [i for i in (text.find(mark, end) for mark in (". ", "\n", "; ")) if i >= 0]
        hi = min(ends, default=len(text))
        if any(c == category and s == "patient" and lo < a < hi
               for a, _, c, s, _ in record.spans):  # fmt: skip
            continue
        why = "someone else's fact in a child's note, with no stake of the child's"
        found.append(Finding("kin_reason", record.patient_id, text[start:end], subject, why))
    return found


@functools.cache
def _relative_words() -> tuple[re.Pattern[str], re.Pattern[str], dict[str, tuple[int, int, str]]]:
    """``eligibility.yaml`` ``relatives``: the kinship word just before a span, the one
    just after it ("chez la mère"), and per folded word the relative's years older than
    the patient (youngest, oldest; formats/kinship.yaml) and sex."""
    words = corpora.read_yaml(ELIGIBILITY_FILE)["relatives"]
    roles = corpora.read_yaml(KINSHIP_FILE)["roles"]
    table = {}
    for word, (role, sex) in words.items():
        low, high = roles[role]["years"]
        table[str(word)] = (-int(high), -int(low), str(sex))
    alternatives = "|".join(sorted(map(re.escape, table), key=len, reverse=True))
    before = re.compile(rf"(?:^|[^\w-])({alternatives}) ?(?:: ?)?$")
    after = re.compile(rf"^ chez (?:le |la |l'|son |sa )({alternatives})\b")
    return before, after, table


def _kin_word(folded: str, start: int, end: int) -> re.Match[str] | None:
    """The kinship word of ``eligibility.yaml`` ``relatives`` that says whose the span
    ``start:end`` of folded text is: just before it ("mère : "), or just after it ("chez
    la mère"); its group 1 is the word."""
    before, after, _ = _relative_words()
    return before.search(folded[max(0, start - 16) : start]) or after.match(folded[end : end + 24])


@functools.cache
def _relative_floors() -> dict[tuple[str, str], int]:
    """The youngest relative the generator's templates write each fact about, where the
    template says whose it is ("le mari [boirait] d'après la fille", for women from 30:
    a husband from 26): (category, folded text) -> the template's youngest patient plus
    the role's fewest years older. A fact the lexicons give the patient only in a phrase
    of their own ("il boirait depuis la retraite", from 60) keeps its own floor for a
    relative."""
    from breachbench.generator.comments.templates import load_templates

    table = _relative_words()[2]
    floors: dict[tuple[str, str], int] = {}
    for templates in load_templates().values():
        for template in templates:
            text, spans = "", []
            for piece in template.pieces:
                if piece.category and piece.slot is None and piece.subject == "relative":
                    spans.append((len(text), len(text) + len(piece.text), piece.category))
                text += piece.text if piece.slot is None else "X"
            folded = fold(text)
            for start, end, category in spans:
                m = _kin_word(folded, start, end)
                if m is None:
                    continue
                age = max(0, template.min_age + table[m.group(1)][0])
                at = (category, folded[start:end])
                floors[at] = min(floors.get(at, age), age)
    return floors


def _relative_findings(record: Record, field_name: str) -> list[Finding]:
    """A relative's fact, where the note says whose it is, that the relative cannot have
    at any age their role allows: a rule of eligibility.yaml, or the lexicons' floors and
    ceilings, read against the relative's sex and ages ("père : K prostate" for a
    toddler, "grand-mère enceinte")."""
    if record.age is None:
        return []
    table = _relative_words()[2]
    floors, ceilings = lexicon_age_floors(), lexicon_age_ceilings()
    found = []
    for start, end, category, subject, assertion in record.spans:
        if subject != "relative":
            continue
        m = _kin_word(record.folded, start, end)
        if m is None:
            continue
        older_low, older_high = table[m.group(1)][:2]
        sex = table[m.group(1)][2]
        youngest, oldest = record.age + older_low, record.age + older_high
        text = record.folded[start:end]
        known = (floors.get((category, text)), _relative_floors().get((category, text)))
        floor = min((f for f in known if f is not None), default=None)
        ceiling = None if assertion == "historical" else ceilings.get((category, text))
        why = ""
        if floor is not None and oldest < floor:
            why = f"relative's fact under its lexicon age floor {floor}"
        elif ceiling is not None and youngest > ceiling:
            why = f"relative's fact over its lexicon max_age {ceiling}"
        for rule in load_eligibility():
            if why:
                break
            if rule.scope != "span" or not (
                category in rule.categories or (rule.pattern and rule.pattern.search(text))
            ):
                continue
            if (rule.sex is not None and sex != rule.sex) or (
                rule.min_age is not None and oldest < rule.min_age
            ):
                why = rule.why
            elif rule.max_age is not None and youngest >= rule.max_age:
                why = "" if assertion == "historical" else rule.why
        if why:
            where = f"{record.text[max(0, start - 12) : end]} ({m.group(1)})"
            found.append(Finding("eligibility", record.patient_id, where, field_name, why))
    return found


def rule_eligibility(record: Record) -> list[Finding]:
    """A fact of the patient's that is impossible for their sex or age (eligibility.yaml),
    or under the age floor the lexicons give it (comments/age_floors.yaml); a relative's,
    where the note says whose, for the relative's sex and ages (:func:`_relative_findings`)."""
    if record.sex is None and record.age is None:
        return []
    field_name = f"sex/age ({record.sex}, {record.age})"
    under_floor = _under_floor(record, field_name)
    found = list(under_floor.values()) + _relative_findings(record, field_name)
    span_rules, clause_rules, any_clause = _excluding_rules(record.sex, record.age)
    if not span_rules and not clause_rules:
        return found
    markers = load_markers()
    group = load_taxonomy().group_of
    for start, end, category, subject, assertion in record.spans:
        # An identifier states no fact about the patient: a child may live "impasse de la
        # Prison" or have "pmazeau@" as an email.
        if subject != "patient" or group.get(category) != "sensitive" or start in under_floor:
            continue  # one finding per span
        text = record.folded[start:end]
        for rule in span_rules:
            if rule.max_age is not None and rule.sex is None and assertion == "historical":
                continue
            if category in rule.categories or (rule.pattern and rule.pattern.search(text)):
                found.append(
                    Finding(
                        "eligibility",
                        record.patient_id,
                        f"{record.text[start:end]} ({rule.id})",
                        field_name,
                        rule.why,
                    )
                )
                break
    if any_clause is None or not any_clause.search(record.folded):
        return found
    folded = record.without_names
    for lo, hi in record.clauses:
        clause = folded[lo:hi]
        for rule in clause_rules:
            assert rule.pattern is not None
            m = rule.pattern.search(clause)
            if m is None:
                continue
            rest = clause[: m.start()] + " " + clause[m.end() :]
            if markers.relative_words.search(rest):
                continue
            found.append(
                Finding(
                    "eligibility",
                    record.patient_id,
                    f"{record.text[lo + m.start() : lo + m.end()]} ({rule.id})",
                    field_name,
                    rule.why,
                )
            )
            break  # one finding per clause, however many rules it breaks
    return found


@functools.cache
def _communes_named_like_countries() -> frozenset[str]:
    """Birth countries that are a French commune's name too (Suisse, in the Moselle)."""
    from breachbench.generator.records.places import load_places

    places = load_places()
    communes = places.birth_place_names[: len(places.insee_code)].to_pylist()
    return frozenset(load_birth_groups().countries) & frozenset(communes)


def _nir_born_in_france(nir: str | None) -> bool:
    """Whether a NIR says its holder was born in France (a department, not 99 at its 6th
    and 7th digits): "Suisse" is a commune of the Moselle as well as a country."""
    digits = re.sub(r"[\s.-]", "", nir or "")
    return len(digits) >= 7 and digits[5:7] != "99"


def rule_birth_country(record: Record) -> list[Finding]:
    """A fact or a need of the patient's that does not fit their birth place
    (``birth_country.yaml``): "sans-papiers" or "ne parle que l'arabe" for a patient born
    in France, "réfugié syrien" for one born in Morocco."""
    if not record.birth_place:
        return []
    countries = load_birth_groups().countries
    abroad = record.birth_place in countries and not (
        record.birth_place in _communes_named_like_countries() and _nir_born_in_france(record.nir)
    )
    country = record.birth_place if abroad else "France"
    field_name = f"birth_place ({record.birth_place})"
    found: list[Finding] = []

    def finding(rule: BirthRule, start: int, end: int) -> None:
        text = f"{record.text[start:end]} ({rule.id})"
        found.append(Finding("birth_country", record.patient_id, text, field_name, rule.why))

    rules = load_birth_rules()
    group = load_taxonomy().group_of
    # A country denied names no origin ("pas d'origine malienne, contrairement à ce que
    # dit l'ancien dossier"): the named-country rule reads the text with denials blanked.
    undenied = record.folded
    for start, end, _, _, assertion in record.spans:
        if assertion == "negated":
            undenied = _blank(undenied, start, end)
    for start, end, category, subject, _assertion in record.spans:
        if subject != "patient" or group.get(category) != "sensitive":
            continue
        text = record.folded[start:end]
        for rule in rules:
            if rule.scope != "span" or (rule.min_age and (record.age or 0) < rule.min_age):
                continue
            if rule.pattern is not None and rule.pattern.search(text):
                if country not in rule.born:
                    finding(rule, start, end)
                    break
            elif rule.named and category == "ethnic_origin" and "origin" not in text:
                lo, hi = clause_bounds(record, start, end)
                clause = undenied[lo:hi]
                if rule.when is not None and not rule.when.search(clause):
                    continue
                clause = _blank_matches(clause, rule.not_from)
                if any(p.search(clause) and country not in b for p, b in rule.named):
                    finding(rule, start, end)
                    break
    markers = load_markers()
    folded = record.without_names
    for lo, hi in record.clauses:
        clause = folded[lo:hi]
        for rule in rules:
            if rule.scope != "clause" or rule.pattern is None or country in rule.born:
                continue
            m = rule.pattern.search(clause)
            # "sa mère ne parle que l'arabe" is the mother's
            if m is not None and not markers.relative_words.search(clause[: m.start()]):
                finding(rule, lo + m.start(), lo + m.end())
                break
    return found


@dataclass(frozen=True)
class ResidenceRule:
    """One rule of ``residence.yaml``: a fact that only fits some departments of residence."""

    id: str
    why: str
    lives: int  # a home class mask (generator.comments.homes)
    pattern: re.Pattern[str]


@functools.cache
def load_residence_rules() -> tuple[ResidenceRule, ...]:
    """The rules of ``corpora/checks/residence.yaml``, with the templates' groups."""
    groups = load_residence_groups()
    rules = []
    for raw in corpora.read_yaml(RESIDENCE_FILE)["rules"]:
        try:
            lives = groups.mask(raw["lives"])
        except ValueError as error:
            raise ValueError(f"{RESIDENCE_FILE}: {raw['id']}: {error}") from None
        pattern = _compile("|".join(f"(?:{p})" for p in raw["patterns"]))
        rules.append(ResidenceRule(raw["id"], raw["why"], lives, pattern))
    return tuple(rules)


def department_of(insee_code: str) -> str:
    """The department of a commune's INSEE code: three characters overseas (97x, 98x)."""
    return insee_code[:3] if insee_code[:2] in ("97", "98") else insee_code[:2]


def rule_residence(record: Record) -> list[Finding]:
    """A fact or a desk word that does not fit where the patient lives
    (``residence.yaml``): "frontalier, travaille à Genève" in La Réunion, the CPAM for a
    patient of Martinique, the AME in Mayotte."""
    if not record.insee_code:
        return []
    groups = load_residence_groups()
    department = department_of(record.insee_code)
    home = groups.class_of(department)
    field_name = f"insee_code ({record.insee_code})"
    markers = load_markers()
    folded = record.without_names
    found: list[Finding] = []
    for lo, hi in record.clauses:
        clause = folded[lo:hi]
        for rule in load_residence_rules():
            if groups.admits(rule.lives, home):
                continue
            m = rule.pattern.search(clause)
            if m is not None and not markers.relative_words.search(clause[: m.start()]):
                text = f"{record.text[lo + m.start() : lo + m.end()]} ({rule.id})"
                found.append(Finding("residence", record.patient_id, text, field_name, rule.why))
                break
    return found


_POSTCODE = re.compile(r"\b\d{5}\b")
# "La Crèche", "Le Mans", "Les Ulis": a sentence-initial "La crèche" keeps its noun lower.
# "Saint-Règle", "Sainte-Foy": a saint's name joined by a hyphen is a place, not "règle".
_PLACE_NAME = re.compile(
    r"\b(?:La|Le|Les) [A-ZÀ-Ý][\w-]*|\bSainte?-[A-ZÀ-Ý][\w-]*"
    r"|\b[A-ZÀ-Ý]\w*-(?:sur|sous|en|lès|lez|près|le|la|les|de|du|des|au|aux)-[\w-]+"
)


def _blank(text: str, start: int, end: int) -> str:
    """``text`` with ``[start, end)`` in spaces: what a rule must not read, offsets kept."""
    return text[:start] + " " * (end - start) + text[end:]


def _blank_matches(text: str, pattern: re.Pattern[str] | None) -> str:
    """``text`` with every match of ``pattern`` in spaces (:func:`_blank`, all at once)."""
    return text if pattern is None else pattern.sub(lambda m: " " * len(m.group()), text)


def _without_names(record: Record) -> str:
    """The folded text with the commune after each address's postcode, every name
    written "La Crèche"-like (article and noun both capitalised, as a bare town is),
    "Saint-Règle"-like or "Crêches-sur-Saône"-like, and every labelled person's name
    blanked out: a name is not a fact ("79260 La Crèche" is no crèche, "Yasin Paye" no
    payment)."""
    folded = record.folded
    for m in _PLACE_NAME.finditer(record.text):
        folded = _blank(folded, m.start(), m.end())
    for start, end, category, _, _ in record.spans:
        if category == "person":
            folded = _blank(folded, start, end)
        if category != "address":
            continue
        m = _POSTCODE.search(folded, start, end)
        if m is not None:
            folded = _blank(folded, m.end(), end)
    return folded


def rule_same_sex_partner(record: Record) -> list[Finding]:
    """A woman's "compagne"/"épouse" or a man's "compagnon"/"mari" with no orientation label."""
    if record.sex not in ("M", "F"):
        return []
    if any(c == "sexual_orientation" and s == "patient" for _, _, c, s, _ in record.spans):
        return []
    markers = load_markers()
    pattern = markers.same_sex_partner[record.sex]
    found = []
    for match in pattern.finditer(record.folded):
        if markers.partner_of_other.search(record.folded[match.end() : match.end() + 6]):
            continue
        lo = match.start()
        for c_lo, c_hi in record.clauses:
            if c_lo <= match.start() < c_hi:
                lo = c_lo
                break
        if markers.relative_words.search(record.folded[lo : match.start()]):
            continue
        found.append(
            Finding(
                "same_sex_partner",
                record.patient_id,
                record.text[match.start() : match.end()],
                "sex",
                record.sex,
            )
        )
    return found


_CLAUSE_KEY = re.compile(r"[\W_]+")


def rule_repeated_clause(record: Record) -> list[Finding]:
    """The same clause twice in one note."""
    seen: Counter[str] = Counter()
    found = []
    for lo, hi in record.clauses:
        key = _CLAUSE_KEY.sub(" ", record.folded[lo:hi]).strip()
        if len(key) < 8 or " " not in key:
            continue
        seen[key] += 1
        if seen[key] == 2:
            text = record.text[lo:hi].strip()
            found.append(Finding("repeated_clause", record.patient_id, text, "comment", ""))
    return found


_MIXED_CASE = re.compile(r"^(?:[A-Z]{2,}[a-z]+[A-Za-z]*|[a-z]+[A-Z]+[A-Za-z]*|[A-Z][a-z]+[A-Z]+)$")


def _unreadable_reason(text: str, markers: Markers) -> str | None:
    """Why a sensitive span's text is not recognisable any more, or None."""
    words, prefixes, cased = lexicon_vocabulary()
    stripped = text.rstrip()
    if stripped.endswith(".") and not stripped.endswith("..."):
        last = _WORD.findall(stripped)
        if last and fold(last[-1]) not in markers.abbreviations:
            return "ends with a cut"
    tokens = _WORD.findall(text)
    short = sum(len(t) for t in tokens) <= 6
    for token in tokens:
        if _MIXED_CASE.match(token) and token not in cased and token[:-1] not in cased:
            return "mixed-case acronym"
        folded = fold(token)
        if folded in words or folded in markers.abbreviations:
            continue
        if folded in prefixes:
            return "cut word"
        if not near_lexicon(folded):
            continue
        if short:
            return "typo in a short span"
        if sum(c.isupper() for c in token) >= 2 and len(token) <= 6:
            return "typo in an acronym"
    return None


def rule_unreadable_span(record: Record) -> list[Finding]:
    """A sensitive span a reader cannot recognise: typo in an acronym, cut word or drug."""
    group = load_taxonomy().group_of
    markers = load_markers()
    found = []
    for start, end, category, _, _ in record.spans:
        if group.get(category) != "sensitive":
            continue
        text = record.text[start:end]
        reason = _unreadable_reason(text, markers)
        if reason is not None:
            found.append(Finding("unreadable_span", record.patient_id, text, category, reason))
    return found


JOIN_PATTERNS: dict[str, str] = {
    "double space": r"[^\s] {2,}[^\s]",
    "'?.'": r"\?\.",
    "'..'": r"(?:^|[^.])\.\.(?:[^.]|$)",
    "',,'": r",,",
    "';;'": r";;",
    "' ,' or ' .'": r"\w \s*[,.](?:\s|$)",
}
"""Joins no one types; matched on whole columns with pyarrow (RE2 syntax)."""


def join_findings(record: Record) -> list[Finding]:
    """Joins no one writes: double spaces, "?.", "..", ",," (see :data:`JOIN_PATTERNS`)."""
    found = []
    for name, pattern in JOIN_PATTERNS.items():
        for m in re.finditer(pattern, record.text):
            lo, hi = max(0, m.start() - 12), min(len(record.text), m.end() + 12)
            found.append(Finding("join", record.patient_id, record.text[lo:hi], "comment", name))
    return found


@dataclass(frozen=True)
class Rule:
    """A named check: its function, what it means, the row columns it needs, and its gates.

    ``gates`` name the vectorised prefilters (:func:`_prefilters`) of which at least one
    must hold for the function to be worth calling on a row: ``spans`` (the row has
    labels), or a text pattern found by pyarrow over the whole batch. A gate may let
    through rows the rule then clears, never hold back one it would flag.
    """

    id: str
    description: str
    function: Callable[[Record], list[Finding]]
    needs: tuple[str, ...]
    gates: tuple[str, ...] = ("spans",)


RULES: tuple[Rule, ...] = (
    Rule("title_sex", "title next to the patient's name disagrees with sex", rule_title_sex,
         ("sex",), ("person",)),
    Rule("title_child", "title before the name of a child (named by first name)",
         rule_title_child, ("birth_date", "created_at"), ("person",)),
    Rule("age_stated", "the patient's age as stated, not the row's on the note's day",
         rule_age_stated, ("birth_date", "created_at"), ("age",)),
    Rule("miss_title", "'Mlle' for a married or older woman", rule_miss_title,
         ("birth_date", "created_at", "last_name"), ("person",)),
    Rule("maiden_name", "a maiden name for a patient who uses her birth name",
         rule_maiden_name, ("last_name", "birth_name"), ("maiden",)),
    Rule("agreement", "a clause about the patient in the other sex's words (agreement.yaml)",
         rule_agreement, ("sex",), ("agreement",)),
    Rule("patient_name", "patient's name is not the row's first/last/birth name",
         rule_patient_name, ("first_name", "last_name"), ("person",)),
    Rule("patient_phone", "patient's phone is in neither phone column", rule_patient_phone,
         ("phone_mobile",), ("phone",)),
    Rule("patient_email", "patient's email is not the row's", rule_patient_email, ("email",),
         ("email",)),
    Rule("nir", "patient's NIR not the row's, or a relative's NIR is the patient's", rule_nir,
         ("nir",), ("nir",)),
    Rule("contacts", "clause presumes a contact the row lacks, or denies one it holds",
         rule_contacts, ("phone_mobile", "phone_home", "email"), ("contacts",)),
    Rule("birth_date_stated", "birth date written in the comment is not the row's",
         rule_birth_date_stated, ("birth_date",), ("date",)),
    Rule("date_before_birth", "patient's dated event before birth_date",
         rule_date_before_birth, ("birth_date",), ("date",)),
    Rule("date_after_creation", "patient's dated event after the note's date (updated_at), "
         "not planned",
         rule_date_after_creation, ("created_at",), ("date",)),
    Rule("desk_before_opening", "desk entry or visit here (RDV annulé, message laissé, revu "
         "en) before created_at",
         rule_desk_before_opening, ("created_at",), ("date",)),
    Rule("new_after_opening", "a new patient's note written years after created_at "
         "(opening.yaml)", rule_new_after_opening, ("created_at", "updated_at"), ("opening",)),
    Rule("arrival_after_opening", "a newcomer's state (primo-arrivant, asylum procedure) "
         "years after created_at (opening.yaml)",
         rule_arrival_after_opening, ("created_at", "updated_at"), ("ethnic_origin",)),
    Rule("brief_since", "an event or a course of weeks said to last ('IVG depuis 2015')",
         rule_brief_since, (), ("lasting_word",)),
    Rule("lifelong_ended", "a fact that never ends said to be over ('plus de VIH depuis 2019')",
         rule_lifelong_ended, (), ("ended",)),
    Rule("service_as_fact", "a bare service said to end or happen ('plus de CeGIDD depuis')",
         rule_service_as_fact, (), ("sensitive",)),
    Rule("clash", "two clauses of one note that contradict each other (clashes.yaml)",
         rule_clash, (), ("clash",)),
    Rule("dead_relative", "a parent or a partner said dead and present in the same note",
         rule_dead_relative, (), ("dead",)),
    Rule("frame_fact", "a relative's fact against its frame (acts for the patient, a disease)",
         rule_frame_fact, (), ("sensitive",)),
    Rule("one_of_kind", "two serious conditions of one kind said of the patient (cancers)",
         rule_one_of_kind, (), ("sensitive",)),
    Rule("partner_death_young", "a partner's death dated in the patient's childhood",
         rule_partner_death_young, ("birth_date",), ("dead",)),
    Rule("comma_hands_over", "a patient's fact after a comma that hands it to a relative",
         rule_comma_hands_over, (), ("sensitive",)),
    Rule("after_leaving", "a patient still coming after the record was closed (leaving.yaml)",
         rule_after_leaving, (), ("leaving",)),
    Rule("anachronism_at_opening", "named in a note written before it existed (since.yaml)",
         rule_anachronism_at_opening, ("created_at",), ("since_any",)),
    Rule("anachronism", "date next to something that did not exist then (since.yaml)",
         rule_anachronism, (), ("since",)),
    Rule("dated_fact", "a fact dated under its floor, ended too soon, or born with and dated",
         rule_dated_fact, ("birth_date",), ("since_word", "dated_en", "childhood")),
    Rule("years_since", "years said of the patient that the life or the record cannot hold "
         "at the note's date",
         rule_years_since, ("created_at",), ("years_since",)),
    Rule("origin_reason", "a relative's or third party's origin with no reason to note it",
         rule_origin_reason, (), ("ethnic_origin",)),
    Rule("kin_reason", "someone else's fact in a minor's note with no stake of the child's",
         rule_kin_reason, ("birth_date",), ("sensitive",)),
    Rule("eligibility", "fact impossible for the patient's sex or age (eligibility.yaml)",
         rule_eligibility, ("sex",), ("spans", "clause")),
    Rule("birth_country", "fact or language that does not fit the birth place (birth_country.yaml)",
         rule_birth_country, ("birth_place",), ("ethnic_origin", "social_precarity", "birth")),
    Rule("residence", "fact or desk word that does not fit the department (residence.yaml)",
         rule_residence, ("insee_code",), ("residence",)),
    Rule("same_sex_partner", "same-sex partner without a sexual_orientation span",
         rule_same_sex_partner, ("sex",), ("partner",)),
    Rule("repeated_clause", "the same clause twice in one note", rule_repeated_clause, (),
         ("repeated",)),
    Rule("unreadable_span", "sensitive span no longer recognisable (typo, cut)",
         rule_unreadable_span, (), ("sensitive",)),
    Rule("join", "joins no one writes: double space, '?.', '..', ',,'", join_findings, (),
         ("join",)),
    Rule("period", "a period that starts and ends the same year", rule_period, (),
         ("period",)),
    Rule("flu_season", "flu vaccine dated outside October-February", rule_flu_season, (),
         ("flu",)),
    Rule("negative_result", "'négatif' after a fact that is not a test result",
         rule_negative_result, (), ("negative",)),
)  # fmt: skip
"""Every rule, in report order."""


# --------------------------------------------------------------------------- driver


def _ages(birth: pa.Array, created: pa.Array) -> np.ndarray:
    """Whole years between birth and the note's date (``created``: its column),
    vectorised; -1 where unknown."""
    b = pc.fill_null(birth.cast(pa.int32()), -(10**6)).to_numpy(zero_copy_only=False)
    c = pc.fill_null(created.cast(pa.date32()).cast(pa.int32()), -(10**6)).to_numpy(
        zero_copy_only=False
    )
    (by, b_day), (cy, c_day) = _year_and_day(b), _year_and_day(c)
    # A birthday counts from its month and day (29 February from 1 March); adding the
    # birth's day of the year to the year's start puts 1 March 2000 on 2 March 2001.
    years = cy - by - (c_day < b_day)
    unknown = (b == -(10**6)) | (c == -(10**6))
    return np.where(unknown, -1, years)


def _year_and_day(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Calendar year, and month * 32 + day of month, of days since 1970-01-01."""
    date = days.astype("datetime64[D]")
    month_start = date.astype("datetime64[M]")
    month = (month_start - date.astype("datetime64[Y]")).astype(np.int64) + 1
    year = date.astype("datetime64[Y]").astype(np.int64) + 1970
    return year, month * 32 + (date - month_start).astype(np.int64) + 1


def _note_column(present: set[str]) -> str:
    """The column of the note's date: ``updated_at``, or ``created_at`` in datasets
    written before it."""
    return "updated_at" if "updated_at" in present else "created_at"


def _records(batch: pa.RecordBatch, present: set[str]) -> Iterator[Record]:
    """The rows of ``batch`` (already filtered by the caller) as :class:`Record` objects."""
    if not batch.num_rows:
        return
    columns = {name: batch.column(name) for name in batch.schema.names}
    ages = (
        _ages(columns["birth_date"], columns[_note_column(present)])
        if {"birth_date", _note_column(present)} <= present
        else np.full(batch.num_rows, -1)
    )
    data = {
        name: columns[name].to_pylist()
        for name in ("patient_id", "admin_comment", *sorted(present))
        if name in columns
    }
    flat = pc.list_flatten(columns["spans"])
    offsets = columns["spans"].offsets.to_numpy()
    starts = pc.struct_field(flat, "start").to_pylist()
    ends = pc.struct_field(flat, "end").to_pylist()
    cats = pc.struct_field(flat, "category").to_pylist()
    subjects = pc.struct_field(flat, "subject").to_pylist()
    assertions = pc.struct_field(flat, "assertion").to_pylist()
    span_rows = list(zip(starts, ends, cats, subjects, assertions, strict=True))
    base = offsets[0]
    nulls = [None] * batch.num_rows
    get = data.get
    for i, (pid, text) in enumerate(zip(data["patient_id"], data["admin_comment"], strict=True)):
        created = get("created_at", nulls)[i]
        updated = get("updated_at", nulls)[i]
        mobile, home = get("phone_mobile", nulls)[i], get("phone_home", nulls)[i]
        yield Record(
            patient_id=pid,
            text=text,
            spans=span_rows[offsets[i] - base : offsets[i + 1] - base],
            sex=get("sex", nulls)[i],
            birth_date=get("birth_date", nulls)[i],
            created_at=created.date() if created is not None else None,
            updated_at=updated.date() if updated is not None else None,
            age=int(ages[i]) if ages[i] >= 0 else None,
            first_name=get("first_name", nulls)[i],
            last_name=get("last_name", nulls)[i],
            birth_name=get("birth_name", nulls)[i],
            phones=tuple(p for p in (mobile, home) if p),
            has_phones="phone_mobile" in present,
            mobile=mobile,
            home=home,
            email=get("email", nulls)[i],
            has_email="email" in present,
            nir=get("nir", nulls)[i],
            birth_place=get("birth_place", nulls)[i],
            insee_code=get("insee_code", nulls)[i],
        )


_RE2_CLAUSE_SEP = r"[.;!?|]+(?:\s+|$)|\n+|\s(?:--|[-–/+])\s|\s//\s?"
""":data:`_CLAUSE_SEP` without its look-behinds (RE2 has none): it splits a little more."""


def _mask(array: pa.Array) -> np.ndarray:
    return pc.fill_null(array, False).to_numpy(zero_copy_only=False)


def _repeated_candidates(folded: pa.Array) -> np.ndarray:
    """Rows where some clause of 8+ characters and 2+ words comes twice, vectorised."""
    pieces = pc.split_pattern_regex(folded, _RE2_CLAUSE_SEP)
    parents = pc.list_parent_indices(pieces)
    keys = pc.utf8_trim_whitespace(
        pc.replace_substring_regex(pc.list_flatten(pieces), r"[^\p{L}\p{N}]+", " ")
    )
    long = pc.and_(pc.greater_equal(pc.utf8_length(keys), 8), pc.match_substring(keys, " "))
    keys, parents = keys.filter(long), parents.filter(long)
    out = np.zeros(len(folded), dtype=bool)
    if not len(keys):
        return out
    codes = pc.dictionary_encode(keys).indices.to_numpy().astype(np.int64)
    pairs = parents.to_numpy().astype(np.int64) * (int(codes.max()) + 1) + codes
    unique, counts = np.unique(pairs, return_counts=True)
    out[unique[counts > 1] // (int(codes.max()) + 1)] = True
    return out


def _prefilters(batch: pa.RecordBatch, present: set[str]) -> dict[str, np.ndarray]:
    """The gates of :class:`Rule`, one boolean per row, from pyarrow kernels on the batch.

    Text gates run on a folded column (NFD, marks removed, lower case), the vectorised
    twin of :func:`fold`, with the same patterns the rules use.
    """
    texts = batch.column("admin_comment")
    folded = pc.utf8_lower(
        pc.replace_substring_regex(pc.utf8_normalize(texts, "NFD"), r"\p{Mn}", "")
    )
    markers = load_markers()
    joined = "|".join(f"(?:{p})" for p in JOIN_PATTERNS.values())
    gates = {
        "spans": pc.greater(pc.list_value_length(batch.column("spans")), 0),
        "join": pc.match_substring_regex(texts, joined),
        "age": pc.match_substring_regex(folded, AGE_GATE),
    }
    spans = batch.column("spans")
    parents = pc.list_parent_indices(spans).to_numpy()
    categories = pc.struct_field(pc.list_flatten(spans), "category")
    group = load_taxonomy().group_of
    masks: dict[str, np.ndarray] = {}
    for category in load_taxonomy().categories:
        rows = parents[_mask(pc.equal(categories, category))]
        masks[category] = np.bincount(rows, minlength=batch.num_rows) > 0
    masks["sensitive"] = np.any(
        [masks[c] for c in load_taxonomy().categories if group[c] == "sensitive"], axis=0
    )
    clause = [r.pattern.pattern for r in load_eligibility() if r.scope == "clause" and r.pattern]
    if clause:
        gates["clause"] = pc.match_substring_regex(
            folded, "|".join(f"(?:{p})" for p in clause), ignore_case=True
        )
    birth = [r.pattern.pattern for r in load_birth_rules() if r.scope == "clause" and r.pattern]
    gates["birth"] = pc.match_substring_regex(
        folded, "|".join(f"(?:{p})" for p in birth), ignore_case=True
    )
    # RE2 has no look-arounds: the gate reads the patterns without them (it may let more
    # rows through, never fewer).
    residence = "|".join(
        f"(?:{re.sub(r'[(][?]<?[!=][^)]*[)]', '', r.pattern.pattern)})"
        for r in load_residence_rules()
    )
    gates["residence"] = pc.match_substring_regex(folded, residence, ignore_case=True)
    if "sex" in present:
        sex = batch.column("sex")
        partner = [
            pc.and_(
                pc.equal(sex, s),
                pc.match_substring_regex(folded, pattern.pattern, ignore_case=True),
            )
            for s, pattern in markers.same_sex_partner.items()
        ]
        gates["partner"] = functools.reduce(pc.or_, partner)
    masks.update({name: _mask(array) for name, array in gates.items()})
    since = pc.match_substring_regex(folded, load_since()[1].pattern, ignore_case=True)
    masks["since"] = masks["date"] & _mask(since)
    masks["since_any"] = _mask(since)
    contact = "|".join(f"(?:{r.pattern.pattern})" for r in load_contact_rules())
    masks["contacts"] = _mask(pc.match_substring_regex(folded, contact, ignore_case=True))
    masks["repeated"] = _repeated_candidates(folded)
    masks["period"] = _mask(pc.match_substring_regex(folded, r"\b(de|entre) \d{4} (a|et) \d{4}"))
    masks["flu"] = masks["date"] & _mask(pc.match_substring(folded, "grippe"))
    masks["negative"] = masks["sensitive"] & _mask(pc.match_substring(folded, "neg"))
    masks["leaving"] = _mask(
        pc.match_substring_regex(folded, _leaving()[0].pattern, ignore_case=True)
    )
    masks["since_word"] = masks["sensitive"] & _mask(pc.match_substring(folded, "depuis"))
    # What says a fact lasts: "depuis", or a pharmacy that renews its prescription.
    masks["lasting_word"] = masks["sensitive"] & _mask(
        pc.match_substring_regex(folded, "depuis|pharmacie")
    )
    childhood = "|".join(re.escape(t) for texts in childhood_facts().values() for t in texts)
    masks["childhood"] = masks["sensitive"] & _mask(
        pc.match_substring_regex(folded, childhood, ignore_case=True)
    )
    masks["opening"] = _mask(
        pc.match_substring_regex(folded, r"nouve|premi|1re|arrivee", ignore_case=True)
    )
    years = _mask(pc.match_substring_regex(folded, r"depuis (plus de |pres de |presque )?\d+ ans"))
    masks["years_since"] = years
    masks["dated_en"] = masks["sensitive"] & _mask(pc.match_substring_regex(folded, r"\b(en|des) "))
    ended = r"plus d|ancien|a ete|jusqu|par le passe|plus rien"
    maiden = "jeune fille|nom de naissance|nom apres (le )?mariage"
    masks["maiden"] = _mask(pc.match_substring_regex(folded, maiden))
    opening = "|".join(f"(?:{pattern.pattern})" for pattern in load_agreement().values())
    masks["agreement"] = _mask(pc.match_substring_regex(folded, opening))
    clash = "|".join(f"(?:{one.pattern})" for _, _, one, _, _ in load_clashes())
    masks["clash"] = _mask(pc.match_substring_regex(folded, clash))
    dead = "|".join(f"(?:{pattern.pattern})" for _, _, pattern, _, _ in load_dead_relatives())
    masks["dead"] = _mask(pc.match_substring_regex(folded, dead))
    masks["ended"] = masks["sensitive"] & _mask(pc.match_substring_regex(folded, ended))
    return masks


def check_dataset(
    path: str | Path,
    *,
    limit: int | None = None,
    examples: int = EXAMPLES,
    rules: tuple[str, ...] | None = None,
) -> dict[str, Any]:
    """Count the contradictions of every rule over the dataset at ``path``.

    Returns plain counts: per rule, the contradictions, the comments with at least one,
    both per 1,000 comments, and the first ``examples`` findings; rules whose row columns
    the dataset lacks are listed as skipped.
    """
    dataset = open_dataset(path, extra_columns=EXTRA_COLUMNS)
    present = {f.name for f in dataset.extra_fields}
    active = [
        r for r in RULES if (rules is None or r.id in rules) and all(n in present for n in r.needs)
    ]
    skipped = [r.id for r in RULES if (rules is None or r.id in rules) and r not in active]
    counts: Counter[str] = Counter()
    hit_comments: Counter[str] = Counter()
    shown: dict[str, list[dict[str, str]]] = {r.id: [] for r in active}
    rows = commented = contradicting = 0
    for batch in dataset.batches(limit=limit):
        rows += batch.num_rows
        has_text = pc.fill_null(pc.greater(pc.utf8_length(batch.column("admin_comment")), 0), False)
        batch = batch.filter(has_text)
        commented += batch.num_rows
        if not batch.num_rows:
            continue
        masks = _prefilters(batch, present)
        none = np.zeros(batch.num_rows, dtype=bool)
        gated = [
            (rule, np.any([masks.get(g, none) for g in rule.gates], axis=0)) for rule in active
        ]
        need = np.any([mask for _, mask in gated], axis=0) if gated else masks["spans"][:0]
        rows_needed = np.flatnonzero(need)
        for index, record in zip(
            rows_needed, _records(batch.take(pa.array(rows_needed)), present), strict=True
        ):
            any_hit = False
            for rule, mask in gated:
                if mask[index]:
                    findings = rule.function(record)
                    any_hit |= _tally(rule.id, findings, counts, hit_comments, shown, examples)
            contradicting += any_hit
    scale = 1000.0 / commented if commented else 0.0
    return {
        "path": str(path),
        "rows": rows,
        "comments": commented,
        "contradicting_comments": contradicting,
        "contradicting_per_1000": round(contradicting * scale, 2),
        "contradictions": sum(counts.values()),
        "contradictions_per_1000": round(sum(counts.values()) * scale, 2),
        "rules": [
            {
                "id": r.id,
                "description": r.description,
                "contradictions": counts[r.id],
                "per_1000": round(counts[r.id] * scale, 2),
                "comments": hit_comments[r.id],
                "comments_per_1000": round(hit_comments[r.id] * scale, 2),
                "examples": shown[r.id],
            }
            for r in active
        ],
        "skipped_rules": skipped,
    }


def _tally(
    rule: str,
    findings: list[Finding],
    counts: Counter[str],
    hit_comments: Counter[str],
    shown: dict[str, list[dict[str, str]]],
    examples: int,
) -> bool:
    if not findings:
        return False
    counts[rule] += len(findings)
    hit_comments[rule] += 1
    if len(shown[rule]) < examples:
        shown[rule].append(findings[0].to_json())
    return True


def within_threshold(info: dict[str, Any], max_per_1000: float) -> bool:
    """Whether the share of contradicting comments is at most ``max_per_1000``, on the
    exact count: the report's rate is rounded to two decimals, and one comment in a
    million rows rounds to 0.00, which must not pass a threshold of 0."""
    comments = info["comments"]
    rate = 1000.0 * info["contradicting_comments"] / comments if comments else 0.0
    return rate <= max_per_1000


def format_report(info: dict[str, Any], *, max_per_1000: float = 0.0) -> Any:
    """A rich renderable: the per-rule table, then examples per rule."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    table = Table(
        title=f"{info['path']}: {info['rows']:,} rows, {info['comments']:,} comments",
        title_justify="left",
    )
    for name, justify in (
        ("rule", "left"),
        ("what it checks", "left"),
        ("contradictions", "right"),
        ("per 1,000", "right"),
        ("comments", "right"),
        ("comments per 1,000", "right"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for rule in info["rules"]:
        style = "red" if rule["contradictions"] else "green"
        table.add_row(
            rule["id"],
            rule["description"],
            f"{rule['contradictions']:,}",
            Text(f"{rule['per_1000']:.2f}", style=style),
            f"{rule['comments']:,}",
            f"{rule['comments_per_1000']:.2f}",
        )
    table.add_row(
        "any",
        "comments with at least one contradiction",
        f"{info['contradictions']:,}",
        f"{info['contradictions_per_1000']:.2f}",
        f"{info['contradicting_comments']:,}",
        f"{info['contradicting_per_1000']:.2f}",
        style="bold",
    )
    parts: list[Any] = [table]
    for rule in info["rules"]:
        if not rule["examples"]:
            continue
        parts.append(Text(f"{rule['id']}:", style="bold"))
        for ex in rule["examples"]:
            parts.append(
                Text(
                    f"  {ex['patient_id']}: {ex['text']!r} vs {ex['field']}"
                    + (f" = {ex['value']!r}" if ex["value"] else "")
                )
            )
    if info["skipped_rules"]:
        parts.append(
            Text("skipped (columns missing): " + ", ".join(info["skipped_rules"]), style="yellow")
        )
    verdict = within_threshold(info, max_per_1000)
    parts.append(
        Text(
            f"{info['contradicting_per_1000']:.2f} contradicting comments per 1,000 "
            f"({'within' if verdict else 'above'} the threshold {max_per_1000:g})",
            style="green" if verdict else "red",
        )
    )
    return Group(*parts)
