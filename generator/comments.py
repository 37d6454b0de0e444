"""Administrative comments with exact span labels, built for a whole batch at once.

A comment is a row of *clauses* (routine notes, identifier mentions, hard negatives,
sensitive facts), each one a template of ``generator.templates`` made of *pieces*:
literals, labelled literals and slots filled per record. The engine lays every piece
instance of the batch out in one flat array in reading order, fills the slots kind by
kind, measures each piece, and derives both the text (one ``binary_join`` over a list
array) and the span offsets (a cumulative sum of piece lengths) from the same layout.
Because spans are computed from the pieces that were really written, they cannot drift
from the text, whatever the slot values or the noise applied to a piece.

Writing noise (``generator.noise``) swaps a literal piece for one of its precomputed noisy
variants, so it costs an index per piece and leaves the offsets exact. Each record also
gets ``difficulty_tags``: what makes it hard (template tags such as ``implicit`` or
``negated``, and the noise that really showed), as one bit mask per clause and piece
OR-reduced per record.

Reads ``formats/composition.yaml``; slot values come from ``generator.slots``, the
templates and connectors from ``corpora/comments/`` through ``generator.templates``, the
noise models from ``corpora/noise/`` through ``generator.noise``.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from generator import corpora
from generator.contacts import ContactsModel, email_forms, load_contacts
from generator.dates import load_date_formats
from generator.noise import EDITS, NoiseModel, VariantPool, load_noise, variant_pool
from generator.options import DEFAULT_DIFFICULTY
from generator.people import FEMALE, MALE, People, PeopleModel, load_people
from generator.places import PlacesModel, load_places
from generator.sampling import Categorical, GroupedCategorical
from generator.schema import SPAN_TYPE
from generator.slots import SlotFiller
from generator.taxonomy import Taxonomy, load_taxonomy
from generator.templates import Template, load_connectors, load_templates
from generator.text import (
    take,
    utf8_lengths,
)

NON_SENSITIVE_FAMILIES = ("routine", "identifier", "hard_negative")

# Piece kinds in the compiled table.
EMPTY, LITERAL, SLOT = 0, 1, 2
# Slots the engine adds to those of the markup: unlabelled title before a patient name.
TITLE_SLOT = "title"
PATIENT_SURNAME_SLOT = "patient_surname"


@dataclass(frozen=True)
class CommentContext:
    """What the engine may read of each record when it fills a slot."""

    sex: np.ndarray
    birth_year: np.ndarray
    last_name: pa.Array
    nir: np.ndarray  # (n, 15) bytes
    unit: np.ndarray  # residence row of the commune table
    department_index: np.ndarray

    @classmethod
    def for_people(
        cls, people: People, nir: np.ndarray, unit: np.ndarray, places: PlacesModel
    ) -> CommentContext:
        """The context of people living in the commune-table rows ``unit``."""
        return cls(
            sex=people.sex,
            birth_year=people.birth_year,
            last_name=people.last_name,
            nir=nir,
            unit=unit,
            department_index=places.department_index[unit],
        )


@dataclass(frozen=True)
class Comments:
    text: pa.Array
    sensitive: pa.Array
    categories: pa.Array
    spans: pa.Array
    difficulty_tags: pa.Array


class PieceCodes:
    """A piece packed in one int64, so a batch gathers its clauses' pieces in one go.

    Bits 0-1 kind, 2-4 assertion id, 5-6 subject id, 7-11 category id + 1 (0: none),
    16 and up the literal or slot id.
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
    def unpack(code: np.ndarray) -> tuple[np.ndarray, ...]:
        """kind, value, category (-1 for none), subject, assertion."""
        return (
            code & 3,
            code >> 16,
            ((code >> 7) & 31) - 1,
            (code >> 5) & 3,
            (code >> 2) & 7,
        )


def _weighted_texts(entries: list[dict]) -> tuple[pa.Array, Categorical]:
    return (
        pa.array([entry["text"] for entry in entries], type=pa.string()),
        Categorical.from_weights([entry["weight"] for entry in entries]),
    )


class CommentEngine:
    """Compiled templates and the distributions that compose them into comments."""

    def __init__(self, *, real_email_domains: bool = False) -> None:
        self.taxonomy: Taxonomy = load_taxonomy()
        self.people: PeopleModel = load_people()
        self.places: PlacesModel = load_places()
        self.contacts: ContactsModel = load_contacts()
        self.dates = load_date_formats()
        self.real_email_domains = real_email_domains
        self.zone_of_unit = self.contacts.zones(self.places.region, self.places.department)
        self.first_name_forms = email_forms(self.people.first_names)
        self.surname_forms = email_forms(self.people.surnames)

        spec = corpora.read_yaml("formats/composition.yaml")
        self.clause_counts = np.array(sorted(spec["clauses_per_comment"]), dtype=np.int64)
        self.clause_dist = Categorical.from_weights(
            [spec["clauses_per_comment"][k] for k in self.clause_counts]
        )
        self.sensitive_counts = np.array(sorted(spec["sensitive_clauses"]), dtype=np.int64)
        self.sensitive_dist = Categorical.from_weights(
            [spec["sensitive_clauses"][k] for k in self.sensitive_counts]
        )
        self.family_weights = {f: float(spec["families"][f]) for f in NON_SENSITIVE_FAMILIES}
        self.titles = {
            sex: _weighted_texts(spec["titles"][code]) for sex, code in ((MALE, "M"), (FEMALE, "F"))
        }
        self.upper_surname_rate = float(spec["upper_surname_rate"])
        self.spaced_nir_rate = float(spec["spaced_nir_rate"])

        connectors = load_connectors()
        self.separators = pa.array(list(connectors.separators), type=pa.string())
        self.separator_dist = Categorical.from_weights(list(connectors.separator_weights))
        self.openers = pa.array(list(connectors.openers), type=pa.string())
        self.opener_dist = Categorical.from_weights(list(connectors.opener_weights))
        self.opener_rate = connectors.opener_rate
        self.closers = pa.array(list(connectors.closers), type=pa.string())
        self.closer_dist = Categorical.from_weights(list(connectors.closer_weights))
        self.closer_rate = connectors.closer_rate

        self.noise: NoiseModel = load_noise()
        self._compile(load_templates(), spec["category_weights"])
        self._compile_noise()

    # ------------------------------------------------------------------ compilation
    def _compile(self, by_key: dict[str, tuple[Template, ...]], category_weights: dict) -> None:
        """Flatten templates into a piece table and the samplers that pick them."""
        taxonomy = self.taxonomy
        self.keys = (*NON_SENSITIVE_FAMILIES, *taxonomy.sensitive)
        templates: list[Template] = []
        key_of: list[int] = []
        for key_index, key in enumerate(self.keys):
            for template in by_key.get(key, ()):
                if key in NON_SENSITIVE_FAMILIES and any(
                    p.category and taxonomy.group_of[p.category] == "sensitive"
                    for p in template.pieces
                ):
                    raise ValueError(f"{template.source}: a {key} note holds a sensitive span")
                templates.append(template)
                key_of.append(key_index)
        self.templates = templates

        literals: dict[str, int] = {}
        slot_names: list[str] = [TITLE_SLOT, PATIENT_SURNAME_SLOT]
        rows: list[list[tuple[int, int, int, int, int]]] = []
        subjects = {s: i for i, s in enumerate(taxonomy.subjects)}
        assertions = {a: i for i, a in enumerate(taxonomy.assertions)}
        for template in templates:
            row: list[tuple[int, int, int, int, int]] = []
            for piece in template.pieces:
                category = taxonomy.index(piece.category) if piece.category else -1
                subject = subjects.get(piece.subject or "patient", 0)
                assertion = assertions.get(piece.assertion or "affirmed", 0)
                if piece.slot is None:
                    literal = literals.setdefault(piece.text, len(literals))
                    row.append((LITERAL, literal, category, subject, assertion))
                elif piece.slot == "patient_name":
                    title = slot_names.index(TITLE_SLOT)
                    surname = slot_names.index(PATIENT_SURNAME_SLOT)
                    row.append((SLOT, title, -1, 0, 0))
                    row.append((SLOT, surname, category, subject, assertion))
                else:
                    if piece.slot not in slot_names:
                        slot_names.append(piece.slot)
                    row.append((SLOT, slot_names.index(piece.slot), category, subject, assertion))
            rows.append(row)
        width = max(len(r) for r in rows)
        table = np.zeros((len(rows), width, 5), dtype=np.int64)
        table[:, :, 2] = -1
        for i, row in enumerate(rows):
            if row:
                table[i, : len(row)] = row
        self.piece_codes = PieceCodes.pack(*(table[:, :, k] for k in range(5)))
        self.literals = pa.array(list(literals), type=pa.string())
        self.slot_names = tuple(slot_names)

        # Template samplers: one group per (key, patient sex).
        items_template, items_group, items_weight = [], [], []
        for t, (template, key_index) in enumerate(zip(templates, key_of, strict=True)):
            for sex, code in ((MALE, "M"), (FEMALE, "F")):
                if template.sex in ("any", code):
                    items_template.append(t)
                    items_group.append(key_index * 2 + sex)
                    items_weight.append(template.weight)
        self.items_template = np.array(items_template, dtype=np.int64)
        self.items_group = np.array(items_group, dtype=np.int64)
        self.items_weight = np.array(items_weight, dtype=np.float64)
        self._samplers: dict[str, GroupedCategorical] = {}
        base = GroupedCategorical.from_groups(
            self.items_group, self.items_weight, 2 * len(self.keys)
        )
        available = base.group_total.reshape(len(self.keys), 2) > 0
        for family_index, family in enumerate(NON_SENSITIVE_FAMILIES):
            if not available[family_index].all():
                raise ValueError(f"no {family} template for one of the sexes")
        # A category a sex cannot have (no template) is never drawn for that sex.
        self.category_dist = {}
        for sex in (MALE, FEMALE):
            weights = [
                float(category_weights.get(c, 0.0))
                * available[len(NON_SENSITIVE_FAMILIES) + i, sex]
                for i, c in enumerate(taxonomy.sensitive)
            ]
            self.category_dist[sex] = Categorical.from_weights(weights)

    def _compile_noise(self) -> None:
        """Noisy variants of every literal, and each template's difficulty bits."""
        noise = self.noise
        self.variants: VariantPool = variant_pool(noise, self.literals.to_pylist())
        self.variant_texts = pa.array(self.variants.texts, type=pa.string())
        changed = self.variants.changed.reshape(-1, 3)
        self.tag_bit = {tag: np.int64(1) << i for i, tag in enumerate(noise.difficulty_tags)}
        bits = np.zeros(len(changed), dtype=np.int64)
        edit = np.arange(len(changed)) // (4 * self.variants.n_literals)
        for e, name in enumerate(EDITS):
            if name in self.tag_bit:
                bits |= np.where(changed[:, 0] & (edit == e), self.tag_bit[name], 0)
        for k, tag in ((1, "no_accents"), (2, "upper_case")):
            if tag in self.tag_bit:
                bits |= np.where(changed[:, k], self.tag_bit[tag], 0)
        self.variant_bits = bits
        self.template_bits = np.array(
            [
                sum(int(self.tag_bit[t]) for t in set(template.tags) if t in self.tag_bit)
                for template in self.templates
            ],
            dtype=np.int64,
        )
        self.tag_names = pa.array(list(noise.difficulty_tags), type=pa.string())

    def restricted(self, keep: np.ndarray) -> CommentEngine:
        """A copy that only draws the templates where ``keep`` is true.

        For family-held-out evaluation: generate training comments from some template and
        lexicon families and test comments from the others. A sensitive category left with
        no template for a sex is not drawn for it; a non-sensitive family must keep one.
        """
        clone = copy.copy(self)
        clone.items_weight = np.where(np.asarray(keep)[self.items_template], self.items_weight, 0)
        clone._samplers = {}
        available = clone._sampler(DEFAULT_DIFFICULTY).group_total.reshape(-1, 2) > 0
        if not available[: len(NON_SENSITIVE_FAMILIES)].all():
            raise ValueError("a restriction must keep every non-sensitive family for both sexes")
        weights = [self.category_dist[sex] for sex in (MALE, FEMALE)]
        clone.category_dist = {}
        offset = len(NON_SENSITIVE_FAMILIES)
        for sex, base in zip((MALE, FEMALE), weights, strict=True):
            # Recover the base weights from the alias table's probabilities.
            k = len(base.probability)
            mass = base.probability.copy()
            np.add.at(mass, base.alias, 1.0 - base.probability)
            mass = mass * available[offset : offset + k, sex]
            clone.category_dist[sex] = Categorical.from_weights(mass)
        return clone

    def _sampler(self, difficulty: str) -> GroupedCategorical:
        """The template sampler of a difficulty level: weights scaled by template tags."""
        if difficulty not in self._samplers:
            multipliers = self.noise.levels[difficulty].tag_weights
            scale = np.array(
                [
                    np.prod([max(multipliers.get(t, 1.0), 1e-6) for t in set(template.tags)])
                    for template in self.templates
                ]
            )
            self._samplers[difficulty] = GroupedCategorical.from_groups(
                self.items_group,
                self.items_weight * scale[self.items_template],
                2 * len(self.keys),
            )
        return self._samplers[difficulty]

    # ------------------------------------------------------------------ generation
    def generate(
        self,
        rng: np.random.Generator,
        ctx: CommentContext,
        *,
        comment_rate: float,
        sensitive_rate: float,
        difficulty: str = DEFAULT_DIFFICULTY,
        hard_negative_rate: float | None = None,
    ) -> Comments:
        """Comments for every record of ``ctx``.

        ``hard_negative_rate`` is the share of non-fact clauses that are hard negatives
        (None: the composition file's share); ``difficulty`` picks a level of
        ``corpora/noise/levels.yaml``.
        """
        if difficulty not in self.noise.levels:
            raise ValueError(f"unknown difficulty {difficulty!r}")
        n = len(ctx.sex)
        has_comment = rng.random(n) < comment_rate
        is_sensitive = has_comment & (rng.random(n) < sensitive_rate)
        commented = np.flatnonzero(has_comment)

        clauses = self.clause_counts[self.clause_dist.sample(rng, len(commented))]
        facts = np.where(
            is_sensitive[commented],
            self.sensitive_counts[self.sensitive_dist.sample(rng, len(commented))],
            0,
        )
        clauses = np.maximum(clauses, facts)
        clause_row = np.repeat(commented, clauses)
        first_clause = np.cumsum(clauses) - clauses
        position = np.arange(len(clause_row)) - np.repeat(first_clause, clauses)

        # Which clauses of a row are sensitive facts: ``facts`` consecutive ones (modulo
        # the row's clause count) from a random first one, so they may open, close or
        # sit inside the comment.
        per_clause_count = np.repeat(clauses, clauses)
        first_fact = np.repeat((rng.random(len(commented)) * clauses).astype(np.int64), clauses)
        is_fact = (position - first_fact) % per_clause_count < np.repeat(facts, clauses)

        sex = ctx.sex[clause_row]
        family = self._family_dist(hard_negative_rate).sample(rng, len(clause_row))
        category = np.where(
            sex == FEMALE,
            self.category_dist[FEMALE].sample(rng, len(clause_row)),
            self.category_dist[MALE].sample(rng, len(clause_row)),
        )
        key = np.where(is_fact, len(NON_SENSITIVE_FAMILIES) + category, family)
        template = self.items_template[self._sampler(difficulty).sample(rng, key * 2 + sex)]
        multi_fact = np.zeros(n, dtype=bool)
        multi_fact[commented] = facts >= 2

        return self._assemble(
            rng, ctx, n, has_comment, clause_row, position, template, difficulty, multi_fact
        )

    def _family_dist(self, hard_negative_rate: float | None) -> Categorical:
        weights = self.family_weights
        if hard_negative_rate is None:
            return Categorical.from_weights([weights[f] for f in NON_SENSITIVE_FAMILIES])
        rest = weights["routine"] + weights["identifier"]
        other = 1.0 - hard_negative_rate
        return Categorical.from_weights(
            [
                other * weights["routine"] / rest,
                other * weights["identifier"] / rest,
                hard_negative_rate,
            ]
        )

    def _assemble(
        self,
        rng: np.random.Generator,
        ctx: CommentContext,
        n: int,
        has_comment: np.ndarray,
        clause_row: np.ndarray,
        position: np.ndarray,
        template: np.ndarray,
        difficulty: str,
        multi_fact: np.ndarray,
    ) -> Comments:
        n_clauses = len(clause_row)
        n_literals = len(self.variant_texts)
        level = self.noise.levels[difficulty]
        noisy_row = rng.random(n) < level.noisy_row
        upper_row = rng.random(n) < level.upper_row
        strip_row = rng.random(n) < level.no_accents_row

        # Column 0 of each clause: the separator before it, or an opener for the first one.
        separator = self.separator_dist.sample(rng, n_clauses)
        opener = self.opener_dist.sample(rng, n_clauses)
        first = position == 0
        lead_kind = np.where(first & (rng.random(n_clauses) >= self.opener_rate), EMPTY, LITERAL)
        lead_pool = np.where(first, 1, 0)  # 0 separators, 1 openers
        lead_value = np.where(first, opener, separator)

        lead = PieceCodes.pack(lead_kind, lead_value, -1, 0, 0)
        codes = np.concatenate([lead[:, None], self.piece_codes[template]], axis=1)
        mask = (codes & 3) != EMPTY
        # Instances in reading order: rows ascend, pieces follow clause order.
        inst_kind, inst_value, inst_category, inst_subject, inst_assertion = PieceCodes.unpack(
            codes[mask]
        )
        per_clause = mask.sum(axis=1)
        inst_row = np.repeat(clause_row, per_clause)
        inst_lead = np.zeros(len(inst_kind), dtype=bool)
        inst_lead[(np.cumsum(per_clause) - per_clause)[mask[:, 0]]] = True
        inst_lead_pool = np.repeat(lead_pool, per_clause)

        # Pool of texts: template literals, separators, openers, then each slot's values.
        pool_parts: list[pa.Array] = [self.variant_texts, self.separators, self.openers]
        index = np.empty(len(inst_kind), dtype=np.int64)
        literal = (inst_kind == LITERAL) & ~inst_lead
        literal_row = inst_row[literal]
        edit_probability = np.array([level.pieces[e] for e in EDITS[1:]])
        edit = np.searchsorted(
            np.cumsum(edit_probability), rng.random(len(literal_row)), side="right"
        )
        edit = np.where(noisy_row[literal_row] & (edit < len(EDITS) - 1), edit + 1, 0)
        variant = VariantPool.variant(edit, strip_row[literal_row], upper_row[literal_row])
        index[literal] = variant * self.variants.n_literals + inst_value[literal]
        piece_bits = np.zeros(len(inst_kind), dtype=np.int64)
        piece_bits[literal] = self.variant_bits[index[literal]]
        lead_sep = inst_lead & (inst_lead_pool == 0)
        lead_open = inst_lead & (inst_lead_pool == 1)
        index[lead_sep] = n_literals + inst_value[lead_sep]
        index[lead_open] = n_literals + len(self.separators) + inst_value[lead_open]
        offset = n_literals + len(self.separators) + len(self.openers)
        filler = SlotFiller(self, ctx, rng)
        is_slot = inst_kind == SLOT
        for slot_id, slot_name in enumerate(self.slot_names):
            where = np.flatnonzero(is_slot & (inst_value == slot_id))
            if len(where) == 0:
                continue
            values = filler.fill(slot_name, inst_row[where]).cast(pa.string())
            shout = upper_row[inst_row[where]]
            if shout.any():
                values = pc.if_else(pa.array(shout), pc.utf8_upper(values), values)
            pool_parts.append(values)
            index[where] = offset + np.arange(len(where))
            offset += len(where)
        pool = pa.concat_arrays(pool_parts)
        texts = pool.take(pa.array(index))

        lengths = utf8_lengths(texts)

        # Reading order is already row-major: rows ascend, pieces follow clause order.
        counts = np.bincount(inst_row, minlength=n)
        row_offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
        joined = pc.binary_join(pa.ListArray.from_arrays(pa.array(row_offsets), texts), "")
        text = pc.if_else(pa.array(has_comment), joined, pa.scalar(None, pa.string()))

        ends = np.cumsum(lengths)
        row_start_chars = np.concatenate([[0], ends])[row_offsets[:-1]]
        starts = ends - lengths - np.repeat(row_start_chars, counts)
        labelled = (inst_category >= 0) & (lengths > 0)
        span_row = inst_row[labelled]
        tags = self._difficulty_tags(
            n, counts, row_offsets, piece_bits, clause_row, template, multi_fact, upper_row
        )
        return self._labels(
            n,
            span_row,
            starts[labelled],
            starts[labelled] + lengths[labelled],
            inst_category[labelled],
            inst_subject[labelled],
            inst_assertion[labelled],
            text,
            tags,
        )

    def _difficulty_tags(
        self,
        n: int,
        counts: np.ndarray,
        row_offsets: np.ndarray,
        piece_bits: np.ndarray,
        clause_row: np.ndarray,
        template: np.ndarray,
        multi_fact: np.ndarray,
        upper_row: np.ndarray,
    ) -> pa.Array:
        """Per record, the difficulty tags of its clauses and of the noise that showed."""
        mask = np.zeros(n, dtype=np.int64)
        filled = counts > 0
        if filled.any():
            mask[filled] = np.bitwise_or.reduceat(piece_bits, row_offsets[:-1][filled])
        clause_counts = np.bincount(clause_row, minlength=n)
        has_clause = clause_counts > 0
        if has_clause.any():
            starts = np.concatenate([[0], np.cumsum(clause_counts)[:-1]])
            mask[has_clause] |= np.bitwise_or.reduceat(
                self.template_bits[template], starts[has_clause]
            )
        bit = self.tag_bit
        if "multi_fact" in bit:
            mask |= np.where(multi_fact, bit["multi_fact"], 0)
        if "upper_case" in bit:
            mask |= np.where(upper_row & has_clause, bit["upper_case"], 0)
        return lists_from_masks(mask, self.tag_names)

    def _labels(
        self,
        n: int,
        span_row: np.ndarray,
        start: np.ndarray,
        end: np.ndarray,
        category: np.ndarray,
        subject: np.ndarray,
        assertion: np.ndarray,
        text: pa.Array,
        difficulty_tags: pa.Array,
    ) -> Comments:
        taxonomy = self.taxonomy
        names = pa.array(list(taxonomy.categories), type=pa.string())
        span_counts = np.bincount(span_row, minlength=n)
        span_offsets = pa.array(np.concatenate([[0], np.cumsum(span_counts)]).astype(np.int32))
        struct = pa.StructArray.from_arrays(
            [
                pa.array(start.astype(np.int32)),
                pa.array(end.astype(np.int32)),
                take(names, category),
                take(pa.array(list(taxonomy.subjects)), subject),
                take(pa.array(list(taxonomy.assertions)), assertion),
            ],
            fields=list(SPAN_TYPE),
        )
        spans = pa.ListArray.from_arrays(span_offsets, struct, type=pa.list_(SPAN_TYPE))

        # Category ids are numbered in sorted order, so a mask lists them sorted.
        mask = np.zeros(n, dtype=np.int64)
        if len(span_row):  # span rows ascend: OR each row's run of bits
            first = np.flatnonzero(np.diff(span_row, prepend=-1))
            mask[span_row[first]] = np.bitwise_or.reduceat(np.int64(1) << category, first)
        categories = lists_from_masks(mask, names)
        sensitive_bits = sum(1 << taxonomy.index(c) for c in taxonomy.sensitive)
        sensitive = (mask & sensitive_bits) != 0
        return Comments(
            text=text,
            sensitive=pa.array(sensitive),
            categories=categories,
            spans=spans,
            difficulty_tags=difficulty_tags,
        )


def lists_from_masks(mask: np.ndarray, names: pa.Array) -> pa.Array:
    """Per row, the names of the bits set in ``mask`` (bit i is ``names[i]``), in bit order.

    A batch holds few distinct masks, so each distinct one is spelt out once and the rows
    take their list from those: no (rows x bits) matrix.
    """
    nonzero = np.flatnonzero(mask)
    distinct, inverse = np.unique(mask[nonzero], return_inverse=True)
    distinct = np.concatenate([distinct, [0]])  # the last list is the empty one
    bits = (distinct[:, None] >> np.arange(len(names))) & 1
    owner, name_id = np.nonzero(bits)
    offsets = np.concatenate([[0], np.cumsum(np.bincount(owner, minlength=len(distinct)))])
    spelt = pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), take(names, name_id))
    which = np.full(len(mask), len(distinct) - 1, dtype=np.int64)
    which[nonzero] = inverse.reshape(-1)
    return spelt.take(pa.array(which))


@functools.cache
def load_engine(real_email_domains: bool = False) -> CommentEngine:
    return CommentEngine(real_email_domains=real_email_domains)
