"""Hypothesis strategies for labelled French administrative comments and whole records.

Why: a detector author wants to state properties ("every phone we insert is found",
"nothing is reported inside a routine note") and let Hypothesis search for the comment
that breaks them, then shrink it to something a human reads at a glance. These strategies
are built like the generator's comments (a template from ``corpora/comments/``, its slots
filled), from small strategies, so a failing example shrinks towards one clause, the first
templates and the most common names::

    from hypothesis import given
    from breachbench.strategies import labelled_comments

    @given(labelled_comments(categories=["phone"]))
    def test_every_phone_is_found(example):
        text, spans = example
        found = {(start, end) for start, end, label in my_detector(text) if label == "phone"}
        assert {(s["start"], s["end"]) for s in spans} <= found

Every example satisfies the dataset contract of ``corpora/taxonomy/TAXONOMY.md``: spans
slice the text exactly (code points, end exclusive), are sorted by ``start``, never
overlap, and carry taxonomy categories, subjects and assertions; in :func:`records`,
``categories`` and ``sensitive`` agree with the spans.
"""

from __future__ import annotations

import datetime as dt
import functools
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from breachbench.generator.comments.templates import Template, load_connectors, load_templates
from breachbench.generator.data import corpora

__all__ = ["DIFFICULTIES", "LabelledComment", "Span", "labelled_comments", "records"]

#: Span as the dataset stores it: ``start``, ``end``, ``category``, ``subject``, ``assertion``.
Span = dict[str, Any]
#: ``(admin_comment, spans)``.
LabelledComment = tuple[str, list[Span]]
#: Named difficulty levels accepted by :func:`labelled_comments`; a set of template tags
#: (``{"negated", "relative"}``) is accepted too.
DIFFICULTIES: tuple[str, ...] = ("easy", "realistic", "hard")

_MAX_CLAUSES = 3
_NAMES_PER_LIST = 40
_MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
_STREET_TYPES = ("rue", "avenue", "place", "boulevard", "chemin", "impasse")
_CITIES = (("75011", "Paris"), ("69003", "Lyon"), ("13001", "Marseille"), ("59000", "Lille"))
_MOBILE_BLOCK = "063998"  # ARCEP fiction block (corpora/formats/phones.yaml)
_LANDLINE_BLOCKS = ("019900", "026191", "035301", "046571", "053649")
_EMAIL_DOMAINS = ("example.com", "example.org", "example.net")  # RFC 2606


# --------------------------------------------------------------------------- vocabulary


@functools.cache
def _names(table: str, sex: str | None = None) -> tuple[str, ...]:
    """The most frequent names of a reference table, most frequent first (shrink target)."""
    rows = corpora.read_table(f"reference/{table}").to_pylist()
    weights: dict[str, float] = {}
    for row in rows:
        if sex is None or row.get("sex") == sex:
            weights[row["name"]] = weights.get(row["name"], 0.0) + row["weight"]
    ranked = sorted(weights, key=lambda name: -weights[name])
    return tuple(ranked[:_NAMES_PER_LIST])


def _first_names(sex: str) -> st.SearchStrategy[str]:
    return st.sampled_from(_names("first_names.parquet", sex))


def _surnames() -> st.SearchStrategy[str]:
    return st.sampled_from(_names("surnames.parquet"))


def _digits(count: int) -> st.SearchStrategy[str]:
    return st.lists(st.integers(0, 9), min_size=count, max_size=count).map(
        lambda ds: "".join(map(str, ds))
    )


def _phone_format(number: str, style: int) -> str:
    pairs = [number[i : i + 2] for i in range(0, 10, 2)]
    if style == 0:
        return " ".join(pairs)
    if style == 1:
        return number
    if style == 2:
        return ".".join(pairs)
    return "+33 " + number[1] + " " + " ".join(pairs[1:])


def _phones() -> st.SearchStrategy[str]:
    """Numbers only in ARCEP fiction blocks, in the formats the generator writes."""
    block = st.sampled_from((_MOBILE_BLOCK, *_LANDLINE_BLOCKS))
    return st.builds(
        lambda b, rest, style: _phone_format(b + rest, style),
        block,
        _digits(4),
        st.integers(0, 3),
    )


def _ascii_lower(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "".join(c for c in folded.lower() if c.isalnum())


def _emails() -> st.SearchStrategy[str]:
    return st.builds(
        lambda first, last, domain: f"{_ascii_lower(first)}.{_ascii_lower(last)}@{domain}",
        _first_names("F") | _first_names("M"),
        _surnames(),
        st.sampled_from(_EMAIL_DOMAINS),
    )


def _streets() -> st.SearchStrategy[str]:
    return st.builds(
        lambda number, kind, name: f"{number} {kind} {name}",
        st.integers(1, 120),
        st.sampled_from(_STREET_TYPES),
        _surnames(),
    )


def _cities() -> st.SearchStrategy[str]:
    return st.sampled_from(_CITIES).map(lambda pc: f"{pc[0]} {pc[1]}")


def _nir_key(first13: str) -> str:
    return f"{97 - int(first13) % 97:02d}"


def _nirs(spaced: bool | None = None) -> st.SearchStrategy[str]:
    """Well-formed NIR (valid key); department 99 (born abroad) keeps them clearly fake."""

    def build(sex: int, year: int, month: int, order: int, style: bool) -> str:
        first13 = f"{sex}{year:02d}{month:02d}99{order:03d}{order % 1000:03d}"
        key = _nir_key(first13)
        if not style:
            return first13 + key
        d = first13
        return f"{d[0]} {d[1:3]} {d[3:5]} {d[5:7]} {d[7:10]} {d[10:13]} {key}"

    styles = st.booleans() if spaced is None else st.just(spaced)
    return st.builds(
        build, st.integers(1, 2), st.integers(0, 99), st.integers(1, 12), st.integers(1, 999),
        styles,
    )  # fmt: skip


def _dates() -> st.SearchStrategy[str]:
    return st.dates(dt.date(1990, 1, 1), dt.date(2025, 12, 31)).map(
        lambda d: d.strftime("%d/%m/%Y")
    )


@functools.cache
def _slot_filler(slot: str) -> st.SearchStrategy[str]:
    """A small strategy per slot of the template markup (built once: draws are hot)."""
    fillers: dict[str, st.SearchStrategy[str]] = {
        "patient_name": st.builds(lambda f, s: f"{f} {s}", _first_names("F"), _surnames()),
        "first_name_m": _first_names("M"),
        "first_name_f": _first_names("F"),
        "surname": _surnames(),
        "full_name": st.builds(lambda f, s: f"{f} {s.upper()}", _first_names("M"), _surnames()),
        "phone": _phones(),
        "email": _emails(),
        "address": st.builds(lambda s, c: f"{s} {c}", _streets(), _cities()),
        "street": _streets(),
        "city": _cities(),
        "town": st.sampled_from(_CITIES).map(lambda pc: pc[1]),  # a bare commune, unlabelled
        "age": st.integers(2, 99).map(lambda n: f"{n} ans"),  # an age, unlabelled
        "date": _dates(),
        "month_year": st.builds(
            lambda m, y: f"{m} {y}", st.sampled_from(_MONTHS), st.integers(1990, 2025)
        ),
        "year": st.integers(1990, 2025).map(str),
        "nir": _nirs(),
        # {partner:<form>}: the partner's noun, unlabelled when it reveals no orientation.
        "partner": st.sampled_from(["conjoint", "son conjoint"]),
    }
    return fillers[slot]


# --------------------------------------------------------------------------- templates


def _span_profile(template: Template) -> list[tuple[str, str]]:
    """(category, subject) of every span or slot of a template."""
    return [(p.category, p.subject or "patient") for p in template.pieces if p.category]


@functools.cache
def _all_templates() -> tuple[Template, ...]:
    """Every template, routine notes first and shortest first, so shrinking reads well."""
    everything = [t for group in load_templates().values() for t in group]
    order = {"routine": 0, "identifier": 1, "hard_negative": 2, "sensitive": 3}
    return tuple(
        sorted(
            everything,
            key=lambda t: (order.get(t.family, 9), sum(len(p.text) + 4 for p in t.pieces)),
        )
    )


@functools.cache
def _by_profile() -> dict[tuple[frozenset[str], frozenset[str]], list[int]]:
    """Indices into :func:`_all_templates`, grouped by the categories and the subjects of
    their spans. A filter tests each group once instead of each template's pieces: there
    are a few hundred groups for over a hundred thousand templates, and a strategy per
    category is built in milliseconds rather than seconds."""
    groups: dict[tuple[frozenset[str], frozenset[str]], list[int]] = {}
    for index, template in enumerate(_all_templates()):
        profile = _span_profile(template)
        key = (frozenset(c for c, _ in profile), frozenset(s for _, s in profile))
        groups.setdefault(key, []).append(index)
    return groups


def _difficulty_ok(template: Template, difficulty: str | Collection[str] | None) -> bool:
    if difficulty is None or difficulty == "realistic":
        return True
    if difficulty == "easy":
        return not template.tags
    if difficulty == "hard":
        return bool(template.tags)
    return bool(set(template.tags) & set(difficulty))


def _frozen(value: str | Collection[str] | None) -> str | frozenset[str] | None:
    return value if value is None or isinstance(value, str) else frozenset(value)


@functools.cache
def _select(
    categories: frozenset[str] | None,
    subjects: frozenset[str] | None,
    difficulty: str | frozenset[str] | None,
) -> tuple[Template, ...]:
    """The templates that fit the filters, in the order of :func:`_all_templates`."""
    templates = _all_templates()
    # A template without spans fits no category nor subject filter.
    indices = sorted(
        index
        for (span_categories, span_subjects), members in _by_profile().items()
        if categories is None or (span_categories and span_categories <= categories)
        if subjects is None or (span_subjects and span_subjects <= subjects)
        for index in members
    )
    return tuple(templates[i] for i in indices if _difficulty_ok(templates[i], difficulty))


def _template_strategy(templates: tuple[Template, ...]) -> st.SearchStrategy[Template]:
    """A template by index: shrinks to the first one, and stays cheap however many
    templates there are (``sampled_from`` over them would drag a huge repr into every
    report)."""
    return st.integers(0, len(templates) - 1).map(templates.__getitem__)


@st.composite
def _clause(
    draw: st.DrawFn, choose: st.SearchStrategy[Template]
) -> tuple[Template, LabelledComment]:
    """One template, its slots filled: the text and its spans, offsets from 0."""
    template = draw(choose)
    text: list[str] = []
    spans: list[Span] = []
    at = 0
    for piece in template.pieces:
        surface = draw(_slot_filler(piece.slot)) if piece.slot else piece.text
        if piece.slot == "town":
            # {town|...:a} "à Dax", {town|...:de} "d'Auch": the preposition is in the value.
            from breachbench.generator.records.prepositions import FORMS, load_prepositions

            form = next((q for q in piece.role.split(":") if q in FORMS), None)
            surface = load_prepositions().one(surface, form)
        if piece.category:
            spans.append(
                {
                    "start": at,
                    "end": at + len(surface),
                    "category": piece.category,
                    "subject": piece.subject or "patient",
                    "assertion": piece.assertion or "affirmed",
                }
            )
        text.append(surface)
        at += len(surface)
    return template, ("".join(text), spans)


def _join(
    clauses: Iterable[tuple[Template, LabelledComment]], separators: list[str]
) -> tuple[list[Template], LabelledComment]:
    templates: list[Template] = []
    text = ""
    spans: list[Span] = []
    for index, (template, (clause_text, clause_spans)) in enumerate(clauses):
        if index:
            text += separators[index - 1]
        offset = len(text)
        spans += [
            {**s, "start": s["start"] + offset, "end": s["end"] + offset} for s in clause_spans
        ]
        text += clause_text
        templates.append(template)
    return templates, (text, spans)


def _validate(
    categories: Collection[str] | None,
    subjects: Collection[str] | None,
    difficulty: str | Collection[str] | None,
) -> tuple[Template, ...]:
    from breachbench.generator.contract.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    if isinstance(categories, str) or isinstance(subjects, str):
        raise TypeError("categories and subjects are collections of names, not one string")
    unknown = [c for c in categories or () if c not in taxonomy.categories]
    unknown += [s for s in subjects or () if s not in taxonomy.subjects]
    if unknown:
        raise ValueError(f"not in the taxonomy: {', '.join(map(repr, unknown))}")
    if isinstance(difficulty, str) and difficulty not in DIFFICULTIES:
        raise ValueError(f"difficulty must be one of {', '.join(DIFFICULTIES)} or a set of tags")
    templates = _select(_frozen(categories), _frozen(subjects), _frozen(difficulty))  # type: ignore[arg-type]
    if not templates:
        raise ValueError("no comment template fits these categories, subjects and difficulty")
    return templates


def _comments(
    templates: tuple[Template, ...], max_clauses: int
) -> st.SearchStrategy[tuple[list[Template], LabelledComment]]:
    """1 to ``max_clauses`` clauses joined by the corpus's separators (strategies built once)."""
    clauses = st.lists(_clause(_template_strategy(templates)), min_size=1, max_size=max_clauses)
    separator = st.sampled_from(load_connectors().separators)

    @st.composite
    def joined(draw: st.DrawFn) -> tuple[list[Template], LabelledComment]:
        drawn = draw(clauses)
        joiners = draw(st.lists(separator, min_size=len(drawn) - 1, max_size=len(drawn) - 1))
        return _join(drawn, joiners)

    return joined()


def labelled_comments(
    categories: Collection[str] | None = None,
    subjects: Collection[str] | None = None,
    difficulty: str | Collection[str] | None = None,
    *,
    max_clauses: int = _MAX_CLAUSES,
) -> st.SearchStrategy[LabelledComment]:
    """Comments with their spans, as ``(text, spans)``; spans are dicts of the dataset schema.

    - ``categories``: only templates whose every span has one of these taxonomy categories
      (and that have at least one span); ``None`` allows every template, unlabelled
      routine notes and hard negatives included.
    - ``subjects``: likewise for ``subject`` (``patient``, ``relative``, ``third_party``).
    - ``difficulty``: ``"easy"`` (templates without difficulty tags), ``"hard"`` (with at
      least one), ``"realistic"``/``None`` (any), or a set of template tags such as
      ``{"negated", "abbreviation"}`` (templates carrying at least one of them).
    - ``max_clauses``: a comment joins 1 to ``max_clauses`` templates with the corpus's
      separators; failures shrink to one clause.

    Raises ``ValueError`` at once if a name is not in the taxonomy or nothing fits.
    """
    if max_clauses < 1:
        raise ValueError(f"max_clauses must be >= 1, got {max_clauses}")
    templates = _validate(categories, subjects, difficulty)
    return _comments(templates, max_clauses).map(lambda pair: pair[1])


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class _Identity:
    sex: str
    first_name: str
    last_name: str
    birth_date: dt.date


def _record_columns() -> list[str]:
    from breachbench.generator.contract.schema import RECORD_SCHEMA

    return RECORD_SCHEMA.names


@st.composite
def _record(
    draw: st.DrawFn,
    comments: dict[str, st.SearchStrategy[tuple[list[Template], LabelledComment]]],
    comment_probability: float,
) -> dict[str, Any]:
    from breachbench.generator.contract.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    sex = draw(st.sampled_from(("F", "M")))
    identity = _Identity(
        sex=sex,
        first_name=draw(_first_names(sex)),
        last_name=draw(_surnames()),
        birth_date=draw(st.dates(dt.date(1925, 1, 1), dt.date(2024, 12, 31))),
    )
    index = draw(st.integers(1, 9_999_999))
    postcode, city = draw(st.sampled_from(_CITIES))
    # Shrinks towards 0, that is towards no comment (unless a comment is certain).
    has_comment = comment_probability == 1.0 or (
        comment_probability > 0.0 and draw(st.floats(0, 1)) >= 1.0 - comment_probability
    )
    comment: str | None = None
    spans: list[Span] = []
    tags: set[str] = set()
    if has_comment:
        used, (comment, spans) = draw(comments[sex])
        tags = {tag for template in used for tag in template.tags}
    categories = sorted({s["category"] for s in spans})
    nir_prefix = f"{1 if sex == 'M' else 2}{identity.birth_date:%y%m}99{index % 1000:03d}"
    nir_first13 = nir_prefix + f"{index % 997:03d}"
    record: dict[str, Any] = {
        "patient_id": f"PAT{index:010d}",
        "last_name": identity.last_name,
        "birth_name": identity.last_name,
        "first_name": identity.first_name,
        "sex": sex,
        "birth_date": identity.birth_date,
        "birth_place": "Paris",
        "nir": nir_first13 + _nir_key(nir_first13),
        "phone_mobile": draw(st.none() | _phones()),
        "phone_home": draw(st.none() | _phones()),
        "email": draw(st.none() | _emails()),
        "address": draw(_streets()),
        "postcode": postcode,
        "city": city,
        "insee_code": postcode[:2] + "056",
        "doctor_rpps": "1999" + draw(_digits(7)),
        "doctor_name": f"Dr {draw(_first_names('F'))} {draw(_surnames())}",
        "created_at": dt.datetime(2015, 1, 5, 9, 0) + dt.timedelta(minutes=index % 500_000),
        "updated_at": dt.datetime(2019, 3, 4, 9, 0) + dt.timedelta(minutes=index % 500_000),
        "admin_comment": comment,
        "sensitive": any(taxonomy.group_of[c] == "sensitive" for c in categories),
        "categories": categories,
        "spans": spans,
        "difficulty_tags": sorted(tags),
    }
    # Only the columns of the current record schema, each present (new list columns empty).
    return {name: record.get(name, []) for name in _record_columns()}


def records(
    categories: Collection[str] | None = None,
    subjects: Collection[str] | None = None,
    difficulty: str | Collection[str] | None = None,
    *,
    comment_probability: float = 0.5,
) -> st.SearchStrategy[dict[str, Any]]:
    """Whole patient records as dicts with every column of ``RECORD_SCHEMA``.

    The comment (``None`` with probability ``1 - comment_probability``) comes from
    :func:`labelled_comments` with the same filters, fitted to the patient's sex;
    ``categories`` and ``sensitive`` are derived from its spans, so a record always
    satisfies the dataset contract. Identifiers are fiction-only (ARCEP fiction phone
    blocks, RFC 2606 e-mail domains, NIR born abroad). Shrinks to a record without comment.
    """
    if not 0.0 <= comment_probability <= 1.0:
        raise ValueError(f"comment_probability must be within [0, 1], got {comment_probability}")
    templates = _validate(categories, subjects, difficulty)
    comments = {}
    for sex in ("F", "M"):
        fitting = tuple(t for t in templates if t.sex in ("any", sex)) or templates
        comments[sex] = _comments(fitting, _MAX_CLAUSES)
    return _record(comments, comment_probability)
