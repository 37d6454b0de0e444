"""The comment templates compiled into the arrays the engine draws from.

The engine (``generator.comments.engine``) never looks at a
:class:`~generator.comments.templates.Template` while it generates: it gathers rows of
packed piece codes, picks literal variants by index and samples templates from alias
tables. This module turns the ~85k expanded templates into those arrays once, and
:func:`load_compiled` caches the result on disk (``generator.data.derived``): arrays only,
so a process loads them in milliseconds instead of unpickling tens of thousands of
template objects and compiling them again.

The compilation itself walks each *distinct* piece once and lays the table out with
numpy, so that a cold start (no cache yet) stays short too.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from breachbench.generator.arrays.sampling import Categorical
from breachbench.generator.comments.noise import (
    EDIT_TAGS,
    EDITS,
    NoiseModel,
    load_noise,
    variant_pool,
)
from breachbench.generator.comments.templates import (
    EARLY_ROOM_YEARS,
    Piece,
    Template,
    early_dated,
    load_templates,
)
from breachbench.generator.contract.taxonomy import Taxonomy, load_taxonomy
from breachbench.generator.data import corpora
from breachbench.generator.data.derived import derived
from breachbench.generator.records.people import FEMALE, MALE

NON_SENSITIVE_FAMILIES = ("routine", "identifier", "hard_negative")
# Names of one fact ("VIF", "violences intrafamiliales"): a note states it once.
SYNONYMS_FILE = "comments/synonyms.yaml"

# Piece kinds in the compiled table.
EMPTY, LITERAL, SLOT = 0, 1, 2
# Slots the engine adds to those of the markup: unlabelled title before a patient name.
TITLE_SLOT = "title"
PATIENT_SURNAME_SLOT = "patient_surname"


class PieceCodes:
    """A piece packed in one int64, so a batch gathers its clauses' pieces in one go.

    Bits 0-1 kind, 2-4 assertion id, 5-6 subject id, 7-11 category id + 1 (0: none),
    16 and up the literal or slot id. An empty cell (kind ``EMPTY``, no category) is 0.
    """

    @staticmethod
    def pack(kind, value, category, subject, assertion):
        return (
            np.asarray(kind, dtype=np.int64)
            | np.asarray(assertion, dtype=np.int64) << 2
            | np.asarray(subject, dtype=np.int64) << 5
            | (np.asarray(category, dtype=np.int64) + 1) << 7
            | np.asarray(value, dtype=np.int64) << 16
        )

    @staticmethod
    def pack_one(kind: int, value: int, category: int, subject: int, assertion: int) -> int:
        """:meth:`pack` of one piece, as a Python int (compilation packs pieces one by one)."""
        return kind | assertion << 2 | subject << 5 | (category + 1) << 7 | value << 16

    @staticmethod
    def unpack(code: np.ndarray) -> tuple[np.ndarray, ...]:
        """kind, value, category (-1 for none), subject, assertion."""
        return (
            code & 3,
            code >> 16,
            ((code >> 7) & 31) - 1,
            (code >> 5) & 3,
            (code >> 2) & 7,
        )


@dataclass(frozen=True)
class CompiledTemplates:
    """Everything the engine reads of the templates and of the literal noise, as arrays.

    Template ``t`` is row ``t`` of ``piece_codes``; its order is :func:`ordered_templates`'
    (the keys in ``keys`` order, each key's templates in corpus order).
    """

    keys: tuple[str, ...]  # non-sensitive families, then the sensitive categories
    piece_codes: np.ndarray  # (templates, width) int64, EMPTY-padded
    slot_names: tuple[str, ...]  # slot id -> slot name
    template_tags: np.ndarray  # (templates, tags) bool: template t has tag_vocabulary[i]
    tag_vocabulary: tuple[str, ...]  # every template tag, sorted
    items_template: np.ndarray  # one sampler item per (template, fitting patient sex)
    items_group: np.ndarray  # its group: key index * 2 + sex
    items_weight: np.ndarray
    category_dist: dict[int, Categorical]  # sex -> sensitive category drawn for a fact
    n_literals: int
    variant_texts: pa.Array  # VariantPool layout: variant v of literal i at v * n + i
    variant_bits: np.ndarray  # difficulty bits of each variant (noise that showed)
    template_bits: np.ndarray  # difficulty bits of each template (its tags)
    # Eligibility of each template (``generator.comments.templates``): the engine redraws
    # a clause whose template does not fit its record.
    min_age: np.ndarray  # (templates,) int64: patient's age on the note's date
    # (templates,) int64: the youngest age its patient dates are drawn at: min_age, less
    # the room an early date needs (templates.EARLY_ROOM_YEARS) where it writes one
    date_min_age: np.ndarray
    max_age: np.ndarray
    since: np.ndarray  # first year it can be written (0: always)
    until: np.ndarray  # last year it can be written (templates.NO_UNTIL: always)
    partner: np.ndarray  # partner states it fits, a NO_PARTNER | ... mask
    needs: np.ndarray  # record contacts it writes, a NEEDS_PHONE | ... mask
    born: np.ndarray  # birth classes it fits, a mask (generator.comments.births)
    lives: np.ndarray  # home classes it fits, a mask (generator.comments.homes)
    # completed years the record has been open on the note's date (templates.MAX_OPEN)
    min_open: np.ndarray
    max_open: np.ndarray
    group: np.ndarray  # exclusion group id, -1 for none: one per comment
    group_names: tuple[str, ...]
    # Clauses written by more than one template ("feuille de soins papier" as a routine
    # note and a hard negative, "ne pas en parler devant la famille" after any fact, the
    # patient's phone alone): template t's ids are shared_clause[shared_start[t] :
    # shared_start[t + 1]], so that a comment never says one twice (see clause_texts).
    shared_start: np.ndarray  # (templates + 1,) int64
    shared_clause: np.ndarray
    # Derived here, once, rather than in every process that generates (about a second of
    # whole-table passes over piece_codes and the eligibility columns, each start-up):
    labelled: np.ndarray  # (templates,) bool: one of its literals reads "label : value"
    # (templates,) bool: no comma may follow it: labelled, or its last sensitive fact is a
    # relative's or a third party's ("? dépression chez le père, hypothyroïdie" hands the
    # patient's hypothyroidism to the father)
    no_comma_after: np.ndarray
    constraint: np.ndarray  # (templates,) int64: its row of constraint_rows
    # distinct (min_age, max_age, since, until, partner, needs, born, lives, min_open,
    # max_open)
    constraint_rows: np.ndarray

    def scale(self, tag_weights: Mapping[str, float]) -> np.ndarray:
        """Per template, the product of the multipliers of its tags (1 for an unlisted tag).

        Multiplied in sorted tag order; a factor of exactly 1 changes nothing.
        """
        scale = np.ones(len(self.template_tags), dtype=np.float64)
        for i, tag in enumerate(self.tag_vocabulary):
            factor = max(tag_weights.get(tag, 1.0), 1e-6)
            if factor != 1.0:
                has = self.template_tags[:, i]
                scale[has] = scale[has] * factor
        return scale


def ordered_templates(
    by_key: Mapping[str, Sequence[Template]], keys: Sequence[str]
) -> list[Template]:
    """The templates in compiled order: row ``t`` of :attr:`CompiledTemplates.piece_codes`."""
    return [template for key in keys for template in by_key.get(key, ())]


def template_keys(taxonomy: Taxonomy) -> tuple[str, ...]:
    return (*NON_SENSITIVE_FAMILIES, *taxonomy.sensitive)


class _PieceTable:
    """Literal and slot ids in order of first appearance, and each distinct piece's codes."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.category = {c: i for i, c in enumerate(taxonomy.categories)}
        self.subject = {s: i for i, s in enumerate(taxonomy.subjects)}
        self.assertion = {a: i for i, a in enumerate(taxonomy.assertions)}
        self.literals: dict[str, int] = {}
        self.slots: dict[str, int] = {TITLE_SLOT: 0, PATIENT_SURNAME_SLOT: 1}
        self.codes: dict[tuple[str | None, ...], tuple[int, ...]] = {}

    def row(self, pieces: Sequence[Piece]) -> list[int]:
        """The packed codes of one template (a patient name takes two cells)."""
        out: list[int] = []
        codes = self.codes
        for piece in pieces:
            # A plain tuple hashes several times faster than the dataclass itself.
            key = (
                piece.text,
                piece.slot,
                piece.category,
                piece.subject,
                piece.assertion,
                piece.role,
            )
            code = codes.get(key)
            if code is None:
                code = codes[key] = self._encode(piece)
            out.extend(code)
        return out

    def _encode(self, piece: Piece) -> tuple[int, ...]:
        category = self.category[piece.category] if piece.category else -1
        subject = self.subject.get(piece.subject or "patient", 0)
        assertion = self.assertion.get(piece.assertion or "affirmed", 0)
        pack = PieceCodes.pack_one
        if piece.slot is None:
            literal = self.literals.setdefault(piece.text, len(self.literals))
            return (pack(LITERAL, literal, category, subject, assertion),)
        if piece.slot == "patient_name":
            return (
                pack(SLOT, self.slots[TITLE_SLOT], -1, 0, 0),
                pack(SLOT, self.slots[PATIENT_SURNAME_SLOT], category, subject, assertion),
            )
        slot = self.slots.setdefault(slot_key(piece), len(self.slots))
        return (pack(SLOT, slot, category, subject, assertion),)


def slot_key(piece: Piece) -> str:
    """The compiled name of a slot: kind, subject and qualifiers ('phone|relative:son').

    Slots of one key are filled together; the key says whose value it is.
    """
    qualified = ":".join(q for q in (piece.subject or "patient", piece.role) if q)
    return f"{piece.slot}|{qualified}"


@functools.cache  # a few dozen keys, parsed for every batch
def parse_slot_key(key: str) -> tuple[str, str, tuple[str, ...]]:
    """(slot, subject, qualifiers) of a :func:`slot_key`; the engine's own slots have none."""
    slot, _, qualified = key.partition("|")
    subject, *qualifiers = qualified.split(":") if qualified else ("patient",)
    return slot, subject, tuple(qualifiers)


def _check_families(templates: Sequence[Template], keys: Sequence[str], taxonomy: Taxonomy):
    for key, template in zip(keys, templates, strict=True):
        if key in NON_SENSITIVE_FAMILIES and any(
            p.category and taxonomy.group_of[p.category] == "sensitive" for p in template.pieces
        ):
            raise ValueError(f"{template.source}: a {key} note holds a sensitive span")


def _tag_incidence(templates: Sequence[Template]) -> tuple[np.ndarray, tuple[str, ...]]:
    """Which template has which tag, over the sorted tag vocabulary.

    Templates share a few hundred distinct tag lists: each is spelt out once.
    """
    vocabulary = tuple(sorted({tag for template in templates for tag in template.tags}))
    column = {tag: i for i, tag in enumerate(vocabulary)}
    lists: dict[tuple[str, ...], int] = {}
    which = np.fromiter(
        (lists.setdefault(template.tags, len(lists)) for template in templates),
        dtype=np.int64,
        count=len(templates),
    )
    table = np.zeros((len(lists), len(vocabulary)), dtype=bool)
    for tags, row in lists.items():
        table[row, [column[tag] for tag in tags]] = True
    return table[which], vocabulary


def _min_ages(templates: Sequence[Template], category_min_age: Mapping[str, int]) -> np.ndarray:
    """Each template's youngest patient: its own ``min_age``, and for a fact about the
    patient, the floor of its category."""
    out = np.empty(len(templates), dtype=np.int64)
    for i, t in enumerate(templates):
        floor = 0
        if t.category in category_min_age and any(
            p.category == t.category and (p.subject or "patient") == "patient" for p in t.pieces
        ):
            floor = int(category_min_age[t.category])
        out[i] = max(t.min_age, floor)
    return out


def compile_templates(
    by_key: Mapping[str, Sequence[Template]],
    taxonomy: Taxonomy,
    noise: NoiseModel,
    category_weights: Mapping[str, float],
    category_min_age: Mapping[str, int] | None = None,
    one_clause_categories: Sequence[str] = (),
    synonyms: Mapping[str, Sequence[Sequence[str]]] | None = None,
) -> CompiledTemplates:
    """Flatten templates into the piece table, the samplers' items and the noise variants.

    A template of one of ``one_clause_categories`` without a group of its own takes its
    category's: a comment says such a fact once ("sikh. pentecôtiste" is a contradiction).
    ``synonyms`` (``comments/synonyms.yaml``) names the texts of one fact: a comment
    states the patient's fact once, in one of them (:func:`fact_names`).
    """
    keys = template_keys(taxonomy)
    templates = ordered_templates(by_key, keys)
    key_of = np.repeat(
        np.arange(len(keys), dtype=np.int64), [len(by_key.get(key, ())) for key in keys]
    )
    _check_families(templates, [keys[k] for k in key_of], taxonomy)

    table = _PieceTable(taxonomy)
    rows = [table.row(template.pieces) for template in templates]
    lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    piece_codes = np.zeros((len(rows), int(lengths.max(initial=0))), dtype=np.int64)
    starts = np.cumsum(lengths) - lengths
    column = np.arange(int(lengths.sum())) - np.repeat(starts, lengths)
    piece_codes[np.repeat(np.arange(len(rows)), lengths), column] = np.fromiter(
        itertools.chain.from_iterable(rows), dtype=np.int64, count=int(lengths.sum())
    )

    # Sampler items: one per (template, patient sex it fits), template-major, male first.
    sex = np.array([template.sex for template in templates], dtype=object)
    fits = np.empty((len(templates), 2), dtype=bool)
    fits[:, MALE], fits[:, FEMALE] = sex != "F", sex != "M"  # 'any' fits both
    items_template, items_sex = np.nonzero(fits)
    weight = np.array([template.weight for template in templates], dtype=np.float64)
    items_group = key_of[items_template] * 2 + items_sex
    items_weight = weight[items_template]

    totals = np.bincount(items_group, weights=items_weight, minlength=2 * len(keys))
    available = totals.reshape(len(keys), 2) > 0
    for family_index, family in enumerate(NON_SENSITIVE_FAMILIES):
        if not available[family_index].all():
            raise ValueError(f"no {family} template for one of the sexes")
    # A category a sex cannot have (no template) is never drawn for that sex.
    category_dist = {
        s: Categorical.from_weights(
            [
                float(category_weights.get(c, 0.0)) * available[len(NON_SENSITIVE_FAMILIES) + i, s]
                for i, c in enumerate(taxonomy.sensitive)
            ]
        )
        for s in (MALE, FEMALE)
    }

    def column(attribute: str) -> np.ndarray:
        return np.fromiter(
            (getattr(t, attribute) for t in templates), dtype=np.int64, count=len(templates)
        )

    once = frozenset(one_clause_categories)
    groups = [
        t.group or (f"category:{t.category}" if t.category in once else "") for t in templates
    ]
    group_names = tuple(sorted(set(groups) - {""}))
    group_id = {name: i for i, name in enumerate(group_names)}

    shared_start, shared_clause = _shared_clauses(
        templates, frozenset(taxonomy.sensitive), synonym_names(synonyms or {})
    )
    incidence, vocabulary = _tag_incidence(templates)
    literals = list(table.literals)
    variant_texts, variant_bits, tag_bit = _variants(noise, literals)
    template_bits = np.zeros(len(templates), dtype=np.int64)
    for i, tag in enumerate(vocabulary):
        if tag in tag_bit:
            template_bits |= np.where(incidence[:, i], tag_bit[tag], 0)

    min_age = _min_ages(templates, category_min_age or {})
    max_age, since, until, partner, needs, born, lives, min_open, max_open = map(
        column,
        ("max_age", "since", "until", "partner", "needs", "born", "lives", "min_open", "max_open"),
    )
    constraint_rows, constraint = np.unique(
        np.stack(
            [min_age, max_age, since, until, partner, needs, born, lives, min_open, max_open],
            axis=1,
        ),
        axis=0,
        return_inverse=True,
    )
    labelled = _labelled(piece_codes, variant_texts.slice(0, len(literals)))
    return CompiledTemplates(
        keys=keys,
        piece_codes=piece_codes,
        slot_names=tuple(table.slots),
        template_tags=incidence,
        tag_vocabulary=vocabulary,
        items_template=items_template.astype(np.int64),
        items_group=items_group.astype(np.int64),
        items_weight=items_weight,
        category_dist=category_dist,
        n_literals=len(literals),
        variant_texts=variant_texts,
        variant_bits=variant_bits,
        template_bits=template_bits,
        min_age=min_age,
        date_min_age=np.maximum(
            min_age - EARLY_ROOM_YEARS * np.array([early_dated(t) for t in templates], bool),
            0,
        ),
        max_age=max_age,
        since=since,
        until=until,
        partner=partner,
        needs=needs,
        born=born,
        lives=lives,
        min_open=min_open,
        max_open=max_open,
        group=np.array([group_id.get(g, -1) for g in groups], dtype=np.int64),
        group_names=group_names,
        shared_start=shared_start,
        shared_clause=shared_clause,
        labelled=labelled,
        no_comma_after=labelled | _ends_about_someone_else(templates, taxonomy),
        constraint=constraint.reshape(-1).astype(np.int64),
        constraint_rows=constraint_rows,
    )


def _labelled(piece_codes: np.ndarray, literal_texts: pa.Array) -> np.ndarray:
    """Per template: whether one of its literals reads "label : value" (a comma never
    follows such a clause, see ``CommentEngine._lay_out``)."""
    kind, value, *_ = PieceCodes.unpack(piece_codes)
    literal = kind == LITERAL
    colon = pc.match_substring(literal_texts, " : ")
    colon = np.asarray(colon.to_numpy(zero_copy_only=False), dtype=bool)
    return (literal & colon[np.where(literal, value, 0)]).any(axis=1)


def _ends_about_someone_else(templates: Sequence[Template], taxonomy: Taxonomy) -> np.ndarray:
    """Per template: whether its last sensitive fact is about someone other than the
    patient ("Mère placée en GAV"): after a comma, the next clause's fact ("épicerie
    sociale") reads as theirs too, so a full stop ends it."""
    sensitive = set(taxonomy.sensitive)
    out = np.zeros(len(templates), dtype=bool)
    for i, template in enumerate(templates):
        facts = [p.subject for p in template.pieces if p.category in sensitive]
        out[i] = bool(facts) and facts[-1] != "patient"
    return out


# What a reader takes for the end of a clause: a sentence or list stop, a line break, a
# dash or slash between spaces (the separators breachbench check splits on as well).
_CLAUSE_END = re.compile(r"(?<!\bM)(?<!\bDr)[.;!?|]+(?:\s+|$)|\n+|\s(?:--|[-–/+])\s|\s//\s?")
_NOT_WORD = re.compile(r"[\W_]+")
# Slots whose value is the same wherever a record writes them (its names, contacts,
# household), keyed so that two of them compare equal; the patient's phones as one (the
# mobile is also "the" phone). Other slots (third parties, 'other' values, dated events)
# are drawn anew each time and make a clause unique.
_SAME_VALUE_DATES = ("birth", "created")
# Someone's address, phone, email or NIR is written once per comment whatever surrounds
# it ("nouvelle adresse : X" and "a déménagé : X" say one thing; "Bât. F, 67100 ..." then
# reads as a clause twice).
_ONCE = ("address", "street", "phone", "email", "nir")


def clause_texts(template: Template) -> set[str]:
    """The clauses of a template as a reader compares them: split where a reader (and
    ``breachbench check``) ends a clause, lower case, accents and punctuation aside, each
    slot a token of whose value it is ("tél fille : {phone|relative:daughter}" and "tél
    fille {phone|relative:daughter}" are one clause). A clause holding a slot whose value
    is drawn anew is left out: two of them never read the same. Someone's address, phone,
    email or NIR counts as a clause of its own too."""
    text, fresh, contacts = [], set(), set()
    for i, piece in enumerate(template.pieces):
        if piece.slot is None:
            text.append(piece.text)
            continue
        key = slot_key(piece)
        name, subject, qualifiers = parse_slot_key(key)
        if subject == "patient" and name == "phone" and "other" not in qualifiers:
            key = "phone|patient"
        drawn = subject == "third_party" or "other" in qualifiers
        if name in ("date", "month_year", "year"):
            drawn = drawn or not set(qualifiers) & set(_SAME_VALUE_DATES)
        token = f" slot{i}x " if drawn else " slot" + _NOT_WORD.sub("x", key) + " "
        if drawn:
            fresh.add(token.strip())
        elif name in _ONCE:
            contacts.add(token.strip())
        text.append(token)
    out = contacts
    for clause in _CLAUSE_END.split("".join(text)):
        words = _words(clause)
        if words and not fresh.intersection(words.split()):
            out.add(words)
    return out


@functools.cache
def _words(clause: str) -> str:
    """The words of a clause, lower case and without accents (clauses repeat across
    templates: each is normalised once)."""
    return " ".join(_NOT_WORD.sub(" ", _plain(clause)).split())


def _plain(text: str) -> str:
    """Lower case without accents."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fact_names(
    template: Template, sensitive: frozenset[str], synonyms: Mapping[str, str]
) -> set[str]:
    """The patient's facts a template states, one name each: its labelled sensitive
    spans about the patient by category and words (lower case, accents aside), a text
    of a ``comments/synonyms.yaml`` set named by the set. Two templates naming one fact
    say it twice ("VIF. Violences intrafamiliales", "VIH+ ; séropositif")."""
    out = set()
    for piece in template.pieces:
        if piece.slot is None and piece.category in sensitive and piece.subject == "patient":
            words = _words(piece.text)
            out.add(f"fact {piece.category} {synonyms.get(f'{piece.category} {words}', words)}")
    return out


def synonym_names(document: Mapping[str, Sequence[Sequence[str]]]) -> dict[str, str]:
    """``comments/synonyms.yaml`` as '<category> <words>' -> the name of its set (its
    first text's words): what :func:`fact_names` reads."""
    out: dict[str, str] = {}
    for category, sets in (document or {}).items():
        for names in sets:
            first = _words(str(names[0]))
            for name in names:
                out[f"{category} {_words(str(name))}"] = first
    return out


def _shared_clauses(
    templates: Sequence[Template],
    sensitive: frozenset[str] = frozenset(),
    synonyms: Mapping[str, str] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """:attr:`CompiledTemplates.shared_start` and ``shared_clause``: ids of the clauses
    (:func:`clause_texts`) that more than one template writes, and of the patient's
    facts they name (:func:`fact_names`: a note states a fact once). A group that some
    template holds as a further one (``Template.more_groups``) is a clause every member
    says, so a comment holds one of them whichever group is a member's first."""
    further = {name for t in templates for name in t.more_groups}
    synonyms = synonyms or {}
    texts = [
        clause_texts(t)
        | {f"group {g}" for g in (t.group, *t.more_groups) if g in further}
        | fact_names(t, sensitive, synonyms)
        for t in templates
    ]
    owners: dict[str, int] = {}
    for clauses in texts:
        for clause in clauses:
            owners[clause] = owners.get(clause, 0) + 1
    ids: dict[str, int] = {}
    per_template = [
        # In text order, not a set's (its order follows string hashing, which changes
        # from one process to the next): the same ids in every compilation.
        sorted(ids.setdefault(c, len(ids)) for c in sorted(clauses) if owners[c] > 1)
        for clauses in texts
    ]
    start = np.zeros(len(templates) + 1, dtype=np.int64)
    np.cumsum([len(x) for x in per_template], out=start[1:])
    return start, np.fromiter(itertools.chain.from_iterable(per_template), dtype=np.int64)


def difficulty_bits(noise: NoiseModel) -> dict[str, np.int64]:
    """The bit of each difficulty tag in the ``difficulty_tags`` masks."""
    return {tag: np.int64(1) << i for i, tag in enumerate(noise.difficulty_tags)}


def _variants(
    noise: NoiseModel, literals: list[str]
) -> tuple[pa.Array, np.ndarray, dict[str, np.int64]]:
    """Noisy variants of every literal, and the difficulty bits of what each one shows."""
    variants = variant_pool(noise, literals)
    changed = variants.changed.reshape(-1, 3)
    tag_bit = difficulty_bits(noise)
    bits = np.zeros(len(changed), dtype=np.int64)
    edit = np.arange(len(changed)) // (4 * variants.n_literals)
    for e, name in enumerate(EDITS):
        tag = EDIT_TAGS.get(name, name)
        if tag in tag_bit:
            bits |= np.where(changed[:, 0] & (edit == e), tag_bit[tag], 0)
    for k, tag in ((1, "no_accents"), (2, "upper_case")):
        if tag in tag_bit:
            bits |= np.where(changed[:, k], tag_bit[tag], 0)
    return pa.array(variants.texts, type=pa.string()), bits, tag_bit


@functools.cache
def load_compiled() -> CompiledTemplates:
    """The installed corpora's templates, compiled; cached on disk across processes."""

    # Through the templates' own disk cache: on a first run it costs a second to write,
    # which the held-out splits, the test strategies and the next compilation (after an
    # upgrade of the generator alone) read back instead of expanding them again.
    return derived("compiled-templates", lambda: compile_installed(load_templates()))


def compile_installed(templates: Mapping[str, Sequence[Template]]) -> CompiledTemplates:
    """``templates`` compiled with the installed corpora's settings (composition, taxonomy,
    noise, synonyms): the one place that reads them, so that a cached compilation and a
    fresh one cannot be made from different settings."""
    spec = corpora.read_yaml("formats/composition.yaml")
    return compile_templates(
        templates,
        load_taxonomy(),
        load_noise(),
        spec["category_weights"],
        spec.get("category_min_age", {}),
        spec.get("one_clause_categories", ()),
        corpora.read_yaml(SYNONYMS_FILE),
    )
