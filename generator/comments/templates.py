"""Comment templates: parse the markup of ``corpora/comments/`` and expand it into templates.

Teachers and clinicians edit YAML, not code, so the lexicons are written in a tiny markup
(``[surface|category|subject|assertion]`` spans, ``{slot}`` fillers, ``{fact}`` in frames)
documented in ``corpora/README.md``. This module turns those files into flat, validated
:class:`Template` objects once per process; the engine then samples them as arrays.

Sensitive categories are written as *cores* (noun phrases) and *states* (adjectives with
sex agreement) crossed with generic *frames* ("ATCD de {fact}", "mère {fact}"), so that one
new word yields dozens of templates with the right subject, assertion and French elision,
plus hand-written *phrases* for everything a frame cannot say.
"""

from __future__ import annotations

import fnmatch
import functools
import itertools
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml
from breachbench.generator.comments.births import ANY_BIRTH, UNKNOWN_BIRTH, load_birth_groups
from breachbench.generator.comments.classes import ANY_CLASS, ClassGroups, signed_mask
from breachbench.generator.comments.homes import ANY_HOME, UNKNOWN_HOME, load_residence_groups
from breachbench.generator.contract.taxonomy import TAXONOMY_FILE, Taxonomy, load_taxonomy

# {town|...:a} "à Dax", {town|...:de} "d'Auch": the preposition goes in the value.
from breachbench.generator.records.prepositions import FORMS as TOWN_FORMS

__all__ = [
    "FAMILIES",
    "SLOT_CATEGORIES",
    "Connectors",
    "Piece",
    "Template",
    "TemplateError",
    "elide",
    "escape_markup",
    "installed_templates",
    "load_connectors",
    "load_templates",
    "parse_markup",
]

SLOT_CATEGORIES: dict[str, str | None] = {
    "patient_name": "person",
    "first_name_m": "person",
    "first_name_f": "person",
    "surname": "person",
    "full_name": "person",
    "phone": "phone",
    "email": "email",
    "address": "address",
    "street": "address",
    "city": "address",
    "date": "date",
    "month_year": "date",
    "year": "date",
    "nir": "nir",
    # A bare commune or birth country ("à Dax", "au Maroc"): not labelled, as the
    # guidelines want (generator/records/prepositions.py).
    "town": None,
    # An age on the day of the note ("96 ans", "8 mois"): no identifier, not labelled.
    "age": None,
}

FAMILIES: tuple[str, ...] = ("routine", "identifier", "hard_negative", "sensitive")
SEXES: tuple[str, ...] = ("any", "M", "F")
FACT = "fact"
# {partner:<form>}: the partner's noun, agreeing with the partner's sex
# (``formats/kinship.yaml``, partner_nouns); labelled by the engine when it reveals the
# patient's orientation, so it carries no category here.
PARTNER_SLOT = "partner"

# Eligibility: who a template fits. Ages are the patient's completed years when the
# record was created; ``since`` is the first year the drug, service or benefit existed,
# ``until`` the last (CMU-C 2019): a note about it is written in those years only.
MAX_AGE = 120
MIN_SINCE, MAX_SINCE = 1900, 2030
NO_UNTIL = 9999
# Partner states a template fits, as bits of a mask: the record has no partner, a male
# partner, a female one.
NO_PARTNER, MALE_PARTNER, FEMALE_PARTNER = 1, 2, 4
ANY_PARTNER = NO_PARTNER | MALE_PARTNER | FEMALE_PARTNER
# Record contacts a template needs when it writes the patient's own (bits of a mask),
# and whether the record's name is a married one (its usage name is not its birth name:
# "nom de jeune fille : Leroi" is written only then).
NEEDS_PHONE, NEEDS_MOBILE, NEEDS_HOME, NEEDS_EMAIL, NEEDS_MARRIED_NAME = 1, 2, 4, 8, 16
# Contacts an entry names in its ``has`` (the record must hold them: "ne répond pas au
# fixe") or ``lacks`` (it must not: "pas de portable", "SDF"); a lacked contact is its
# NEEDS_ bit shifted by LACKS_SHIFT, in the same ``needs`` mask.
CONTACT_NAMES = {
    "phone": NEEDS_PHONE,
    "mobile": NEEDS_MOBILE,
    "home": NEEDS_HOME,
    "email": NEEDS_EMAIL,
    "married_name": NEEDS_MARRIED_NAME,
}
LACKS_SHIFT = 5
# Qualifiers of a slot's subject ({date|patient:birth}, {phone|relative:daughter}):
# when a date falls, or that an identifier is not the row's own ('other': an old number,
# another address), or which phone of the row. 'early', 'middle' and 'recent' split a
# life's past into three successive windows, so a dated log written with them in that
# order reads in order ("{year|patient:early} : ... {date|patient:recent} : ...").
# 'lately' is the last weeks before the note's date (`updated_at`, its last edit): what the
# desk still has to act on ("bilan du {date|patient:lately} : ..., à rappeler") is not two
# years old. 'desk' is the desk's own entries on the record ("RDV annulé le", "message
# laissé le"): in the weeks before the note's date, never before the record was opened
# (`created_at`; formats/dates.yaml). 'created' is the opening itself ("arrivée au
# cabinet en {year|patient:created}").
# 'adult' is any day once the patient is of age to have a partner (formats/kinship.yaml
# partners.min_age): a partner's death, whoever's date it is, never falls in the
# patient's childhood ("a perdu son mari en 1961" for a woman born in 1955).
TIMINGS: tuple[str, ...] = (
    "birth", "future", "recent", "created", "early", "middle", "lately", "desk", "adult"
)  # fmt: skip
# 'here' dates a visit at this practice ("Revu en {month_year|patient:middle:here}"): it
# falls on or after the record's opening (`created_at`), within its timing's window cut
# there. In the early or middle window it needs a record open long enough to hold them
# before the recent one: the template takes `min_open: HERE_ROOM_YEARS` at least.
HERE = "here"
HERE_ROOM_YEARS = 3
# How long the record has been open on the note's date (completed years from
# `created_at` to `updated_at`), the range a template's `min_open` and `max_open` give:
# "nouveau patient" is written in a record's first year, not ten years on.
MAX_OPEN = MAX_AGE
# A date that can only fall in one season: 'winter' (October to February, the flu
# vaccination campaign), combined with a timing ("{date|patient:recent:winter}").
SEASONS: tuple[str, ...] = ("winter",)
# How far ahead a planned date ('future') may fall: 'far' for what waits months (a
# specialist, a term, a hearing; formats/dates.yaml future_days), else the desk's weeks.
HORIZONS: tuple[str, ...] = ("far",)
OTHER = "other"
PHONE_KINDS: tuple[str, ...] = ("mobile", "home")

# Files of the non-sensitive families, relative to ``corpora/``.
_FAMILY_FILES = {
    "routine": "comments/routine.yaml",
    "identifier": "comments/identifiers.yaml",
    "hard_negative": "comments/hard_negatives.yaml",
}
_FRAMES_FILE = "comments/frames.yaml"
_FREQUENCIES_FILE = "comments/frequencies.yaml"  # the Zipf exponent (see _rank_weights)
MAX_ZIPF = 4.0
_CONNECTORS_FILE = "comments/connectors.yaml"
_AGE_FLOORS_FILE = "comments/age_floors.yaml"
_CLASHES_FILE = "comments/clashes.yaml"
# A held fact (``held`` in age_floors.yaml) until its template is made; the patient's
# affirmed one is then tagged HELD_TAG (a side of a class of clashes.yaml).
_HELD_FACT = "held_fact"
# Frames and phrases that give a child's stake in someone else's fact ("{fact} chez la
# mère : suivi sérologique de l'enfant"): age_floors.yaml `kin` and `bears`.
STAKE_TAG = "stake"
HELD_TAG = "held"
# The frames only a held fact takes ("{fact}, dossier transmis à l'USMP").
PRISON_TAG = "prison"
# The side of a class of ``comments/clashes.yaml`` a template is on: the tag
# ``clash:<class id>:<side, 0 or 1>``; the engine never writes both sides in one note. A
# fact listed on a side is tagged ``_CLASH_FACT`` + the same until its template is made.
CLASH_TAG = "clash:"
_CLASH_FACT = "clash_fact:"

# Tags derived from span attributes, so a frame or phrase never has to repeat them.
_ATTRIBUTE_TAGS = {"relative", "third_party", "negated", "hypothetical", "historical"}
# Sensitive templates with one of these tags tell a whole story (a fact, its reason, the
# step at the desk): they share a group, so a comment holds at most one of them, as a
# note tells one story (shared/REALISM.md); non-sensitive stories write `group: story`.
_STORY_TAGS = {"story", "long_note"}
STORY_GROUP = "story"


class TemplateError(ValueError):
    """A comment file breaks the markup or the taxonomy; one line naming file and entry."""


@dataclass(frozen=True)
class Piece:
    """One run of a template: a literal (labelled or not) or a slot filled per record."""

    text: str  # literal text ('' for a slot)
    slot: str | None  # slot name, None for a literal
    category: str | None  # None for an unlabelled literal
    subject: str | None
    assertion: str | None
    # Slot qualifiers after the subject, ':'-joined ('daughter:birth', 'other', 'mobile'),
    # or the form of a {partner:<form>} slot; '' for none.
    role: str = ""


@dataclass(frozen=True)
class Template:
    """A clause ready to sample: pieces plus what the engine needs to choose and label it."""

    family: str  # 'routine' | 'identifier' | 'hard_negative' | 'sensitive'
    category: str | None  # the sensitive category for family 'sensitive', else None
    pieces: tuple[Piece, ...]  # adjacent unlabelled literals merged; no empty literal
    sex: str  # 'any' | 'M' | 'F': patient sex this template fits
    weight: float
    tags: tuple[str, ...]  # difficulty tags
    source: str  # stable origin, e.g. 'sensitive/serology.yaml:cores[3]+frames.noun[2]'
    # Eligibility (see MAX_AGE): the engine only writes a template about a patient it fits.
    min_age: int = 0
    max_age: int = MAX_AGE
    since: int = 0
    partner: int = ANY_PARTNER  # partner states it fits (NO_PARTNER | ...)
    needs: int = 0  # record contacts it writes or has, | those it lacks << LACKS_SHIFT
    until: int = NO_UNTIL
    born: int = ANY_BIRTH  # birth classes it fits (generator.comments.births)
    lives: int = ANY_HOME  # home classes it fits (generator.comments.homes)
    # completed years the record has been open on the note's date (see MAX_OPEN)
    min_open: int = 0
    max_open: int = MAX_OPEN
    group: str = ""  # at most one template of a non-empty group per comment
    # Further groups of a template in several ("carte Vitale volée" is a story and a
    # word on the card): a comment holds at most one template of each, like ``group``.
    more_groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class Connectors:
    """Separators between clauses and optional openers/closers, each with weights."""

    separators: tuple[str, ...]
    separator_weights: tuple[float, ...]
    openers: tuple[str, ...]
    opener_weights: tuple[float, ...]
    opener_rate: float  # probability that a comment starts with an opener
    closers: tuple[str, ...]
    closer_weights: tuple[float, ...]
    closer_rate: float
    # Share of notes written in sentence case: after a full stop or a line break, and at
    # the start, the next word takes a capital ("Tiers payant. Préfère le matin").
    sentence_case_rate: float = 0.0


# --------------------------------------------------------------------------- taxonomy


@functools.cache
def _default_vocabulary() -> Taxonomy:
    """The values the taxonomy allows: the markup is checked against it, never hard-coded."""
    return load_taxonomy()


# --------------------------------------------------------------------------- markup

_ESCAPABLE = set("[]{}|\\")


def escape_markup(text: str) -> str:
    """Escape the markup metacharacters of ``text`` so it parses back as plain literal text."""
    return "".join("\\" + c if c in _ESCAPABLE else c for c in text)


def _read_until(markup: str, start: int, closer: str) -> tuple[list[str], int]:
    """Split the body of a ``[...]`` or ``{...}`` on unescaped ``|``; return fields, end."""
    fields: list[str] = []
    current: list[str] = []
    i = start
    while i < len(markup):
        c = markup[i]
        if c == "\\" and i + 1 < len(markup) and markup[i + 1] in _ESCAPABLE:
            current.append(markup[i + 1])
            i += 2
            continue
        if c == closer:
            fields.append("".join(current))
            return fields, i + 1
        if c in "[]{}":
            raise TemplateError(f"unexpected {c!r} at {i} inside a markup item")
        if c == "|":
            fields.append("".join(current))
            current = []
        else:
            current.append(c)
        i += 1
    raise TemplateError(f"unclosed markup item opened before {start}")


def _check_attributes(subject: str, assertion: str, vocabulary: Taxonomy, where: str) -> None:
    if subject not in vocabulary.subjects:
        raise TemplateError(f"unknown subject {subject!r} in {where}")
    if assertion not in vocabulary.assertions:
        raise TemplateError(f"unknown assertion {assertion!r} in {where}")


def _parse(
    markup: str,
    subject: str,
    assertion: str,
    vocabulary: Taxonomy,
    allow_fact: bool = False,
) -> tuple[Piece, ...]:
    """The parser behind :func:`parse_markup`; ``vocabulary`` is the taxonomy to check.

    With ``allow_fact`` (frames), ``{fact}`` becomes a placeholder piece with slot 'fact'.
    """
    if not isinstance(markup, str):
        raise TemplateError(f"markup must be a string, got {type(markup).__name__}")
    _check_attributes(subject, assertion, vocabulary, "entry defaults")
    pieces: list[Piece] = []
    literal: list[str] = []

    def flush() -> None:
        if literal:
            text = "".join(literal)
            literal.clear()
            if pieces and pieces[-1].category is None and pieces[-1].slot is None:
                text = pieces.pop().text + text
            pieces.append(Piece(text, None, None, None, None))

    i = 0
    while i < len(markup):
        c = markup[i]
        if c == "\\" and i + 1 < len(markup) and markup[i + 1] in _ESCAPABLE:
            literal.append(markup[i + 1])
            i += 2
        elif c == "[":
            fields, i = _read_until(markup, i + 1, "]")
            flush()
            pieces.append(_span(fields, subject, assertion, vocabulary))
        elif c == "{":
            fields, i = _read_until(markup, i + 1, "}")
            flush()
            pieces.append(_slot(fields, subject, vocabulary, allow_fact))
        elif c in "]}":
            raise TemplateError(f"unbalanced {c!r} at {i} (escape it as '\\{c}')")
        else:
            literal.append(c)
            i += 1
    flush()
    _check_named_elision(pieces)
    return tuple(pieces)


# Slots that write a first name: the word before them cannot be elided, since the value
# is drawn after the templates load ("accord de Adèle Attal").
_NAME_SLOTS = ("first_name_m", "first_name_f", "full_name")


def _check_named_elision(pieces: list[Piece]) -> None:
    """Refuse "de {full_name}", "que {first_name_f}": an eliding word before a name."""
    for before, piece in itertools.pairwise(pieces):
        literal = before.slot is None and before.category is None
        if piece.slot in _NAME_SLOTS and literal and _ELIDABLE_RE.search(before.text):
            word = before.text.split()[-1]
            raise TemplateError(
                f"'{word} {{{piece.slot}}}' cannot be elided before a name drawn later "
                f"('{word} Anne'): reword it"
            )


def _span(fields: list[str], subject: str, assertion: str, vocabulary: Taxonomy) -> Piece:
    if not 2 <= len(fields) <= 4:
        raise TemplateError(f"span needs 2 to 4 fields, got [{'|'.join(fields)}]")
    surface, category = fields[0], fields[1].strip()
    where = f"span [{'|'.join(fields)}]"
    if not surface or surface != surface.strip():
        raise TemplateError(f"empty or space-padded surface in {where}")
    explicit_assertion = len(fields) > 3
    subject = fields[2].strip() if len(fields) > 2 else subject
    assertion = fields[3].strip() if explicit_assertion else assertion
    _check_attributes(subject, assertion, vocabulary, where)
    if category in vocabulary.identifiers:
        # Identifier spans are always affirmed: a phone in a negated clause is still a phone.
        if explicit_assertion and assertion != "affirmed":
            raise TemplateError(f"identifier spans are always affirmed: {where}")
        assertion = "affirmed"
    elif category not in vocabulary.sensitive:
        raise TemplateError(f"unknown category {category!r} in {where}")
    return Piece(surface, None, category, subject, assertion)


def _slot(fields: list[str], subject: str, vocabulary: Taxonomy, allow_fact: bool) -> Piece:
    if not 1 <= len(fields) <= 2:
        raise TemplateError(f"slot needs 1 or 2 fields, got {{{'|'.join(fields)}}}")
    name = fields[0].strip()
    if name == FACT:
        if allow_fact and len(fields) == 1:
            return Piece("", FACT, None, None, None)
        raise TemplateError("{fact} is only allowed, bare, in frames")
    if name.startswith(PARTNER_SLOT + ":") and len(fields) == 1:
        form = name.partition(":")[2]
        if form not in kinship().partner_nouns:
            known = ", ".join(kinship().partner_nouns)
            raise TemplateError(f"unknown partner form {{{name}}}; known: {known}")
        return Piece("", PARTNER_SLOT, None, "patient", "affirmed", form)
    if name not in SLOT_CATEGORIES:
        raise TemplateError(f"unknown slot {{{name}}}; known: {', '.join(SLOT_CATEGORIES)}")
    qualifiers: list[str] = []
    if len(fields) > 1:
        subject, *qualifiers = (q.strip() for q in fields[1].split(":"))
    _check_attributes(subject, "affirmed", vocabulary, f"slot {{{name}}}")
    _check_qualifiers(name, subject, qualifiers)
    return Piece("", name, SLOT_CATEGORIES[name], subject, "affirmed", ":".join(qualifiers))


def _check_qualifiers(name: str, subject: str, qualifiers: list[str]) -> None:
    """A slot's qualifiers: one relative role (relatives only), one timing (dates only),
    'other' or a phone kind (the patient's own identifiers only; a third party's phone
    may be a kind too: a pharmacy or a probation office answers on a landline), one
    preposition form (towns only)."""
    where = f"slot {{{name}|{':'.join([subject, *qualifiers])}}}"
    roles = kinship().roles
    kinds = {"role": 0, "timing": 0, "own": 0, "season": 0, "form": 0, "horizon": 0, "here": 0}
    for qualifier in qualifiers:
        if qualifier in roles and subject == "relative":
            kinds["role"] += 1
        elif qualifier in TIMINGS and (name in _DATE_SLOTS or qualifier == "birth"):
            kinds["timing"] += 1
        elif qualifier in SEASONS and name in _DATE_SLOTS:
            kinds["season"] += 1
        elif qualifier in HORIZONS and name in _DATE_SLOTS and "future" in qualifiers:
            kinds["horizon"] += 1
        elif qualifier == HERE and name in _DATE_SLOTS and subject == "patient":
            if set(qualifiers) & {"birth", "future", "created", "desk"}:
                # a birth, a plan, the opening and the desk's weeks are placed already
                raise TemplateError(f"'here' does not fit {where}")
            kinds["here"] += 1
        elif qualifier in TOWN_FORMS and name == "town":
            kinds["form"] += 1
        elif (qualifier == OTHER and subject == "patient") or (
            qualifier in PHONE_KINDS and subject in ("patient", "third_party") and name == "phone"
        ):
            kinds["own"] += 1
        else:
            raise TemplateError(f"qualifier {qualifier!r} does not fit {where}")
    if any(count > 1 for count in kinds.values()):
        raise TemplateError(f"conflicting qualifiers in {where}")
    if "birth" in qualifiers and name not in (*_DATE_SLOTS, "city", "surname", "nir", "town"):
        raise TemplateError(f"'birth' does not fit {where}")
    if name == "town" and subject == "relative":
        # Unlabelled, so whose town it is changes nothing: {town} is a commune nearby.
        raise TemplateError(f"write a relative's town as {{town}}, not {where}")


_DATE_SLOTS = ("date", "month_year", "year")


@dataclass(frozen=True)
class Kinship:
    """``formats/kinship.yaml``: relative roles, partners and the partner nouns."""

    roles: Mapping[str, Mapping[str, Any]]
    partners: Mapping[str, float]
    partner_nouns: Mapping[str, Mapping[str, str]]


@functools.cache
def kinship() -> Kinship:
    """The installed kinship data (roles are engine vocabulary, whatever the corpora root)."""
    from breachbench.generator.data import corpora

    document = corpora.read_yaml("formats/kinship.yaml")
    roles = document["roles"]
    for role, spec in roles.items():
        low, high = spec["years"]
        if spec["sex"] not in ("M", "F", "any", "partner") or low > high:
            raise TemplateError(f"formats/kinship.yaml: roles.{role}: bad sex or years")
        if spec["surname"] not in ("birth", "usage", "partner", "own"):
            raise TemplateError(f"formats/kinship.yaml: roles.{role}: unknown surname rule")
    for form, nouns in document["partner_nouns"].items():
        if set(nouns) != {"M", "F"}:
            raise TemplateError(f"formats/kinship.yaml: partner_nouns.{form}: needs M and F")
    return Kinship(roles, document["partners"], document["partner_nouns"])


def parse_markup(
    markup: str, *, subject: str = "patient", assertion: str = "affirmed"
) -> tuple[Piece, ...]:
    """Parse one template line into pieces, checked against the shipped taxonomy.

    ``subject`` and ``assertion`` are the entry's defaults, used by spans that omit them;
    slots take ``subject`` too but are always ``affirmed``.

    >>> [p.text or p.slot for p in parse_markup("ATCD de [viol|sexual_violence] en {year}")]
    ['ATCD de ', 'viol', ' en ', 'year']
    """
    return _parse(markup, subject, assertion, _default_vocabulary())


# --------------------------------------------------------------------------- elision

ELISION_FILE = "formats/elision.yaml"


@functools.cache
def h_aspire() -> frozenset[str]:
    """Words starting with an aspirated h, which take no elision ("de handicap")."""
    from breachbench.generator.data import corpora

    return frozenset(corpora.read_yaml(ELISION_FILE)["h_aspire"])


_ELIDING = ("de", "le", "la", "que", "ne", "je", "me", "te", "se", "lorsque", "puisque")
_ELIDABLE_RE = re.compile(r"(?:^|(?<=[\s(:/'\"-]))(" + "|".join(_ELIDING) + r")\s+$", re.IGNORECASE)
_VOWELS = set("aeiouyàâäéèêëîïôöùûüœæ")


@functools.cache  # a few thousand distinct surfaces meet every frame
def _starts_with_vowel_sound(word: str) -> bool:
    """Crude but predictable: a vowel letter, or an h that is not in :func:`h_aspire`."""
    if not word:
        return False
    first = word[0].lower()
    if first in _VOWELS:
        return True
    if first == "h":
        head = re.split(r"[\s,.;:/()'-]", word, maxsplit=1)[0].lower()
        return head not in h_aspire()
    return False


def elide(prefix: str, word: str) -> str:
    """Return ``prefix`` with a final "de", "le", "la"... elided if ``word`` calls for it.

    >>> elide("ATCD de ", "hépatite C"), elide("pas de ", "handicap")
    ("ATCD d'", 'pas de ')
    """
    elided = _elided(prefix)
    if elided is None or not _starts_with_vowel_sound(word):
        return prefix
    return elided


@functools.cache  # a few hundred distinct frame texts, each met once per surface
def _elided(prefix: str) -> str | None:
    """``prefix`` with its final article elided, or None if it ends with none."""
    match = _ELIDABLE_RE.search(prefix)
    if not match:
        return None
    return prefix[: match.start(1)] + match.group(1)[:-1] + "'"


# --------------------------------------------------------------------------- loading


class _Source:
    """Reads YAML under one corpora root; the default root goes through generator.data.corpora."""

    def __init__(self, root: Path | None) -> None:
        self.root = root

    def exists(self, relative: str) -> bool:
        return (self._root() / relative).is_file()

    def _root(self) -> Path:
        if self.root is not None:
            return self.root
        from breachbench.generator.data import corpora

        return corpora.corpora_root()

    def read(self, relative: str) -> Any:
        from breachbench.generator.data import corpora

        if self.root is None:
            return corpora.read_yaml(relative)
        try:
            return corpora.load_yaml_file(self.root / relative)
        except FileNotFoundError as error:
            raise TemplateError(f"{relative}: file not found") from error
        except yaml.YAMLError as error:
            reason = " ".join(str(error).split())
            raise TemplateError(f"{relative}: invalid YAML: {reason}") from None


@dataclass(frozen=True)
class _Eligibility:
    """Who an entry or frame fits: the patient's age range, a first year, partner states,
    the record's contacts (``needs``: has | lacks << LACKS_SHIFT), countries of birth
    (``generator.comments.births``), departments of residence (``...homes``)."""

    min_age: int = 0
    max_age: int = MAX_AGE
    since: int = 0
    partner: int = ANY_PARTNER
    until: int = NO_UNTIL
    needs: int = 0
    born: int = ANY_BIRTH
    lives: int = ANY_HOME
    min_open: int = 0
    max_open: int = MAX_OPEN

    def merge(self, other: _Eligibility) -> _Eligibility | None:
        """Both constraints at once, or None when no patient fits both."""
        merged = _Eligibility(
            max(self.min_age, other.min_age),
            min(self.max_age, other.max_age),
            max(self.since, other.since),
            self.partner & other.partner,
            min(self.until, other.until),
            self.needs | other.needs,
            self.born & other.born,
            self.lives & other.lives,
            max(self.min_open, other.min_open),
            min(self.max_open, other.max_open),
        )
        fits = merged.min_age <= merged.max_age and merged.since <= merged.until
        fits = fits and merged.min_open <= merged.max_open
        fits = (
            fits and merged.partner and _contacts_fit(merged.needs) and merged.born & _KNOWN_BIRTHS
        ) and bool(merged.lives & _KNOWN_HOMES)
        return merged if fits else None

    def fields(self) -> dict[str, int]:
        """As :class:`Template`'s fields of the same names."""
        return dict(vars(self))


def _contacts_fit(needs: int) -> bool:
    """Whether some record holds every contact of ``needs`` and none it lacks (a record
    has a phone when it has a mobile or a landline)."""
    has, lacks = needs & ~(-1 << LACKS_SHIFT), needs >> LACKS_SHIFT
    records = (
        held
        for held in range(1 << LACKS_SHIFT)
        if bool(held & NEEDS_PHONE) == bool(held & (NEEDS_MOBILE | NEEDS_HOME))
    )
    return any(has & ~held == 0 and not lacks & held for held in records)


_PARTNER_VALUES = {"any": ANY_PARTNER, "M": MALE_PARTNER, "F": FEMALE_PARTNER}


def _eligibility(entry: Mapping[str, Any], file: str, where: str) -> _Eligibility:
    """``min_age``, ``max_age``, ``since``, ``until``, ``partner``, ``has``, ``lacks``,
    ``born``, ``lives``, ``min_open`` and ``max_open`` of an entry, validated."""

    def integer(key: str, low: int, high: int, default: int) -> int:
        value = entry.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise _fail(
                file, where, f"{key} must be an integer within [{low}, {high}], got {value!r}"
            )
        return value

    min_age = integer("min_age", 0, MAX_AGE, 0)
    max_age = integer("max_age", 0, MAX_AGE, MAX_AGE)
    if min_age > max_age:
        raise _fail(file, where, f"min_age {min_age} is above max_age {max_age}")
    since = integer("since", MIN_SINCE, MAX_SINCE, MIN_SINCE) if "since" in entry else 0
    until = integer("until", MIN_SINCE, MAX_SINCE, MAX_SINCE) if "until" in entry else NO_UNTIL
    if since > until:
        raise _fail(file, where, f"since {since} is after until {until}")
    partner = str(entry.get("partner", "any"))
    if partner not in _PARTNER_VALUES:
        raise _fail(file, where, f"partner must be one of {', '.join(_PARTNER_VALUES)}")
    needs = _contact_mask(entry, "has", file, where)
    needs |= _contact_mask(entry, "lacks", file, where) << LACKS_SHIFT
    if not _contacts_fit(needs):
        raise _fail(file, where, "no record holds the contacts of both its has and lacks")
    born, lives = (
        _class_mask(entry, key, groups, file, where)
        for key, groups in (("born", load_birth_groups), ("lives", load_residence_groups))
    )
    min_open = integer("min_open", 0, MAX_OPEN, 0)
    max_open = integer("max_open", 0, MAX_OPEN, MAX_OPEN)
    if min_open > max_open:
        raise _fail(file, where, f"min_open {min_open} is above max_open {max_open}")
    return _Eligibility(
        min_age, max_age, since, _PARTNER_VALUES[partner], until, needs, born, lives,
        min_open, max_open,
    )  # fmt: skip


def _class_mask(
    entry: Mapping[str, Any], key: str, groups: Callable[[], ClassGroups], file: str, where: str
) -> int:
    """The class mask of an entry's ``born`` or ``lives`` (every class when absent)."""
    if key not in entry:
        return ANY_CLASS
    try:
        return groups().mask(entry[key])
    except ValueError as error:
        raise _fail(file, where, str(error)) from None


# Every birth class but "not known": a merge that leaves none of them fits no patient.
_KNOWN_BIRTHS = ~(1 << UNKNOWN_BIRTH)
_BORN_IN_FRANCE = 1  # birth class 0 (generator.comments.births)
_KNOWN_HOMES = ~(1 << UNKNOWN_HOME)


def _contact_mask(entry: Mapping[str, Any], key: str, file: str, where: str) -> int:
    """The NEEDS_ bits of the contacts an entry's ``has`` or ``lacks`` lists."""
    names = _as_list(entry.get(key), file, where)
    unknown = [name for name in names if name not in CONTACT_NAMES]
    if unknown:
        known = ", ".join(CONTACT_NAMES)
        raise _fail(file, where, f"{key} lists contacts among {known}, got {unknown!r}")
    mask = 0
    for name in names:
        mask |= CONTACT_NAMES[name]
    return mask


@dataclass(frozen=True)
class _Frame:
    index: int
    kind: str  # 'noun' | 'state'
    forms: Mapping[str, str]  # agreement key ('ms', 'fs', 'mp', 'fp' or 'm', 'f') -> markup
    pieces: Mapping[str, tuple[Piece, ...]]  # the same forms, parsed once
    subject: str
    assertion: str
    sex: str
    gender: str | None  # gender of the frame's subject: 'm', 'f', 'each' (states) or None
    weight: float
    tags: tuple[str, ...]
    categories: tuple[str, ...] | None  # only these sensitive categories, None for all
    eligibility: _Eligibility = _Eligibility()
    dynamic_partner: bool = False  # holds a {partner:<form>} slot
    role: str = "relative"  # a relative frame's kinship role (formats/kinship.yaml)
    # exclusion groups its templates join, as a routine note's ``group``: a frame that
    # says "tiers payant intégral" keeps "pas de tiers payant" out of its note
    groups: tuple[str, ...] = ()
    # one of the frame's wordings (its number, None when written one way only), and the
    # first form of every wording of the frame, which ``frames_exclude`` globs match
    wording: int | None = None
    all_wordings: tuple[str, ...] = ()

    @property
    def pattern_texts(self) -> tuple[str, ...]:
        """The texts ``frames_exclude`` globs match: the first form (the masculine
        singular) of each of the frame's wordings. A glob that matches one excludes the
        frame whole, so every wording of a frame takes the same facts."""
        return self.all_wordings or (next(iter(self.forms.values())),)

    @property
    def source(self) -> str:
        """The frame's part of a template's source: ``frames.noun[2]``, with the wording's
        number (``frames.noun[2]:w1``) when the frame is written several ways."""
        suffix = f":w{self.wording}" if self.wording is not None else ""
        return f"frames.{self.kind}[{self.index}]{suffix}"


def _relative_ages(own: _Eligibility, role: str, partner: int) -> _Eligibility | None:
    """The patient's ages at which a fact an entry gives to ages ``own`` fits the relative
    of ``role`` at every age the household may draw for them: the patient's age plus any
    of the years between them (formats/kinship.yaml). A mother never gets a baby's fact,
    a grandmother no pregnancy, and a father a prostate cancer only once the patient is
    old enough that even the youngest father is 20 years older (where a fact that fitted
    the oldest father the household could draw gave it to toddlers' fathers).
    None when no patient fits."""
    low, high = kinship().roles[role]["years"]
    min_age = max(0, own.min_age + int(high)) if own.min_age > 0 else 0
    max_age = min(MAX_AGE, own.max_age + int(low)) if own.max_age < MAX_AGE else MAX_AGE
    if min_age > max_age:
        return None
    return _Eligibility(
        min_age, max_age, own.since, partner, own.until,
        min_open=own.min_open, max_open=own.max_open,
    )  # fmt: skip


@functools.cache
def _role_words() -> re.Pattern[str]:
    """A word of ``formats/kinship.yaml`` ``words`` ending a phrase's text before a span
    ("sœur ", "mère : "), its role by group name."""
    alternatives = "|".join(
        f"(?P<{role}>{'|'.join(map(re.escape, spec['words']))})"
        for role, spec in kinship().roles.items()
        if spec.get("words")
    )
    return re.compile(rf"(?:^|[\s(])(?:{alternatives}) ?(?:: ?)?$", re.IGNORECASE)


def _role_named(text: str) -> str | None:
    """The kinship role whose word ends ``text`` (see :func:`_role_words`), or None."""
    match = _role_words().search(text)
    return match.lastgroup if match else None


def _fail(file: str, where: str, message: str) -> TemplateError:
    return TemplateError(f"{file}: {where}: {message}")


def _as_list(value: Any, file: str, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _fail(file, where, f"expected a list, got {type(value).__name__}")
    return value


def _weight(entry: Mapping[str, Any], file: str, where: str) -> float:
    value = entry.get("weight", 1.0)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise _fail(file, where, f"weight must be a positive number, got {value!r}")
    return float(value)


def _load_zipf(source: _Source) -> float:
    """The exponent ``zipf`` of ``comments/frequencies.yaml``: how fast rank lowers a
    lexicon entry's frequency (:func:`_rank_weights`)."""
    file = _FREQUENCIES_FILE.removeprefix("comments/")
    document = source.read(_FREQUENCIES_FILE)
    value = document.get("zipf") if isinstance(document, Mapping) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= MAX_ZIPF:
        raise _fail(file, "zipf", f"must be a number within [0, {MAX_ZIPF:g}], got {value!r}")
    return float(value)


def _rank_weights(raws: list[Any], zipf: float, file: str, key: str) -> list[float]:
    """The frequency of each entry of a ``cores`` or ``states`` list, from its rank.

    Real notes' vocabulary is long-tailed: a practice writes "VIH", "séropo", "hépatite C"
    all the time and "Juluca" once in a while. The lists are written most common first
    (the canonical forms, then rarer ones added for coverage), so the entry at rank ``r``
    (1-based) weighs ``1 / r**zipf`` (Zipf's law), unless it says ``w:`` (same units: the
    first entry weighs 1). The weights are scaled to average 1 over the list, so that the
    list as a whole keeps its share of the category (cores against states against
    phrases); an entry's ``weight`` and its frames' weights multiply on top, as before.

    Cores and states only: they are word variants of one fact ("VIH", "HIV", "infection
    VIH"; "séropositif", "séropo"), the vocabulary Zipf's law describes. Phrases are whole
    notes, each a situation of its own written in no order of frequency, and frames,
    routine notes, hard negatives and identifier layouts are the notes' structure, not
    lexical variants: they keep their plain weights. The weights live in the templates'
    ``weight``, so they reach the compiled alias tables once at load time (no per-row
    cost); a split or an eligibility filter, which drop templates, renormalise them over
    what is left.
    """
    weights = []
    for index, raw in enumerate(raws):
        w = raw.get("w") if isinstance(raw, Mapping) else None
        if w is None:
            weights.append((index + 1) ** -zipf)
            continue
        if isinstance(w, bool) or not isinstance(w, (int, float)) or not 0 < w < math.inf:
            raise _fail(file, f"{key}[{index}]", f"w must be a positive number, got {w!r}")
        weights.append(float(w))
    mean = sum(weights) / len(weights) if weights else 1.0
    return [w / mean for w in weights]


def _tags(entry: Mapping[str, Any], file: str, where: str) -> tuple[str, ...]:
    tags = _as_list(entry.get("tags"), file, where)
    if not all(isinstance(t, str) and t for t in tags):
        raise _fail(file, where, f"tags must be non-empty strings, got {tags!r}")
    return tuple(tags)


def _sex(entry: Mapping[str, Any], file: str, where: str, default: str = "any") -> str:
    sex = str(entry.get("sex", default))
    if sex not in SEXES:
        raise _fail(file, where, f"sex must be one of {', '.join(SEXES)}, got {sex!r}")
    return sex


_FEMALE_TITLES = ("Mme ", "Madame ", "Mlle ", "Mme. ")
_MALE_TITLES = ("M. ", "Monsieur ", "Mr ")


def _constrained(template: Template) -> Template:
    """The template with what its pieces imply about the patient added to its constraints.

    A relative role needs a patient old enough to have that relative; a partner (noun or
    role) needs a patient with a partner; the patient's own phone or email needs the
    record to have one; a title before the patient's own surname fixes the sex.
    """
    roles = kinship().roles
    min_age, partner, needs, sex = template.min_age, template.partner, template.needs, template.sex
    min_open = template.min_open
    if early_dated(template):
        min_age += EARLY_ROOM_YEARS
    previous = ""
    for piece in template.pieces:
        qualifiers = piece.role.split(":") if piece.role else []
        if HERE in qualifiers and set(qualifiers) & {"early", "middle"}:
            min_open = max(min_open, HERE_ROOM_YEARS)
        if piece.slot == PARTNER_SLOT:
            partner &= MALE_PARTNER | FEMALE_PARTNER
        elif piece.slot and piece.subject == "relative":
            role = next((q for q in qualifiers if q in roles), "relative")
            min_age = max(min_age, int(roles[role]["min_patient_age"]))
            if role == "partner":
                partner &= MALE_PARTNER | FEMALE_PARTNER
        elif piece.slot and piece.subject == "patient" and OTHER not in qualifiers:
            if piece.slot == "phone":
                needs |= {"mobile": NEEDS_MOBILE, "home": NEEDS_HOME}.get(
                    next((q for q in qualifiers if q in PHONE_KINDS), ""), NEEDS_PHONE
                )
            elif piece.slot == "email":
                needs |= NEEDS_EMAIL
            elif piece.slot in ("surname", "full_name") and "birth" not in qualifiers:
                titled = "F" if previous.endswith(_FEMALE_TITLES) else None
                titled = "M" if previous.endswith(_MALE_TITLES) else titled
                if titled is not None:
                    merged = _merge_sex(sex, titled)
                    if merged is None:
                        raise TemplateError(
                            f"{template.source}: title {previous!r} contradicts sex {sex}"
                        )
                    sex = merged
        previous = piece.text if piece.slot is None else ""
    if any(p.slot is None and _GRANDCHILD_WORD.search(p.text) for p in template.pieces):
        # "signalement au procureur pour le petit-fils" named a grandchild at 16
        min_age = max(min_age, int(roles["grandson"]["min_patient_age"]))
    if min_age > template.max_age or not partner or not _contacts_fit(needs):
        raise TemplateError(f"{template.source}: no patient fits its roles, ages and contacts")
    if min_open > template.max_open:
        raise TemplateError(f"{template.source}: its visits here need a record open longer")
    template = replace(
        template, min_age=min_age, partner=partner, needs=needs, sex=sex,
        more_groups=_kin_groups(template), min_open=min_open,
    )  # fmt: skip
    return _partner_words(template)


# A grandchild named by a literal word ("petit-fils", "petite-fille", "petits-enfants"):
# the patient is as old as the grandson role asks (formats/kinship.yaml), as a slot of it
# would make them. "petite fille" without the hyphen is a little girl, not a grandchild.
_GRANDCHILD_WORD = re.compile(r"(?<![\w-])petite?s?-(?:fils|filles?|enfants)\b", re.IGNORECASE)


@functools.cache
def _kin_mentions() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """(role, pattern) of the roles of ``formats/kinship.yaml`` that list ``mentions``."""
    return tuple(
        (role, re.compile(spec["mentions"], re.IGNORECASE))
        for role, spec in kinship().roles.items()
        if spec.get("mentions")
    )


def _kin_groups(template: Template) -> tuple[str, ...]:
    """The template's further groups with ``kin:<role>`` for each relative it names by
    a word or a slot of ``formats/kinship.yaml`` ``mentions``: a note says one thing
    about its mother, so a dead mother is never beside a living one."""
    groups = list(template.more_groups)
    text = "".join(p.text or "" for p in template.pieces)
    roles = {
        q
        for p in template.pieces
        if p.slot and p.subject == "relative" and p.role
        for q in p.role.split(":")
    }
    if any(p.slot == PARTNER_SLOT for p in template.pieces):  # {partner:son_conjoint}
        roles.add("partner")
    for role, pattern in _kin_mentions():
        group = f"kin:{role}"
        if (role in roles or pattern.search(text)) and group not in (template.group, *groups):
            groups.append(group)
    return tuple(groups)


# A partner named by a literal noun ("battu par sa compagne", "son mari l'accompagne"):
# the patient has one, of that sex. Former partners ("ex-mari") only need an adult.
_PARTNER_WORD = re.compile(
    r"(?<![\w-])(?:(?P<ex>ex-)|(?:son|sa|mon|ma|le|la|du) )?"
    r"(?:(?P<f>compagne|femme|épouse|conjointe|copine)|(?P<m>compagnon|mari|conjoint|copain))\b"
    r"(?! du Devoir| de (?:route|chambre|voyage|ménage))",
    re.IGNORECASE,
)
_PARTNER_MIN_AGE = 18


def _partner_words(template: Template) -> Template:
    """What a literal partner noun implies: an adult patient with a partner of that sex.

    A noun with a determiner ("sa femme") or a bare one other than "femme" counts; said of a
    partner of the patient's own sex it must be a ``sexual_orientation`` span (TAXONOMY.md,
    the partner exception): unlabelled, the template only fits the other sex.
    """
    min_age, partner, sex = template.min_age, template.partner, template.sex
    for piece in template.pieces:
        if piece.slot is not None:
            continue
        for match in _PARTNER_WORD.finditer(piece.text):
            noun = (match.group("f") or match.group("m")).lower()
            possessive = match.group(0).lower() != noun
            if not (match.group("ex") or possessive or noun not in ("femme", "copine", "copain")):
                continue
            min_age = max(min_age, _PARTNER_MIN_AGE)
            if match.group("ex") or piece.subject not in (None, "patient", "relative"):
                continue
            noun_sex = "F" if match.group("f") else "M"
            partner &= FEMALE_PARTNER if noun_sex == "F" else MALE_PARTNER
            if piece.category != "sexual_orientation":
                other = "M" if noun_sex == "F" else "F"
                sex = _merge_sex(sex, other) or ""
    if min_age > template.max_age or not sex:
        # Unreachable as written (a child's partner, an unlabelled same-sex partner): the
        # engine never draws it; the lexicon's owner is told by tests/test_coherence.py.
        return replace(template, min_age=min_age, partner=0)
    return replace(template, min_age=min_age, partner=partner, sex=sex)


def _entry(raw: Any, file: str, where: str, text_key: str = "text") -> dict[str, Any]:
    """Entries are a bare string (the text) or a mapping; normalise to a mapping."""
    if isinstance(raw, str):
        return {text_key: raw}
    if isinstance(raw, Mapping):
        return dict(raw)
    raise _fail(file, where, f"expected a string or a mapping, got {type(raw).__name__}")


def _merge_sex(a: str, b: str) -> str | None:
    """The sex both constraints allow, or None when they conflict."""
    if a == "any":
        return b
    if b in ("any", a):
        return a
    return None


def _merge_assertion(frame: str, entry: str) -> str | None:
    """A frame's assertion wins over an affirmed entry; two different non-affirmed conflict."""
    if entry == "affirmed":
        return frame
    if frame in ("affirmed", entry):
        return entry
    return None


def _derived_tags(pieces: Iterable[Piece], vocabulary: Taxonomy) -> set[str]:
    tags: set[str] = set()
    for piece in pieces:
        if piece.category in vocabulary.sensitive:
            tags.update({piece.subject, piece.assertion} & _ATTRIBUTE_TAGS)  # type: ignore[arg-type]
    return tags


def _load_frames(source: _Source, vocabulary: Taxonomy) -> dict[str, list[_Frame]]:
    file = _FRAMES_FILE
    document = source.read(file)
    if not isinstance(document, Mapping):
        raise _fail(file, "top level", "expected a mapping with 'noun' and 'state'")
    frames: dict[str, list[_Frame]] = {}
    for kind, keys in (("noun", ("ms", "fs", "mp", "fp")), ("state", ("m", "f"))):
        frames[kind] = []
        for index, raw in enumerate(_as_list(document.get(kind), file, kind)):
            where = f"{kind}[{index}]"
            entry = _entry(raw, file, where)
            wordings = _frame_wordings(entry.get("text"), keys, file, where)
            subject = str(entry.get("subject", "patient"))
            assertion = str(entry.get("assertion", "affirmed"))
            parsings = []
            for forms in wordings:
                try:
                    _check_attributes(subject, assertion, vocabulary, "frame")
                    parsed = {
                        key: _parse(form, subject, assertion, vocabulary, allow_fact=True)
                        for key, form in forms.items()
                    }
                except TemplateError as error:
                    raise _fail(file, where, str(error)) from None
                for key, pieces in parsed.items():
                    if sum(p.slot == FACT for p in pieces) != 1:
                        raise _fail(file, where, f"needs exactly one {{fact}}: {forms[key]!r}")
                parsings.append(parsed)
            gender = entry.get("gender")
            allowed = ("m", "f", "each") if kind == "state" else ("m", "f")
            if gender is not None and gender not in allowed:
                raise _fail(file, where, f"gender must be one of {allowed}, got {gender!r}")
            if kind == "state" and gender is None:
                raise _fail(file, where, "state frames need a gender (m, f or each)")
            if gender == "each" and subject != "patient":
                raise _fail(file, where, "gender 'each' is only for patient frames")
            default_sex = "any"
            if subject == "patient" and gender in ("m", "f"):
                default_sex = gender.upper()
            sex = _sex(entry, file, where, default_sex)
            if subject == "patient" and gender in ("m", "f") and sex != gender.upper():
                raise _fail(file, where, f"sex {sex} contradicts gender {gender}")
            role = str(entry.get("role", "relative"))
            if role not in kinship().roles or (role != "relative" and subject != "relative"):
                raise _fail(file, where, f"role must be a relative frame's kinship role: {role!r}")
            groups = _groups_of(entry, file, where)
            several = len(wordings) > 1
            if several:
                # One frame, several ways to write it: a note says it once, in one of them.
                groups = (*groups, f"wordings of frames.{kind}[{index}]")
            tags = _tags(entry, file, where)
            categories = _frame_categories(entry, file, where, vocabulary)
            eligibility = _eligibility(entry, file, where)
            weight = _weight(entry, file, where) / len(wordings)
            firsts = tuple(next(iter(forms.values())) for forms in wordings)
            for number, (forms, parsed) in enumerate(zip(wordings, parsings, strict=True)):
                frames[kind].append(
                    _Frame(
                        index=index,
                        kind=kind,
                        forms=forms,
                        pieces=parsed,
                        subject=subject,
                        assertion=assertion,
                        sex=sex,
                        gender=gender,
                        weight=weight,
                        tags=tags,
                        categories=categories,
                        eligibility=eligibility,
                        dynamic_partner=any(
                            p.slot == PARTNER_SLOT for form in parsed.values() for p in form
                        ),
                        role=role,
                        groups=groups,
                        wording=number if several else None,
                        all_wordings=firsts if several else (),
                    )
                )
    return frames


#: Most wordings one frame may expand to. Every wording of a frame meets every core or
#: state that fits it (a story frame fits hundreds), so a frame's wordings multiply the
#: templates, the cold load and the compiled tables: fewer than an entry's 24.
MAX_FRAME_WORDINGS = 8


def _frame_wordings(
    text: Any, keys: tuple[str, ...], file: str, where: str
) -> list[dict[str, str]]:
    """A frame's ``text``: one wording or a list of them, each a string or its agreement
    forms (``keys``), in which ``((a|b))`` writes one of its alternatives, as an entry's
    (:func:`_wordings`). The forms of one wording expand together: their ``(( ))`` must
    offer the same number of alternatives, the n-th form of each written with the n-th.
    """
    written = text if isinstance(text, list) else [text]
    if not written:
        raise _fail(file, where, "missing 'text'")
    wordings: list[dict[str, str]] = []
    for wording in written:
        if isinstance(wording, Mapping):
            if set(wording) != set(keys):
                raise _fail(file, where, f"agreement forms must be exactly {keys}")
            if not all(isinstance(wording[k], str) and wording[k].strip() for k in keys):
                raise _fail(file, where, f"agreement forms must be non-empty strings: {wording!r}")
            expanded = {k: _alternatives(wording[k], file, where) for k in keys}
            if len({len(v) for v in expanded.values()}) > 1:
                raise _fail(file, where, f"agreement forms with different (( )): {wording!r}")
            together = zip(*expanded.values(), strict=True)
            wordings += [dict(zip(keys, texts, strict=True)) for texts in together]
        elif isinstance(wording, str) and wording.strip():
            wordings += [{"": w} for w in _alternatives(wording, file, where)]
        else:
            raise _fail(file, where, "missing 'text'")
    firsts = [tuple(w.values()) for w in wordings]
    if len(set(firsts)) < len(firsts):
        raise _fail(file, where, f"the same wording twice: {written!r}")
    if len(wordings) > MAX_FRAME_WORDINGS:
        raise _fail(
            file, where, f"{len(wordings)} wordings, more than {MAX_FRAME_WORDINGS} for a frame"
        )
    return wordings


def _groups_of(entry: Mapping[str, Any], file: str, where: str) -> tuple[str, ...]:
    """A frame's or a sensitive phrase's ``group``: a name or a list of names, as a
    routine note's: the exclusion groups its templates join."""
    groups = entry.get("group", [])
    groups = [groups] if isinstance(groups, str) else _as_list(groups, file, where)
    if not all(isinstance(g, str) and g for g in groups):
        raise _fail(file, where, f"group must be a name or a list of names, got {groups!r}")
    return tuple(groups)


def _frame_categories(
    entry: Mapping[str, Any], file: str, where: str, vocabulary: Taxonomy
) -> tuple[str, ...] | None:
    if "categories" not in entry:
        return None
    categories = tuple(str(c) for c in _as_list(entry["categories"], file, where))
    unknown = [c for c in categories if c not in vocabulary.sensitive]
    if unknown or not categories:
        raise _fail(file, where, f"categories must be sensitive categories, got {unknown}")
    return categories


def _excluded(frame: _Frame, patterns: Iterable[str]) -> bool:
    """``frames_exclude`` items: globs on the frame text, or ``tag:<tag>``."""
    for pattern in patterns:
        if pattern.startswith("tag:"):
            if pattern[4:] in frame.tags or pattern[4:] in {frame.subject, frame.assertion}:
                return True
        elif any(fnmatch.fnmatchcase(text, pattern) for text in frame.pattern_texts):
            return True
    return False


_MARKED = re.compile(r"^([^\[\]]*)\[([^\[\]|]+)\]([^\[\]]*)$")


def _marked(surface: str) -> tuple[str, str, str]:
    """Split a core or state text into (context before, labelled words, context after).

    The annotation guidelines label a drug or a service by its name alone ("sous
    [Truvada]", "suivi au [CSAPA]"): the words in brackets are the span, the rest is
    unlabelled text that still travels with the core through every frame. A text with
    no brackets is labelled whole.
    """
    if "[" not in surface and "]" not in surface:
        return "", surface, ""
    match = _MARKED.match(surface)
    if match is None:
        raise TemplateError(f"mark one labelled part as 'context [words] context': {surface!r}")
    before, label, after = match.groups()
    if not label.strip() or label != label.strip():
        raise TemplateError(f"empty or space-padded labelled part in {surface!r}")
    return before, label, after


def _fill(
    frame: tuple[Piece, ...], surface: str, category: str, subject: str, assertion: str
) -> tuple[Piece, ...]:
    """Put ``surface`` where ``{fact}`` is, eliding the word before it.

    Only the bracketed part of ``surface`` (:func:`_marked`) is labelled; its unlabelled
    context merges with the frame's literals, so adjacent literals stay merged.
    """
    context_before, label, context_after = _marked(surface)
    pieces = list(frame)
    at = next(i for i, p in enumerate(pieces) if p.slot == FACT)
    out = pieces[:at]
    if out and out[-1].category is None and out[-1].slot is None:
        out[-1] = Piece(elide(out[-1].text, context_before + label), None, None, None, None)
    if context_before:
        if out and out[-1].category is None and out[-1].slot is None:
            out[-1] = Piece(out[-1].text + context_before, None, None, None, None)
        else:
            out.append(Piece(context_before, None, None, None, None))
    out.append(Piece(label, None, category, subject, assertion))
    after = pieces[at + 1 :]
    if context_after:
        if after and after[0].category is None and after[0].slot is None:
            after[0] = Piece(context_after + after[0].text, None, None, None, None)
        else:
            after.insert(0, Piece(context_after, None, None, None, None))
    return tuple(out + after)


_MARKUP_SPAN = re.compile(r"\[([^\[\]|]*)(?:\|[^\[\]]*)?\]")


def plain_text(markup: str) -> str:
    """An entry's text without brackets and span markup: how ``age_floors.yaml`` names it."""
    return _MARKUP_SPAN.sub(r"\1", markup).replace("\\", "").strip()


@dataclass
class _AgeFloors:
    """One category of ``comments/age_floors.yaml``: the default floor and the listed
    entries' own, with the listed texts not yet met (each must name an entry)."""

    default: int
    listed: dict[str, int]
    unmet: set[str]
    #: Youngest age at which a dated fact of the category starts ("musulman depuis
    #: 2018", "gens du voyage depuis 2025"): a frame dating the patient's fact raises
    #: the template's min_age, and so its date's window, to it.
    dated: int = 0
    #: Facts dated from another age than ``dated`` ("TSA depuis {year}" from 3, a
    #: screening "dépistage VIH en {year}" from 15), by the same plain text.
    dated_listed: dict[str, int] | None = None
    #: Facts that do not last (an event, a course of weeks: "IVG", "chimio", "garde à
    #: vue"): they take no frame tagged ``lasting`` ("{fact} depuis {year}").
    brief: frozenset[str] = frozenset()
    #: Facts that never end (HIV, type 1 diabetes, autism, a bipolar disorder): they take
    #: no frame tagged ``ended`` ("plus de {fact} depuis {year}", "ancien {fact}").
    lifelong: frozenset[str] = frozenset()
    #: Youngest patient whose fact of the category is written denied ("absence de viol",
    #: "pas d'ATCD d'agression sexuelle"): a desk writes no denial of rape about a child.
    negated: int = 0
    #: Facts denied from another age than ``negated`` ("pas d'allergie à l'œuf" fits a
    #: toddler where "jamais de lymphome" does not), by the same plain text.
    negated_listed: dict[str, int] | None = None
    #: Facts one is born with (cerebral palsy, trisomy 21, cystic fibrosis): they take no
    #: frame that dates the patient's fact ("IMC depuis 2010" for a boy born in 2000).
    congenital: frozenset[str] = frozenset()
    #: Facts someone dies of (a cancer, a heart attack, cirrhosis, AIDS, an overdose):
    #: the only ones frames tagged ``death`` take ("père décédé de {fact}"), not "père
    #: décédé d'herpès génital" or "d'hypothyroïdie".
    lethal: frozenset[str] = frozenset()
    #: Oldest person a fact of the category is written about, when the entry writes no
    #: ``max_age`` of its own: a drug user's substitution or a chlamydia is no one's of 85,
    #: a patient's or a relative's (``MAX_AGE``: no ceiling).
    ceiling: int = MAX_AGE
    #: Facts whose ceiling differs from ``ceiling``, by the same plain text.
    ceiling_listed: dict[str, int] | None = None
    #: Facts that leave the person unable to act for someone else (trisomy 21, dementia,
    #: a stay in hospital): they take no frame tagged ``acts`` ("{fact} chez la sœur, qui
    #: vient parfois à sa place").
    dependent: frozenset[str] = frozenset()
    #: Facts of childhood ("maltraitance infantile", "viol à l'adolescence"): a frame
    #: dating the patient's fact is written only while the patient is a minor, so its
    #: date falls in childhood ("maltraitance infantile en 1984" at 35 is not written).
    childhood: frozenset[str] = frozenset()
    #: Facts that say the person is held in prison now ("incarcéré", "en détention"):
    #: the patient's affirmed one is tagged ``held`` (a side of ``comments/clashes.yaml``)
    #: and takes the frames tagged ``prison``.
    held: frozenset[str] = frozenset()
    #: Youngest patient whose relative's (or a third party's) fact of the category a
    #: note writes bare, in a frame or a phrase not tagged ``stake`` (nor ``death`` for a
    #: frame: "père sous PrEP" in a baby's note says nothing of the baby): 0 where it
    #: fits every age.
    kin: int = 0
    #: Facts written bare about someone else from another age than ``kin``.
    kin_listed: dict[str, int] | None = None
    #: Someone else's facts that bear on a child (a mother's HIV, a father's violence or
    #: prison): the only ones frames tagged ``stake`` take ("{fact} chez la mère : suivi
    #: sérologique de l'enfant"); a category that lists none takes no such frame.
    bears: frozenset[str] = frozenset()

    def floor(self, text: str) -> int:
        self.unmet.discard(text)
        return self.listed.get(text, self.default)

    def ceiling_of(self, text: str) -> int:
        """The oldest person ``text`` is written about (and marks it met)."""
        self.unmet.discard(f"ceiling: {text}")
        return (self.ceiling_listed or {}).get(text, self.ceiling)

    def negated_floor(self, text: str) -> int:
        """The youngest patient whose ``text`` is written denied (and marks it met)."""
        self.unmet.discard(f"negated: {text}")
        return (self.negated_listed or {}).get(text, self.negated)

    def dated_floor(self, text: str) -> int:
        """The youngest age at which ``text`` is dated (and marks it met)."""
        self.unmet.discard(f"dated: {text}")
        return (self.dated_listed or {}).get(text, self.dated)

    def lasts(self, text: str) -> bool:
        """False for a listed brief fact (and marks it met)."""
        self.unmet.discard(f"brief: {text}")
        return text not in self.brief

    def datable(self, text: str) -> bool:
        """False for a listed congenital fact (and marks it met)."""
        self.unmet.discard(f"congenital: {text}")
        return text not in self.congenital

    def ends(self, text: str) -> bool:
        """False for a listed lifelong fact (and marks it met)."""
        self.unmet.discard(f"lifelong: {text}")
        return text not in self.lifelong

    def acts(self, text: str) -> bool:
        """False for a listed dependent fact (and marks it met)."""
        self.unmet.discard(f"dependent: {text}")
        return text not in self.dependent

    def holds(self, text: str) -> bool:
        """True for a listed fact of one held in prison now (and marks it met)."""
        self.unmet.discard(f"held: {text}")
        return text in self.held

    def kills(self, text: str) -> bool:
        """True for a listed lethal fact (and marks it met)."""
        self.unmet.discard(f"lethal: {text}")
        return text in self.lethal

    def kin_floor(self, text: str) -> int:
        """The youngest patient whose relative's ``text`` is written bare (and marks it met)."""
        self.unmet.discard(f"kin: {text}")
        return (self.kin_listed or {}).get(text, self.kin)

    def bears_on_child(self, text: str) -> bool:
        """True for a listed fact that bears on a child (and marks it met)."""
        self.unmet.discard(f"bears: {text}")
        return text in self.bears

    def of_childhood(self, text: str) -> bool:
        """True for a listed fact of childhood (and marks it met)."""
        self.unmet.discard(f"childhood: {text}")
        return text in self.childhood


def _load_age_floors(source: _Source, vocabulary: Taxonomy) -> dict[str, _AgeFloors]:
    """``comments/age_floors.yaml`` by category, validated; empty when a corpora has none."""
    file = _AGE_FLOORS_FILE
    if not source.exists(file):
        return {}
    document = source.read(file) or {}
    if not isinstance(document, Mapping):
        raise _fail(file, "top level", "expected a mapping of sensitive categories")
    floors: dict[str, _AgeFloors] = {}
    for category, raw in document.items():
        if category not in vocabulary.sensitive or not isinstance(raw, Mapping):
            raise _fail(file, str(category), "expected a sensitive category with a default")
        default = raw.get("default")
        if isinstance(default, bool) or not isinstance(default, int) or not 0 <= default <= MAX_AGE:
            raise _fail(file, f"{category}.default", f"must be an age, got {default!r}")
        listed = _listed_ages(raw.get("fits"), file, f"{category}.fits")
        dated, dated_listed = _ages_by_fact(raw.get("dated", 0), file, f"{category}.dated")
        negated, negated_listed = _ages_by_fact(raw.get("negated", 0), file, f"{category}.negated")
        ceiling, ceiling_listed = _ages_by_fact(
            raw.get("ceiling", MAX_AGE), file, f"{category}.ceiling"
        )
        kin, kin_listed = _ages_by_fact(raw.get("kin", 0), file, f"{category}.kin")
        # Lists of facts by plain text; each must name an entry (``unmet`` until one does).
        brief, lifelong, congenital, lethal, dependent, childhood, held, bears = (
            frozenset(str(t) for t in _as_list(raw.get(key), file, f"{category}.{key}"))
            for key in (
                "brief", "lifelong", "congenital", "lethal", "dependent", "childhood", "held",
                "bears",
            )
        )  # fmt: skip
        named = {
            "childhood": childhood,
            "brief": brief,
            "congenital": congenital,
            "lifelong": lifelong,
            "lethal": lethal,
            "dependent": dependent,
            "held": held,
            "bears": bears,
            "kin": kin_listed,
            "negated": negated_listed,
            "dated": dated_listed,
            "ceiling": ceiling_listed,
        }
        unmet = set(listed) | {f"{key}: {text}" for key, texts in named.items() for text in texts}
        floors[str(category)] = _AgeFloors(
            default,
            listed,
            unmet,
            dated,
            dated_listed,
            brief,
            lifelong,
            negated,
            negated_listed,
            congenital,
            lethal,
            ceiling,
            ceiling_listed,
            dependent,
            childhood,
            held,
            kin,
            kin_listed,
            bears,
        )
    return floors


def _ages_by_fact(raw: Any, file: str, where: str) -> tuple[int, dict[str, int]]:
    """An age of ``age_floors.yaml`` (``dated``, ``negated``), or ``{default: AGE, fits:
    {AGE: [texts]}}`` when some facts of the category take another: (default, listed)."""
    listed: dict[str, int] = {}
    if isinstance(raw, Mapping):  # {default: 12, fits: {0: [allergie à l'œuf]}}
        extra = sorted(set(raw) - {"default", "fits"})
        if extra:
            raise _fail(file, where, f"unknown keys {extra} (default, fits)")
        listed = _listed_ages(raw.get("fits"), file, f"{where}.fits")
        raw = raw.get("default", 0)
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= MAX_AGE:
        raise _fail(file, where, f"must be an age, got {raw!r}")
    return raw, listed


def _listed_ages(raw: Any, file: str, where: str) -> dict[str, int]:
    """``{age: [text, ...]}`` of ``age_floors.yaml`` as text -> age, validated."""
    listed: dict[str, int] = {}
    for age, texts in (raw or {}).items():
        if isinstance(age, bool) or not isinstance(age, int) or not 0 <= age <= MAX_AGE:
            raise _fail(file, where, f"keys must be ages, got {age!r}")
        for text in _as_list(texts, file, f"{where}.{age}"):
            if str(text) in listed:
                raise _fail(file, where, f"{text!r} listed twice")
            listed[str(text)] = age
    return listed


# An entry that says it is under way ("[chimio] en cours", "régularisation en cours") is
# no past fact: it takes no frame that makes it historical ("Chimio en cours il y a
# quelques années", "ATCD de chimio en cours": a reading of seed 4242).
_UNDER_WAY = re.compile(r"\ben cours\b")
# Frames tagged `childhood` date a fact to the patient's childhood: only facts that fit
# a child of this age or younger go into them.
_CHILDHOOD = 12
# Frames tagged `years_ago` ("{fact} il y a des années") put the fact at least this many
# years back: the patient is that much older than the fact's youngest age.
_YEARS_AGO = 5
# A template with an early date ("incarcéré de {year|patient:early} à {year|patient:middle}",
# "{fact} découvert en {year|patient:early}, dernier bilan en ...") puts it before the
# middle and recent windows (generator.comments.slots). Its patient is this many years
# older than its floor, so that the early date keeps the floor (it fell up to two years
# under it where the windows lacked room: "délégué CGT depuis 2014" for a man of 16 then).
EARLY_ROOM_YEARS = 4
# Frames tagged `ended` that date the end ("plus de {fact} depuis {year}") put it at least
# this many years after the fact's youngest age: the fact began, then lasted ("plus de
# chimio depuis 2019" for a boy born in 2019, a reading of issue 9).
ENDED_AFTER_YEARS = 2
# The oldest a patient is while a minor (France's majority is at 18): a fact of childhood
# (age_floors.yaml ``childhood``) is dated only in a minor's note.
MINOR_MAX_AGE = 17


def early_dated(template: Template) -> bool:
    """Whether a template writes an early date of the patient's (``{year|patient:early}``)."""
    return any(
        p.slot in _DATE_SLOTS and p.subject == "patient" and "early" in p.role.split(":")
        for p in template.pieces
    )


def _dates_patient(frame: _Frame) -> bool:
    """Whether a frame dates the patient's fact (a patient date slot other than a birth)."""
    return any(
        p.slot in _DATE_SLOTS and p.subject == "patient" and "birth" not in p.role.split(":")
        for pieces in frame.pieces.values()
        for p in pieces
    )


class _SensitiveLoader:
    """Expands one ``sensitive/<category>.yaml`` against the frames."""

    def __init__(
        self,
        category: str,
        document: Mapping[str, Any],
        frames: Mapping[str, list[_Frame]],
        vocabulary: Taxonomy,
        zipf: float = 1.0,
        floors: _AgeFloors | None = None,
        clashes: _ClashTable | None = None,
    ) -> None:
        self.category = category
        self.zipf = zipf
        self.floors = floors
        self.clashes = clashes
        self.file = f"sensitive/{category}.yaml"
        self.document = document
        self.frames = frames
        self.vocabulary = vocabulary
        self.excluded = [
            str(p) for p in _as_list(document.get("frames_exclude"), self.file, "frames_exclude")
        ]
        # Most entries of a file share their exclusions, and every entry meets every
        # frame: globbing once per (frame, exclusions) spares ~100k fnmatch calls.
        self._exclusions: dict[tuple[str, int, tuple[str, ...]], bool] = {}

    def templates(self) -> Iterator[Template]:
        declared = self.document.get("category")
        if declared != self.category:
            raise _fail(self.file, "category", f"must be {self.category!r}, got {declared!r}")
        yield from self._cores()
        yield from self._states()
        yield from self._phrases()
        if self.floors is not None and self.floors.unmet:
            unmet = ", ".join(repr(t) for t in sorted(self.floors.unmet))
            raise TemplateError(
                f"{_AGE_FLOORS_FILE}: {self.category}: no entry of {self.file} reads {unmet}"
            )

    def _make(
        self, pieces: tuple[Piece, ...], sex: str, weight: float,
        tags: Iterable[str], source: str, where: str,
        eligibility: _Eligibility = _Eligibility(), more_groups: tuple[str, ...] = (),
    ) -> Template:  # fmt: skip
        if not any(p.category == self.category for p in pieces):
            text = "".join(p.text or "{" + str(p.slot) + "}" for p in pieces)
            raise _fail(self.file, where, f"no span of category {self.category!r}: {text!r}")
        all_tags = set(tags) | _derived_tags(pieces, self.vocabulary)
        if _HELD_FACT in all_tags:
            all_tags.discard(_HELD_FACT)
            if any(
                p.category == self.category and p.subject == "patient" and p.assertion == "affirmed"
                for p in pieces
            ):  # the patient in prison now
                all_tags.add(HELD_TAG)
        facts = {t for t in all_tags if t.startswith(_CLASH_FACT)}
        if facts:  # the patient's own fact, said as the side reads it (in a wheelchair)
            all_tags -= facts
            own = [p for p in pieces if p.category == self.category and p.subject == "patient"]
            assertions = {p.assertion for p in own}
            for fact in facts:
                side = CLASH_TAG + fact[len(_CLASH_FACT) :]
                if assertions & self.clashes.assertions[side]:
                    all_tags.add(side)
        try:
            return _constrained(
                Template(
                    family="sensitive",
                    category=self.category,
                    pieces=pieces,
                    sex=sex,
                    weight=weight,
                    tags=tuple(sorted(all_tags)),
                    source=source,
                    **eligibility.fields(),
                    group=STORY_GROUP if all_tags & _STORY_TAGS else "",
                    more_groups=more_groups,
                )
            )
        except TemplateError as error:
            raise _fail(self.file, where, str(error)) from None

    def _entry_fields(self, raw: Any, where: str, text_key: str = "text") -> dict[str, Any]:
        entry = _entry(raw, self.file, where, text_key)
        assertion = str(entry.get("assertion", "affirmed"))
        subject = str(entry.get("subject", "patient"))
        try:
            _check_attributes(subject, assertion, self.vocabulary, "entry")
        except TemplateError as error:
            raise _fail(self.file, where, str(error)) from None
        entry["assertion"], entry["subject"] = assertion, subject
        entry["sex"] = _sex(entry, self.file, where)
        entry["weight"] = _weight(entry, self.file, where)
        entry["tags"] = _tags(entry, self.file, where)
        entry["eligibility"] = _eligibility(entry, self.file, where)
        # A core's or state's own exclusion groups, joined in every frame it fills ("hébergé
        # au 115" and "hébergé chez un ami" are two lodgings: one note holds one).
        entry["groups"] = _groups_of(entry, self.file, where)
        entry["age_floor"] = entry["negated_floor"] = entry["dated_floor"] = 0
        entry["kin_floor"] = 0
        entry["under_way"] = bool(
            _UNDER_WAY.search(plain_text(str(entry.get(text_key, entry.get("m")))))
        )
        lasts = ends = acts = entry["datable"] = True
        kills = entry["childhood"] = held = bears = False
        if self.clashes is not None:  # a fact listed on a side of a class of clashes
            text = plain_text(str(entry.get(text_key, entry.get("m"))))
            entry["tags"] = (*entry["tags"], *self.clashes.fact_tags(self.category, text))
        if self.floors is not None:
            text = plain_text(str(entry.get(text_key, entry.get("m"))))
            entry["datable"] = self.floors.datable(text)
            lasts = self.floors.lasts(text)
            ends = self.floors.ends(text)
            kills = self.floors.kills(text)
            acts = self.floors.acts(text)
            held = self.floors.holds(text)
            entry["childhood"] = self.floors.of_childhood(text)
            entry["negated_floor"] = self.floors.negated_floor(text)
            entry["dated_floor"] = self.floors.dated_floor(text)
            entry["kin_floor"] = self.floors.kin_floor(text)
            bears = self.floors.bears_on_child(text)
            # A listed entry with its own min_age keeps it: listing it is not an error.
            floor = self.floors.floor(text)
            ceiling = self.floors.ceiling_of(text)
            if "max_age" not in entry and ceiling < entry["eligibility"].max_age:
                entry["eligibility"] = replace(entry["eligibility"], max_age=ceiling)
            if "min_age" in entry:
                floor = 0
            elif floor > entry["eligibility"].max_age:
                raise _fail(
                    self.file, where,
                    f"age floor {floor} ({_AGE_FLOORS_FILE}) is above max_age: list it there",
                )  # fmt: skip
            entry["age_floor"] = floor
        entry["frames_exclude"] = [
            str(p) for p in _as_list(entry.get("frames_exclude"), self.file, where)
        ] + self.excluded
        if "implicit" in entry["tags"]:
            # A drug, service or lab result is not a condition: no "suivi pour Truvada";
            # nor something a person is labelled with: no "Sœur : SMIT".
            entry["frames_exclude"].extend(("tag:condition", "tag:label"))
        if "service" in entry["tags"]:
            # A place or a service is no fact that ends nor a story's event: no "plus de
            # CeGIDD depuis 2016", no "Psychiatre (vue aux urgences le ...)".
            entry["frames_exclude"].extend(("tag:ended", "tag:story"))
        if not lasts:
            entry["frames_exclude"].append("tag:lasting")  # no "chimio depuis 1982"
        if not ends:
            entry["frames_exclude"].append("tag:ended")  # no "plus de VIH depuis 2019"
        if not acts:  # no "trisomie 21 chez la sœur, qui vient parfois à sa place"
            entry["frames_exclude"].append("tag:acts")
        if held:  # the template is the prison's if its frame says the patient's fact
            entry["tags"] = (*entry["tags"], _HELD_FACT)
        else:  # no "sa mère appelle pour lui, {fact}" for a record or a probation
            entry["frames_exclude"].append(f"tag:{PRISON_TAG}")
        if not kills:
            entry["frames_exclude"].append("tag:death")  # no "décédé d'herpès génital"
        if not bears:  # no "père sous PrEP : c'est la mère qui accompagne l'enfant"
            entry["frames_exclude"].append(f"tag:{STAKE_TAG}")
        if not entry["datable"]:  # no "trisomie 21 dans l'enfance" nor "il y a des années"
            entry["frames_exclude"].extend(("tag:childhood", "tag:years_ago"))
        entry["frames_exclude"] = tuple(entry["frames_exclude"])
        return entry

    @staticmethod
    def _floored(entry: dict[str, Any]) -> dict[str, Any]:
        """The entry with its age floor (``age_floors.yaml``) under its ages."""
        if entry["age_floor"]:
            entry["eligibility"] = replace(entry["eligibility"], min_age=entry["age_floor"])
        return entry

    def _filled(
        self, form: tuple[Piece, ...], surface: str, subject: str, assertion: str, where: str
    ) -> tuple[Piece, ...]:
        """:func:`_fill` with a markup error named by file and entry."""
        try:
            return _fill(form, surface, self.category, subject, assertion)
        except TemplateError as error:
            raise _fail(self.file, where, str(error)) from None

    def _excluded(self, frame: _Frame, patterns: tuple[str, ...]) -> bool:
        """:func:`_excluded`, remembered per frame and exclusion list."""
        key = (frame.kind, frame.index, patterns)
        excluded = self._exclusions.get(key)
        if excluded is None:
            excluded = self._exclusions[key] = _excluded(frame, patterns)
        return excluded

    def _combine(
        self, entry: Mapping[str, Any], frame: _Frame, subject_gender: str | None
    ) -> tuple[str, str, _Eligibility] | None:
        """(template sex, assertion, eligibility) of an entry in a frame, or None if they
        do not fit.

        The entry's age range is the patient's in a patient or partner frame; about
        another relative it is the relative's, moved by the years between them
        (:func:`_relative_ages`); about a third party only its ``since`` applies (a drug
        existed or not, whoever takes it).
        """
        if frame.categories is not None and self.category not in frame.categories:
            return None
        if self._excluded(frame, entry["frames_exclude"]):
            return None
        assertion = _merge_assertion(frame.assertion, entry["assertion"])
        if assertion is None or (assertion == "historical" and entry["under_way"]):
            return None
        own: _Eligibility = entry["eligibility"]
        if "childhood" in frame.tags and own.min_age > _CHILDHOOD:
            return None  # no "cancer du sein dans l'enfance"
        if frame.subject == "patient":
            sex = _merge_sex(entry["sex"], frame.sex)
        else:
            # The entry's sex constrains whoever the fact is about: here the relative.
            if entry["sex"] != "any" and subject_gender not in (None, entry["sex"].lower()):
                return None
            sex = frame.sex
            partner = ANY_PARTNER
            if frame.dynamic_partner and entry["sex"] != "any":
                partner = _PARTNER_VALUES[entry["sex"]]
            if frame.dynamic_partner or frame.eligibility.partner != ANY_PARTNER:
                # A partner is of the patient's generation: the entry's ages hold for both
                # (no pregnant wife at 74). And shares the patient's home: no "? AME chez le
                # compagnon" in Mayotte, where the AME is not given.
                own = _Eligibility(
                    own.min_age, own.max_age, own.since, partner, own.until, lives=own.lives,
                    min_open=own.min_open, max_open=own.max_open,
                )  # fmt: skip
            elif frame.subject == "relative":
                own = _relative_ages(own, frame.role, partner)  # type: ignore[assignment]
                if own is None:
                    return None
            else:
                own = _Eligibility(
                    since=own.since, partner=partner, until=own.until,
                    min_open=own.min_open, max_open=own.max_open,
                )  # fmt: skip
        eligibility = own.merge(frame.eligibility)
        if eligibility and "years_ago" in frame.tags and frame.subject == "patient":
            # No "grossesse extra-utérine il y a des années" at 17.
            eligibility = eligibility.merge(_Eligibility(min_age=own.min_age + _YEARS_AGO))
        # An older relative's present fact needs them alive and active: no "mère en
        # maison d'arrêt" at 80 (a past one, "mère décédée, était...", still fits).
        alive = kinship().roles.get(frame.role, {}).get("max_patient_age")
        if eligibility and frame.subject == "relative" and alive and assertion != "historical":
            eligibility = eligibility.merge(_Eligibility(max_age=int(alive)))
        if not entry["datable"] and frame.subject == "patient" and _dates_patient(frame):
            return None  # no "IMC depuis 2010" at 10: a congenital fact is not dated
        dated = entry["dated_floor"]
        if eligibility and dated and frame.subject == "patient" and _dates_patient(frame):
            eligibility = eligibility.merge(_Eligibility(min_age=dated))
        ended = "ended" in frame.tags and frame.subject == "patient" and _dates_patient(frame)
        if eligibility and ended:
            eligibility = eligibility.merge(
                _Eligibility(min_age=max(own.min_age, dated) + ENDED_AFTER_YEARS)
            )
        childhood = entry["childhood"] and frame.subject == "patient"
        if eligibility and childhood and _dates_patient(frame):
            # "maltraitance infantile en 1984" at 35: dated only while the patient is a
            # minor, its date falls in childhood.
            eligibility = eligibility.merge(_Eligibility(max_age=MINOR_MAX_AGE))
        kin = entry["kin_floor"]
        # Someone else's fact, bare, in a minor's note says nothing of the child ("père
        # sous PrEP" at 1, "PrEP chez la mère en 2015"): it is written there only with the
        # child's stake (frames tagged `stake`, about minors only) or as a parent's death
        # (tag `death`: the child lives without them).
        bare = frame.subject != "patient" and not {STAKE_TAG, "death"} & set(frame.tags)
        if eligibility and kin and bare:
            eligibility = eligibility.merge(_Eligibility(min_age=kin))
        negated = entry["negated_floor"]
        if eligibility and negated and frame.subject == "patient" and assertion == "negated":
            eligibility = eligibility.merge(_Eligibility(min_age=negated))
        if eligibility and self.category == "ethnic_origin" and assertion == "negated":
            # An origin's `born:` says where the affirmed origin fits; denied, it fits
            # everyone but those born in its own countries abroad: no "pas d'origine
            # maghrébine, contrairement à l'ancien dossier" for a boy born in Algeria.
            abroad = signed_mask(own.born & ~(_BORN_IN_FRANCE | 1 << UNKNOWN_BIRTH))
            if own.born != ANY_BIRTH and abroad:
                eligibility = eligibility.merge(_Eligibility(born=signed_mask(~abroad)))
        if sex is None or eligibility is None:
            return None
        return sex, assertion, eligibility

    def _cores(self) -> Iterator[Template]:
        raws = _as_list(self.document.get("cores"), self.file, "cores")
        ranks = _rank_weights(raws, self.zipf, self.file, "cores")
        for index, raw in enumerate(raws):
            where = f"cores[{index}]"
            entry = self._floored(self._entry_fields(raw, where))
            entry["weight"] *= ranks[index]
            surface = entry.get("text")
            if not isinstance(surface, str) or not surface.strip():
                raise _fail(self.file, where, "a core needs a non-empty 'text'")
            gender = str(entry.get("g", "m"))
            if gender not in ("m", "f"):
                raise _fail(self.file, where, f"g must be 'm' or 'f', got {gender!r}")
            agreement = gender + ("p" if entry.get("pl") else "s")
            for frame in self.frames["noun"]:
                fit = self._combine(entry, frame, frame.gender)
                if fit is None:
                    continue
                sex, assertion, eligibility = fit
                form = frame.pieces.get(agreement, frame.pieces.get(""))
                pieces = self._filled(form, surface.strip(), frame.subject, assertion, where)  # type: ignore[arg-type]
                yield self._make(
                    pieces, sex, entry["weight"] * frame.weight,
                    (*entry["tags"], *frame.tags),
                    f"{self.file}:{where}+{frame.source}", where, eligibility,
                    (*frame.groups, *entry["groups"]),
                )  # fmt: skip

    def _states(self) -> Iterator[Template]:
        raws = _as_list(self.document.get("states"), self.file, "states")
        ranks = _rank_weights(raws, self.zipf, self.file, "states")
        for index, raw in enumerate(raws):
            where = f"states[{index}]"
            entry = self._floored(self._entry_fields(raw, where))
            entry["weight"] *= ranks[index]
            if "text" in entry:
                forms = {"m": entry["text"], "f": entry["text"]}
            elif "m" in entry and "f" in entry:
                forms = {"m": entry["m"], "f": entry["f"]}
            else:
                raise _fail(self.file, where, "a state needs 'text' or both 'm' and 'f'")
            if not all(isinstance(v, str) and v.strip() for v in forms.values()):
                raise _fail(self.file, where, "state forms must be non-empty strings")
            for frame in self.frames["state"]:
                genders = ("m", "f") if frame.gender == "each" else (frame.gender,)
                for gender in genders:
                    fit = self._combine(entry, frame, gender)
                    if fit is None:
                        continue
                    sex, assertion, eligibility = fit
                    if frame.gender == "each":
                        sex = _merge_sex(sex, gender.upper())  # type: ignore[arg-type]
                        if sex is None:
                            continue
                    form = frame.pieces.get(gender, frame.pieces.get(""))  # type: ignore[arg-type]
                    surface = forms[gender].strip()  # type: ignore[index]
                    pieces = self._filled(form, surface, frame.subject, assertion, where)  # type: ignore[arg-type]
                    suffix = f":{gender}" if frame.gender == "each" else ""
                    yield self._make(
                        pieces, sex, entry["weight"] * frame.weight,
                        (*entry["tags"], *frame.tags),
                        f"{self.file}:{where}+{frame.source}{suffix}", where,
                        eligibility, (*frame.groups, *entry["groups"]),
                    )  # fmt: skip

    @functools.cached_property
    def _entry_ages(self) -> dict[str, tuple[int, int]]:
        """The ages of each core's and state's fact, by plain text: its own ``min_age``,
        else its floor of ``age_floors.yaml``, and its ``max_age`` (a phrase naming the
        same fact about a relative reads them, :meth:`_named_relatives`)."""
        ages: dict[str, tuple[int, int]] = {}
        for key in ("cores", "states"):
            for raw in _as_list(self.document.get(key), self.file, key):
                if not isinstance(raw, Mapping):
                    continue
                text = plain_text(str(raw.get("text", raw.get("m"))))
                low = raw.get("min_age")
                if not isinstance(low, int):
                    low = self._floor_of(text)
                high = raw.get("max_age", self._ceiling_of(text))
                known_low, known_high = ages.get(text, (MAX_AGE, 0))
                ages[text] = (min(known_low, int(low)), max(known_high, int(high)))
        return ages

    def _floor_of(self, text: str) -> int:
        """A fact's floor in ``age_floors.yaml`` (listed, else the category's), 0 where
        the category has none."""
        if self.floors is None:
            return 0
        return int(self.floors.listed.get(text, self.floors.default))

    def _ceiling_of(self, text: str) -> int:
        """A fact's ceiling in ``age_floors.yaml`` (listed, else the category's),
        ``MAX_AGE`` where the category has none."""
        if self.floors is None:
            return MAX_AGE
        return int((self.floors.ceiling_listed or {}).get(text, self.floors.ceiling))

    def _named_relatives(
        self, pieces: tuple[Piece, ...], eligibility: _Eligibility
    ) -> _Eligibility | None:
        """A phrase's ages with its relatives' facts of this category, each named just
        before by a word of its role ("sœur [FIV|...|relative]", formats/kinship.yaml
        ``words``), fitting the relative at every age the role allows
        (:func:`_relative_ages`); a partner's hold for the patient, of their generation."""
        for before, piece in itertools.pairwise(pieces):
            if piece.category != self.category or piece.subject != "relative":
                continue
            role = _role_named(before.text or "")
            if role is None:
                continue
            text = plain_text(piece.text)
            low, high = self._entry_ages.get(text, (-1, MAX_AGE))
            if low < 0:  # a form no core writes ("violée"): the category's floor
                low = self._floor_of(text)
            own = _Eligibility(min_age=low, max_age=high)
            ages = own if role == "partner" else _relative_ages(own, role, ANY_PARTNER)
            alive = kinship().roles[role].get("max_patient_age", MAX_AGE)
            if piece.assertion == "historical":
                alive = MAX_AGE  # "mère décédée du sida" fits an old patient too
            merged = ages and eligibility.merge(
                _Eligibility(min_age=ages.min_age, max_age=min(ages.max_age, int(alive)))
            )
            if merged is None:
                return None
            eligibility = merged
        return eligibility

    def _bare_kin(self, pieces: tuple[Piece, ...], entry: Mapping[str, Any]) -> bool:
        """A phrase that states someone else's fact of this category (the caller knows
        none is the patient's) and gives no stake of the patient's in it (tag ``stake``),
        its ages not its own."""
        return (
            bool(entry["kin_floor"])
            and "min_age" not in entry
            and STAKE_TAG not in entry["tags"]
            and any(p.category == self.category for p in pieces)
        )

    def _phrases(self) -> Iterator[Template]:
        raws = _as_list(self.document.get("phrases"), self.file, "phrases")
        for index, raw in enumerate(raws):
            where = f"phrases[{index}]"
            entry = self._entry_fields(raw, where)
            if "w" in entry:
                raise _fail(self.file, where, "w (a rank's weight) is for cores and states only")
            text = entry.get("text")
            if not isinstance(text, str):
                raise _fail(self.file, where, "a phrase needs a 'text'")
            try:
                pieces = _parse(text, entry["subject"], entry["assertion"], self.vocabulary)
            except TemplateError as error:
                raise _fail(self.file, where, str(error)) from None
            if any(p.category == self.category and p.subject == "patient" for p in pieces):
                # A phrase's ages are the patient's: floored only for the patient's fact.
                entry = self._floored(entry)
            elif self._bare_kin(pieces, entry):
                # Only someone else's fact, with no stake of the patient's ("mère
                # sous curatelle" in a baby's note): written from the category's `kin`.
                kin = entry["eligibility"].merge(_Eligibility(min_age=entry["kin_floor"]))
                if kin is None:
                    continue  # no patient old enough to be told of it bare
                entry["eligibility"] = kin
            entry["eligibility"] = self._named_relatives(pieces, entry["eligibility"])
            if entry["eligibility"] is None:
                continue  # no patient's relative is old enough for the fact
            yield self._make(
                pieces, entry["sex"], entry["weight"],
                entry["tags"], f"{self.file}:{where}", where, entry["eligibility"],
                _groups_of(entry, self.file, where),
            )  # fmt: skip


def _load_family(family: str, source: _Source, vocabulary: Taxonomy) -> tuple[Template, ...]:
    """Routine, identifier and hard-negative notes: flat lists of markup entries."""
    file = _FAMILY_FILES[family]
    document = source.read(file)
    if not isinstance(document, Mapping):
        raise _fail(file, "top level", "expected a mapping with 'entries'")
    templates = []
    for index, raw in enumerate(_as_list(document.get("entries"), file, "entries")):
        where = f"entries[{index}]"
        entry = _entry(raw, file, where)
        wordings = _wordings(entry.get("text"), file, where)
        tags = set(_tags(entry, file, where))
        if family == "hard_negative":
            tags.add("hard_negative")
        eligibility = _eligibility(entry, file, where)
        groups = _groups_of(entry, file, where) if "group" in entry else ("",)  # "": none
        if not groups:
            raise _fail(file, where, "group must be a name or a list of names, got []")
        source = f"{file.removeprefix('comments/')}:{where}"
        if len(wordings) > 1:
            # One note, several ways to write it: a comment says it once, in one of them.
            groups = (*groups, f"wordings of {source}") if groups[0] else (f"wordings of {source}",)
        for number, text in enumerate(wordings):
            try:
                pieces = _parse(
                    text,
                    str(entry.get("subject", "patient")),
                    str(entry.get("assertion", "affirmed")),
                    vocabulary,
                )
            except TemplateError as error:
                raise _fail(file, where, str(error)) from None
            if any(p.category in vocabulary.sensitive for p in pieces):
                raise _fail(
                    file, where, f"a {family} note must not hold a sensitive span: {text!r}"
                )
            if family == "identifier" and not any(p.category for p in pieces):
                raise _fail(file, where, f"an identifier note needs an identifier: {text!r}")
            try:
                template = _constrained(
                    Template(
                        family=family,
                        category=None,
                        pieces=pieces,
                        sex=_sex(entry, file, where),
                        weight=_weight(entry, file, where) / len(wordings),
                        tags=tuple(sorted(tags)),
                        # Unique per template; its family (generator.comments.splits)
                        # drops the wording's number.
                        source=f"{source}:w{number}" if len(wordings) > 1 else source,
                        **eligibility.fields(),
                        group=groups[0],
                        more_groups=tuple(groups[1:]),
                    )
                )
            except TemplateError as error:
                raise _fail(file, where, str(error)) from None
            templates.append(template)
    return tuple(templates)


def _wordings(text: Any, file: str, where: str) -> tuple[str, ...]:
    """An entry's ``text``: one string or a list of wordings of the same note, in which
    ``((a|b|c))`` writes one of its alternatives (plain text, possibly empty).

    A desk writes the same thing in many ways; one wording per note, repeated across a
    whole dataset, is a sentence thousands of generated notes share word for word (a
    third of 30,000 notes shared a sentence of over 40 characters with another). The
    wordings of one entry share its weight, its eligibility, its groups and its family
    (its source with a wording number: a held-out split keeps them together), and a note
    holds one of them.
    """
    written = text if isinstance(text, list) else [text]
    if not written or not all(isinstance(w, str) and w.strip() for w in written):
        raise _fail(file, where, "missing or empty 'text'")
    wordings = [w for wording in written for w in _alternatives(wording, file, where)]
    if len(set(wordings)) < len(wordings):
        raise _fail(file, where, f"the same wording twice: {written!r}")
    if len(wordings) > MAX_WORDINGS:
        raise _fail(file, where, f"{len(wordings)} wordings, more than {MAX_WORDINGS}")
    return tuple(wordings)


#: Most wordings one entry may expand to: each is a template of its own.
MAX_WORDINGS = 24
_ALTERNATIVES = re.compile(r"\(\((.*?)\)\)")


def _alternatives(text: str, file: str, where: str) -> list[str]:
    """Every text ``((a|b))`` choices write, in order: "RDV ((le matin|avant midi))"."""
    parts = _ALTERNATIVES.split(text)
    literals, choices = parts[0::2], [c.split("|") for c in parts[1::2]]
    if any("((" in part or "))" in part for part in literals):
        raise _fail(file, where, f"unbalanced (( )) in {text!r}")
    for options in choices:
        if len(options) < 2 or any(re.search(r"[][{}]", o) for o in options):
            raise _fail(file, where, f"(( )) takes two or more plain alternatives: {text!r}")
    out = []
    for picked in itertools.product(*choices):
        pieces = [literals[0]]
        for option, literal in zip(picked, literals[1:], strict=True):
            pieces += [option, literal]
        wording = re.sub(r"  +", " ", "".join(pieces)).strip()
        if not wording:
            raise _fail(file, where, f"an empty wording in {text!r}")
        out.append(wording)
    return out


@functools.cache
def load_templates(root: Path | None = None) -> dict[str, tuple[Template, ...]]:
    """Every comment template, by key: 'routine', 'identifier', 'hard_negative' and the
    14 sensitive category ids. ``root`` is a ``corpora`` directory (default: the installed one).

    Raises :class:`TemplateError` (one line: file, entry, reason) on any invalid entry, so
    a bad lexicon edit fails at load time and never produces mislabelled data. The
    installed corpora's expansion is cached on disk, keyed by the corpora files and this
    module's source, for the compiler of ``breachbench.generator.comments.compiled`` and
    the tools that read template objects (held-out splits, test strategies). Generation
    does not: it reads the compiled arrays.
    """
    if root is not None:
        return _expand_templates(Path(root))
    from breachbench.generator.data.cache import cache_key, cached
    from breachbench.generator.data.corpora import corpora_digest

    def current_key() -> str:
        return cache_key(corpora_digest.__wrapped__(), Path(__file__).read_bytes())

    key = cache_key(corpora_digest(), Path(__file__).read_bytes())
    return cached("templates", key, installed_templates, still_valid=lambda: current_key() == key)


@functools.cache
def installed_templates() -> dict[str, tuple[Template, ...]]:
    """The installed corpora's templates, expanded in this process (no disk cache): what
    :func:`load_templates` stores, and what a test compares its cache with."""
    return _expand_templates(None)


def _expand_templates(root: Path | None) -> dict[str, tuple[Template, ...]]:
    """The work behind :func:`load_templates`."""
    source = _Source(Path(root) if root is not None else None)
    vocabulary = (
        Taxonomy.from_document(source.read(TAXONOMY_FILE)) if root else _default_vocabulary()
    )
    result: dict[str, tuple[Template, ...]] = {
        family: _load_family(family, source, vocabulary) for family in _FAMILY_FILES
    }
    frames = _load_frames(source, vocabulary)
    zipf = _load_zipf(source)
    floors = _load_age_floors(source, vocabulary)
    clashes = _load_clashes(source)
    for category in vocabulary.sensitive:
        relative = f"comments/sensitive/{category}.yaml"
        if not source.exists(relative):
            raise TemplateError(f"sensitive/{category}.yaml: file missing for a taxonomy category")
        document = source.read(relative)
        if not isinstance(document, Mapping):
            raise TemplateError(f"sensitive/{category}.yaml: top level: expected a mapping")
        loader = _SensitiveLoader(
            category, document, frames, vocabulary, zipf, floors.get(category), clashes
        )
        result[category] = tuple(loader.templates())
    if clashes is not None:
        result = clashes.mark(result, {t for kind in frames.values() for f in kind for t in f.tags})
    sensitive_dir = source._root() / "comments" / "sensitive"
    for extra in sorted(sensitive_dir.glob("*.yaml")):
        if extra.stem not in vocabulary.sensitive:
            raise TemplateError(f"sensitive/{extra.name}: not a sensitive category of the taxonomy")
    return result


@dataclass
class _ClashSide:
    """One side of a class of ``comments/clashes.yaml``: what puts a template on it."""

    tag: str  # clash:<class id>:<index>
    assertions: frozenset[str]  # of the patient's facts and spans the side reads
    facts: frozenset[tuple[str, str]]  # (category, plain text)
    tags: frozenset[str]
    spans: re.Pattern[str] | None
    patterns: re.Pattern[str] | None
    unless: re.Pattern[str] | None
    except_tags: frozenset[str]

    def holds(self, template: Template, text: str, own: str) -> bool:
        tags = set(template.tags)
        if tags & self.except_tags:
            return False
        if self.tag in tags or tags & self.tags:
            return True
        if self.unless is not None:
            text, own = self.unless.sub(" ", text), self.unless.sub(" ", own)
        return bool(
            (self.spans is not None and self.spans.search(own))
            or (self.patterns is not None and self.patterns.search(text))
        )


@dataclass
class _ClashTable:
    """``comments/clashes.yaml``: classes of two sides that never share a note."""

    sides: tuple[tuple[_ClashSide, _ClashSide], ...]
    unmet: set[tuple[str, str]]

    @functools.cached_property
    def assertions(self) -> dict[str, frozenset[str]]:
        return {side.tag: side.assertions for pair in self.sides for side in pair}

    def fact_tags(self, category: str, text: str) -> tuple[str, ...]:
        """The private tags of a lexicon entry listed on sides by its plain text."""
        tags = tuple(
            _CLASH_FACT + side.tag[len(CLASH_TAG) :]
            for pair in self.sides
            for side in pair
            if (category, text) in side.facts
        )
        if tags:
            self.unmet.discard((category, text))
        return tags

    def mark(
        self, result: dict[str, tuple[Template, ...]], frame_tags: set[str]
    ) -> dict[str, tuple[Template, ...]]:
        """Every template tagged with the sides it is on; one on both sides of a class
        ("{fact}, l'employeur pas au courant" for "paraplégie", "{fact}. Consultations
        longues" for "incarcéré") is not made."""
        if self.unmet:
            unmet = ", ".join(f"{c}: {t!r}" for c, t in sorted(self.unmet))
            raise TemplateError(f"{_CLASHES_FILE}: facts: no lexicon entry reads {unmet}")
        known = {t for templates in result.values() for x in templates for t in x.tags}
        # A frame's tag is known where no fact takes it; the loader's own, where no frame
        # or fact has them (a corpora with frames of its own).
        known |= frame_tags | {HELD_TAG, PRISON_TAG}
        for pair in self.sides:
            for side in pair:
                unknown = sorted((side.tags | side.except_tags) - known)
                if unknown:
                    raise TemplateError(
                        f"{_CLASHES_FILE}: {side.tag}: no template has the tag {unknown[0]!r}"
                    )
        marked = {}
        for key, templates in result.items():
            kept = []
            for template in templates:
                text = at_large_text(template)
                on = set()
                for one, other in self.sides:
                    a = one.holds(template, text, _own_span_text(template, one.assertions))
                    b = other.holds(template, text, _own_span_text(template, other.assertions))
                    if a and b:
                        break
                    on |= {one.tag} if a else {other.tag} if b else set()
                else:
                    if on - set(template.tags):
                        template = replace(template, tags=tuple(sorted({*template.tags, *on})))
                    kept.append(template)
            marked[key] = tuple(kept)
        return marked


def _load_clashes(source: _Source) -> _ClashTable | None:
    """``comments/clashes.yaml``, validated (one line per error); None without it."""
    file = _CLASHES_FILE
    if not source.exists(file):
        return None
    document = source.read(file) or {}
    if not isinstance(document, Mapping):
        raise _fail(file, "top level", "expected a mapping with 'classes'")

    def pattern(raw: Any, where: str) -> re.Pattern[str] | None:
        texts = _as_list(raw, file, where)
        if not all(isinstance(p, str) and p for p in texts):
            raise _fail(file, where, "expected regular expressions")
        if not texts:
            return None
        try:
            return re.compile("|".join(f"(?:{p})" for p in texts))
        except re.error as error:
            raise _fail(file, where, f"not a regular expression: {error}") from None

    def facts(raw: Any, where: str) -> frozenset[tuple[str, str]]:
        if raw is None:
            return frozenset()
        if not isinstance(raw, Mapping):
            raise _fail(file, where, "expected lists of plain texts by sensitive category")
        return frozenset((str(c), t) for c, texts in raw.items() for t in names(texts, where))

    def names(raw: Any, where: str) -> frozenset[str]:
        texts = _as_list(raw, file, where)
        if not all(isinstance(t, str) and t for t in texts):
            raise _fail(file, where, f"expected a list of texts, got {raw!r}")
        return frozenset(texts)

    sides, ids = [], set()
    for index, raw in enumerate(_as_list(document.get("classes"), file, "classes")):
        entry = _entry(raw, file, f"classes[{index}]")
        name = entry.get("id")
        if not isinstance(name, str) or not re.fullmatch(r"[a-z_]+", name) or name in ids:
            raise _fail(file, f"classes[{index}]", f"needs a new id of [a-z_], got {name!r}")
        ids.add(name)
        pair = _as_list(entry.get("sides"), file, f"{name}.sides")
        if len(pair) != 2:
            raise _fail(file, f"{name}.sides", "expected two sides")
        made = []
        for i, side in enumerate(pair):
            where = f"{name}.sides[{i}]"
            side = _entry(side, file, where)
            unknown = set(side) - {"name", "facts", "tags", "spans", "patterns", "unless",
                                   "except_tags", "assertions", "read"}  # fmt: skip
            assertions = names(side.get("assertions", ["affirmed"]), f"{where}.assertions")
            if not assertions or assertions - {"affirmed", "hypothetical", "historical"}:
                raise _fail(file, f"{where}.assertions", f"got {sorted(assertions)!r}")
            if unknown:
                raise _fail(file, where, f"unknown key {sorted(unknown)[0]!r}")
            made.append(
                _ClashSide(
                    f"{CLASH_TAG}{name}:{i}",
                    assertions,
                    facts(side.get("facts"), f"{where}.facts"),
                    names(side.get("tags"), f"{where}.tags"),
                    pattern(side.get("spans"), f"{where}.spans"),
                    pattern(side.get("patterns"), f"{where}.patterns"),
                    pattern(side.get("unless"), f"{where}.unless"),
                    names(side.get("except_tags"), f"{where}.except_tags"),
                )
            )
            if not (made[-1].facts or made[-1].tags or made[-1].spans or made[-1].patterns):
                raise _fail(file, where, "needs facts, tags, spans or patterns")
        sides.append((made[0], made[1]))
    unmet = {fact for pair in sides for side in pair for fact in side.facts}
    return _ClashTable(tuple(sides), unmet)


def _own_span_text(template: Template, assertions: frozenset[str]) -> str:
    """The patient's labelled spans of a template said as ``assertions`` ("SDF ??" is
    hypothetical), folded as ``at_large_text`` folds, one per line."""
    text = "\n".join(
        p.text or ""
        for p in template.pieces
        if p.category and p.subject == "patient" and p.assertion in assertions
    )
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def at_large_text(template: Template) -> str:
    """A template's text as ``comments/clashes.yaml`` reads it: accents removed, lower
    case, the patient's own slots as ``{name}`` and another person's as ``{other}``."""

    def own(piece: Piece) -> bool:
        return piece.subject in (None, "patient") and piece.role != "other"

    text = "".join(
        p.text if p.slot is None else "{" + (p.slot if own(p) else "other") + "}"
        for p in template.pieces
    )
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@functools.cache
def load_connectors(root: Path | None = None) -> Connectors:
    """Clause separators, openers and closers from ``comments/connectors.yaml``."""
    source = _Source(Path(root) if root is not None else None)
    file = _CONNECTORS_FILE
    document = source.read(file)
    if not isinstance(document, Mapping):
        raise _fail(file, "top level", "expected a mapping")

    def weighted(key: str) -> tuple[tuple[str, ...], tuple[float, ...]]:
        texts, weights = [], []
        for index, raw in enumerate(_as_list(document.get(key), file, key)):
            entry = _entry(raw, file, f"{key}[{index}]")
            if not isinstance(entry.get("text"), str) or entry["text"] == "":
                raise _fail(file, f"{key}[{index}]", "missing or empty 'text'")
            texts.append(entry["text"])
            weights.append(_weight(entry, file, f"{key}[{index}]"))
        return tuple(texts), tuple(weights)

    def rate(key: str) -> float:
        value = document.get(key, 0.0)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise _fail(file, key, f"must be a number within [0, 1], got {value!r}")
        return float(value)

    separators, separator_weights = weighted("separators")
    if not separators:
        raise _fail(file, "separators", "at least one separator is needed")
    openers, opener_weights = weighted("openers")
    closers, closer_weights = weighted("closers")
    return Connectors(
        separators, separator_weights, openers, opener_weights, rate("opener_rate"),
        closers, closer_weights, rate("closer_rate"), rate("sentence_case_rate"),
    )  # fmt: skip
