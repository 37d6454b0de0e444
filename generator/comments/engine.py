"""Administrative comments with exact span labels, built for a whole batch at once.

A comment is a row of *clauses* (routine notes, identifier mentions, hard negatives,
sensitive facts), each one a template of ``generator.comments.templates`` made of *pieces*:
literals, labelled literals and slots filled per record. The engine lays every piece
instance of the batch out in one flat array in reading order, fills the slots kind by
kind, measures each piece, and derives both the text (one ``binary_join`` over a list
array) and the span offsets (a cumulative sum of piece lengths) from the same layout.
Because spans are computed from the pieces that were really written, they cannot drift
from the text, whatever the slot values or the noise applied to a piece.

Writing noise (``generator.comments.noise``) swaps a literal piece for one of its precomputed noisy
variants, so it costs an index per piece and leaves the offsets exact. Each record also
gets ``difficulty_tags``: what makes it hard (template tags such as ``implicit`` or
``negated``, and the noise that really showed), as one bit mask per clause and piece
OR-reduced per record.

Reads ``formats/composition.yaml``; slot values come from ``generator.comments.slots``, the
connectors from ``corpora/comments/`` through ``generator.comments.templates``, the noise models
from ``corpora/noise/`` through ``generator.comments.noise``, and the templates, with every noisy
variant of their literals, as the arrays of ``generator.comments.compiled`` (cached on disk).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from breachbench.generator.arrays.ragged import ragged_positions
from breachbench.generator.arrays.sampling import Categorical, GroupedCategorical
from breachbench.generator.arrays.text import (
    HeadedPool,
    join_pieces,
    stable_order,
    string_pool,
    take,
    utf8_lengths,
)
from breachbench.generator.comments.aged import AGE_CLASSES, AgedSampler
from breachbench.generator.comments.births import ANY_BIRTH, BIRTH_CLASSES
from breachbench.generator.comments.compiled import (
    EMPTY,
    LITERAL,
    NON_SENSITIVE_FAMILIES,
    PATIENT_SURNAME_SLOT,
    SLOT,
    TITLE_SLOT,
    CompiledTemplates,
    PieceCodes,
    difficulty_bits,
    load_compiled,
    ordered_templates,
    parse_slot_key,
)
from breachbench.generator.comments.context import (
    AGES,
    FIRST_YEAR,
    OPEN_YEARS,
    UNKNOWN_CONTACTS,
    YEARS,
    CommentContext,
)
from breachbench.generator.comments.glue import Glue, load_glue
from breachbench.generator.comments.homes import ANY_HOME, HOME_CLASSES
from breachbench.generator.comments.noise import (
    EDITS,
    NoiseLevel,
    NoiseModel,
    VariantPool,
    load_noise,
)
from breachbench.generator.comments.pairs import FactPairs, load_fact_pairs
from breachbench.generator.comments.sequels import Sequels, load_sequels
from breachbench.generator.comments.slots import SlotFiller
from breachbench.generator.comments.templates import (
    CLASH_TAG,
    FEMALE_PARTNER,
    LACKS_SHIFT,
    MALE_PARTNER,
    MAX_OPEN,
    NO_UNTIL,
    Template,
    kinship,
    load_connectors,
    load_templates,
)
from breachbench.generator.contract.schema import SPAN_TYPE
from breachbench.generator.contract.taxonomy import Taxonomy, load_taxonomy
from breachbench.generator.data import corpora
from breachbench.generator.data.derived import derived
from breachbench.generator.options import DEFAULT_DIFFICULTY
from breachbench.generator.records.contacts import ContactsModel, load_contacts, load_name_forms
from breachbench.generator.records.dates import load_date_formats
from breachbench.generator.records.nir import LAYOUTS as NIR_LAYOUTS
from breachbench.generator.records.people import (
    FEMALE,
    MALE,
    PeopleModel,
    load_people,
)
from breachbench.generator.records.places import PlacesModel, load_places

__all__ = [
    "EMPTY",
    "LITERAL",
    "NON_SENSITIVE_FAMILIES",
    "PATIENT_SURNAME_SLOT",
    "SLOT",
    "TITLE_SLOT",
    "CommentContext",
    "CommentEngine",
    "Comments",
    "PieceCodes",
    "lists_from_masks",
    "load_engine",
]


@dataclass(frozen=True)
class Comments:
    text: pa.Array
    sensitive: pa.Array
    categories: pa.Array
    spans: pa.Array
    difficulty_tags: pa.Array


# Candidates a clause may draw before, fitting none, it falls back to a routine note
# (drawn about ``_CANDIDATES`` per pass, spread over the clauses left, one each at
# least): enough that a toddler's sensitive note finds one of the few facts that fit a
# toddler, or ``sensitive_rate`` is not met (16 left 0.376 of commented rows sensitive
# for 0.4 asked, once facts had the age floors of issue 9; 64 gives 0.398-0.400). Then
# the passes that redraw repeated clauses, and those that give what still repeats a
# routine note every record fits. A step or a paired fact is drawn at most
# ``_STEP_DRAWS`` times.
_FIT_CANDIDATES = 64
_CANDIDATES = 4096
_STEP_DRAWS = 4
_DEDUPE_ROUNDS = 3
_FALLBACK_ROUNDS = 4
_HARD_NEGATIVE_KEY = NON_SENSITIVE_FAMILIES.index("hard_negative")

# Kind of a clause's lead piece (its separator or opener) while a batch is laid out: a
# connector already indexed in the pool, never noised. Packed piece kinds have two bits.
_LEAD = 3
assert _LEAD not in (EMPTY, LITERAL, SLOT)


@dataclass(frozen=True)
class _GenerationTables:
    """What every batch reads of the compiled arrays, derived once per engine."""

    strings: pa.Array  # literal variants, separators, openers, closers: the pool's head
    pool: HeadedPool  # the same strings, as the head of each batch's pool
    lengths: np.ndarray  # their lengths in code points
    codes: np.ndarray  # every template's non-empty piece codes, templates end to end
    code_start: np.ndarray  # where each template's codes start in ``codes``
    pieces: np.ndarray  # non-empty pieces per template
    ends_with_stop: np.ndarray  # each pool string ends with '.', '?', '!' or ':'
    ends_punctuated: np.ndarray  # each pool string ends with punctuation (no closer after)
    first_closer: int  # where the closers start in ``strings``

    @classmethod
    def build(cls, engine: CommentEngine) -> _GenerationTables:
        heads = (engine.variant_texts, engine.separators, engine.openers, engine.closers)
        strings, starts = string_pool(heads)
        # Ragged, not the padded (templates, width) table: a batch then gathers its
        # clauses' pieces and no padding (about 2.6 pieces a template, of 15 columns).
        present = (engine.piece_codes & 3) != EMPTY
        pieces = present.sum(axis=1)
        return cls(
            strings=strings,
            pool=HeadedPool(strings),
            lengths=utf8_lengths(strings),
            codes=engine.piece_codes[present],
            code_start=np.concatenate([[0], np.cumsum(pieces)[:-1]]).astype(np.int64),
            pieces=pieces,
            ends_with_stop=_ends_with_stop(strings),
            ends_punctuated=_ends_punctuated(strings),
            first_closer=starts[3],
        )


class _FitTable:
    """A (constraint, column) table of whether a constraint admits a column, read by one
    flat gather."""

    def __init__(self, table: np.ndarray) -> None:
        self.width = table.shape[1]
        self.flat = np.ascontiguousarray(table).ravel()

    def flat_take(self, constraint: np.ndarray, column: np.ndarray) -> np.ndarray:
        return self.flat[constraint * self.width + column]


def _weighted_texts(entries: list[dict]) -> tuple[pa.Array, Categorical]:
    return (
        pa.array([entry["text"] for entry in entries], type=pa.string()),
        Categorical.from_weights([entry["weight"] for entry in entries]),
    )


class CommentEngine:
    """Compiled templates and the distributions that compose them into comments."""

    def __init__(
        self, *, real_email_domains: bool = False, compiled: CompiledTemplates | None = None
    ) -> None:
        self.taxonomy: Taxonomy = load_taxonomy()
        self.people: PeopleModel = load_people()
        self.places: PlacesModel = load_places()
        self.contacts: ContactsModel = load_contacts()
        self.dates = load_date_formats()
        self.real_email_domains = real_email_domains
        self.zone_of_unit = self.contacts.zones(self.places.region, self.places.department)
        self.first_name_forms, self.surname_forms = load_name_forms()

        spec = corpora.read_yaml("formats/composition.yaml")
        self.clause_counts = np.array(sorted(spec["clauses_per_comment"]), dtype=np.int64)
        self.clause_dist = Categorical.from_weights(
            [spec["clauses_per_comment"][k] for k in self.clause_counts]
        )
        # A sensitive note's clause count has its own law: a fact is written with what
        # follows from it (composition.yaml, clauses_per_sensitive_comment).
        per_sensitive = spec.get("clauses_per_sensitive_comment", spec["clauses_per_comment"])
        if set(per_sensitive) - set(spec["clauses_per_comment"]):
            raise ValueError(
                "formats/composition.yaml: clauses_per_sensitive_comment has counts "
                "clauses_per_comment lacks"
            )
        self.sensitive_clause_dist = Categorical.from_weights(
            [per_sensitive.get(k, 0) for k in self.clause_counts]
        )
        self.sensitive_counts = np.array(sorted(spec["sensitive_clauses"]), dtype=np.int64)
        self.sensitive_dist = Categorical.from_weights(
            [spec["sensitive_clauses"][k] for k in self.sensitive_counts]
        )
        self.family_weights = {f: float(spec["families"][f]) for f in NON_SENSITIVE_FAMILIES}
        self._born_abroad_shares = dict(spec.get("born_abroad_facts") or {})
        self.titles = {
            sex: _weighted_texts(spec["titles"][code]) for sex, code in ((MALE, "M"), (FEMALE, "F"))
        }
        self.titles_min_age = int(spec["titles_min_age"])
        female_titles = [entry["text"] for entry in spec["titles"]["F"]]
        miss = spec["miss_title"]
        self.miss_title = (
            female_titles.index(miss["title"]) if miss["title"] in female_titles else -1,
            female_titles.index(miss["instead"]),
            int(miss["until"]),
        )
        self.upper_surname_rate = float(spec["upper_surname_rate"])
        layouts = spec["nir_layouts"]
        unknown = set(layouts) - set(NIR_LAYOUTS)
        if unknown:
            raise ValueError(f"formats/composition.yaml: unknown NIR layouts {sorted(unknown)}")
        self.nir_layouts = (tuple(layouts), Categorical.from_weights(list(layouts.values())))

        connectors = load_connectors()
        # Separators that start with a full stop lose it after a clause that ends with
        # one ("RDV ?" then "rappeler" reads "RDV ? rappeler", never "RDV ?. rappeler"):
        # their undotted forms follow the drawn separators in the pool.
        drawn = list(connectors.separators)
        undotted = [text[1:] if text.startswith(".") else text for text in drawn]
        extra = [text for text in dict.fromkeys(undotted) if text not in drawn]
        everything = drawn + extra
        self.separators = pa.array(everything, type=pa.string())
        self._undotted = np.array([everything.index(text) for text in undotted], dtype=np.int64)
        self.separator_dist = Categorical.from_weights(list(connectors.separator_weights))
        self.openers = pa.array(list(connectors.openers), type=pa.string())
        self.opener_dist = Categorical.from_weights(list(connectors.opener_weights))
        self.opener_rate = connectors.opener_rate
        self.closers = pa.array(list(connectors.closers), type=pa.string())
        self.closer_dist = Categorical.from_weights(list(connectors.closer_weights))
        self.closer_rate = connectors.closer_rate
        self.sentence_case_rate = connectors.sentence_case_rate
        # A separator ends a sentence when it breaks the line or ends with a stop.
        self._ends_sentence = np.array(
            ["\n" in text or text.rstrip().endswith((".", "!", "?")) for text in everything],
            dtype=bool,
        )

        self.noise: NoiseModel = load_noise()
        self._adopt(load_compiled() if compiled is None else compiled)

    # ------------------------------------------------------------------ compiled state
    def _adopt(self, compiled: CompiledTemplates) -> None:
        """Take the compiled templates' arrays (``generator.comments.compiled``) as attributes."""
        self.compiled = compiled
        self.keys = compiled.keys
        self.piece_codes = compiled.piece_codes
        self.slot_names = compiled.slot_names
        self.items_template = compiled.items_template
        self.items_group = compiled.items_group
        self.items_weight = compiled.items_weight
        self.category_dist = dict(compiled.category_dist)
        self.n_literals = compiled.n_literals
        self.variant_texts = compiled.variant_texts
        self.variant_bits = compiled.variant_bits
        self.template_bits = compiled.template_bits
        self.tag_bit = difficulty_bits(self.noise)
        self.tag_names = pa.array(list(self.noise.difficulty_tags), type=pa.string())
        self._samplers: dict[str, AgedSampler] = {}
        self._key_dists: dict[tuple[str, float | None], GroupedCategorical] = {}
        # Samplers of the full template set are cached on disk; a restriction's are not.
        self._cache_samplers = True

    @functools.cached_property
    def templates(self) -> list[Template]:
        """The template objects, in compiled order (row ``t`` of ``piece_codes``).

        Generation never needs them, so they are only loaded when asked for (held-out
        splits read their ``source``).
        """
        return ordered_templates(load_templates(), self.keys)

    def with_real_email_domains(self, real_email_domains: bool) -> CommentEngine:
        """A copy that draws email domains from the real (or the reserved) list."""
        clone = copy.copy(self)
        clone.real_email_domains = real_email_domains
        return clone

    def restricted(self, keep: np.ndarray) -> CommentEngine:
        """A copy that only draws the templates where ``keep`` is true.

        For family-held-out evaluation: generate training comments from some template and
        lexicon families and test comments from the others. A sensitive category left with
        no template for a sex is not drawn for it; a non-sensitive family must keep one.
        """
        clone = copy.copy(self)
        clone.items_weight = np.where(np.asarray(keep)[self.items_template], self.items_weight, 0)
        clone._samplers = {}
        clone._key_dists = {}
        clone._cache_samplers = False
        for name in ("_universal", "_drawable", "_sequels"):  # by weight; the fit tables stay
            clone.__dict__.pop(name, None)
        available = clone._sampler(DEFAULT_DIFFICULTY).total.reshape(-1, 2) > 0
        if not available[: len(NON_SENSITIVE_FAMILIES)].all():
            raise ValueError("a restriction must keep every non-sensitive family for both sexes")
        weights = [self.category_dist[sex] for sex in (MALE, FEMALE)]
        clone.category_dist = {}
        offset = len(NON_SENSITIVE_FAMILIES)
        for sex, base in zip((MALE, FEMALE), weights, strict=True):
            mass = base.masses() * available[offset : offset + len(base), sex]
            clone.category_dist[sex] = Categorical.from_weights(mass)
        return clone

    def _sampler(self, difficulty: str) -> AgedSampler:
        """The template sampler of a difficulty level: weights scaled by template tags,
        templates by (key, sex, age class)."""
        if difficulty not in self._samplers:

            def build() -> AgedSampler:
                return AgedSampler.build(
                    self.items_group,
                    self.items_template,
                    self.item_weights(difficulty),
                    2 * len(self.keys),
                    self.compiled.min_age,
                    self.compiled.max_age,
                )

            if self._cache_samplers:
                self._samplers[difficulty] = derived(f"template-sampler-{difficulty}", build)
            else:
                self._samplers[difficulty] = build()
        return self._samplers[difficulty]

    def item_weights(self, difficulty: str) -> np.ndarray:
        """The weight of each sampler item at a difficulty level: scaled by its
        template's tags."""
        scale = self.compiled.scale(self.noise.levels[difficulty].tag_weights)
        # A step at the desk is only written after its lead (sequels.py): alone,
        # "mise à jour dans le dossier" says nothing of what was updated.
        scale = np.where(self._sequels.step, 0.0, scale)
        return self.items_weight * scale[self.items_template]

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

        sensitive_note = is_sensitive[commented]
        clauses = self.clause_counts[
            np.where(
                sensitive_note,
                self.sensitive_clause_dist.sample(rng, len(commented)),
                self.clause_dist.sample(rng, len(commented)),
            )
        ]
        facts = np.where(
            sensitive_note,
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

        sampler = self._sampler(difficulty)
        key_dist = self._key_dist(difficulty, hard_negative_rate)
        partner = self.partner_states(rng, ctx)
        template = self._draw(rng, sampler, key_dist, is_fact, clause_row, ctx)
        partner = self._named_partners(partner, template, clause_row)
        template = self._fit(rng, sampler, key_dist, template, is_fact, clause_row, ctx, partner)
        # A note's later facts drawn from what the fact before them leads to (pairs.py).
        template = self._pair(rng, sampler, template, clause_row, ctx, partner)
        # A note in the order a desk writes one (glue.py); clause positions stay. Then
        # the clauses after a lead become its step at the desk (sequels.py), and the
        # note is sorted again with each step beside its lead.
        template = template[self._glue.order(template, clause_row)]
        template, sequel = self._link(
            rng, template, clause_row, position, ctx, partner, traps=hard_negative_rate != 0
        )
        if sequel.any():
            order = self._glue.order(template, clause_row, sequel)
            template, sequel = template[order], sequel[order]
        multi_fact = np.zeros(n, dtype=bool)
        multi_fact[commented] = facts >= 2

        return self._assemble(
            rng,
            ctx,
            n,
            has_comment,
            clause_row,
            position,
            template,
            sequel,
            difficulty,
            multi_fact,
            partner,
        )

    def _link(
        self,
        rng: np.random.Generator,
        template: np.ndarray,
        row: np.ndarray,
        position: np.ndarray,
        ctx: CommentContext,
        partner: np.ndarray,
        traps: bool = True,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The clauses after a lead redrawn as its step (``sequels.py``), and which are.

        Position by position, each pass over the whole batch (a step, or a story, which
        says its own step, may be followed by a further step of the same lead at
        ``chain`` times its rate): a step that does not fit the record or repeats a
        clause of its note is drawn again, at most ``_STEP_DRAWS`` times, then the
        clause drawn first stays. Without ``traps`` (``hard_negative_rate`` 0), a step
        that is a hard negative ("TPE en panne" after a payment) is drawn again too."""
        sequels = self._sequels
        lead = sequels.lead[template]  # the lead a clause passes on to the next (-1: none)
        uniform = rng.random(len(template))
        fact = self._is_fact_template[template]
        drawn = template.copy()
        linked = np.zeros(len(template), dtype=bool)
        for p in range(1, int(position.max(initial=0)) + 1):
            at = np.flatnonzero((position == p) & ~fact)
            at = at[lead[at - 1] >= 0]
            told = linked[at - 1] | sequels.told[drawn[at - 1]]
            rate = sequels.rate[lead[at - 1]] * np.where(told, sequels.chain, 1.0)
            at = at[uniform[at] < rate]
            for _ in range(_STEP_DRAWS):
                if not len(at):
                    break
                step = sequels.draw(rng, lead[at - 1], ctx.sex[row[at]])
                drawn[at] = np.where(step >= 0, step, template[at])
                bad = (step < 0) | ~self.fits(drawn[at], row[at], ctx, partner)
                if not traps:
                    bad |= self._template_key[drawn[at]] == _HARD_NEGATIVE_KEY
                bad |= self._repeats_in_note(drawn, row, at)
                good = at[~bad]
                linked[good], lead[good] = True, lead[good - 1]
                drawn[at[bad]] = template[at[bad]]
                at = at[bad]
        return drawn, linked

    @staticmethod
    def _notes_of(at: np.ndarray, row: np.ndarray) -> np.ndarray:
        """Every clause of the notes of clauses ``at``, in order (a note's clauses are
        contiguous in ``row``, so ``_repeated`` reads them as it reads the batch)."""
        in_note = np.zeros(int(row.max(initial=-1)) + 1, dtype=bool)
        in_note[row[at]] = True  # a lookup, where np.isin sorts both arrays
        return np.flatnonzero(in_note[row])

    def _pair(
        self,
        rng: np.random.Generator,
        sampler: AgedSampler,
        template: np.ndarray,
        row: np.ndarray,
        ctx: CommentContext,
        partner: np.ndarray,
    ) -> np.ndarray:
        """A note's later sensitive facts redrawn, at their lead's rate, from the categories
        the fact before them pairs with (``pairs.py``).

        A paired fact is a template of the paired category for the patient's sex, of a
        kind that may follow (``unpaired_tags``), that fits the record, repeats no clause
        of its note and does not go back to the category of the fact before its lead
        ("surendettée. automutilation, se déclare endettée"); drawn at most
        ``_STEP_DRAWS`` times, else the fact drawn first stays. Fact by fact of a note,
        so a third fact follows the second as redrawn."""
        pairs = self._fact_pairs
        families = len(NON_SENSITIVE_FAMILIES)
        fact = np.flatnonzero(self._is_fact_template[template])
        after = np.zeros(len(fact), dtype=bool)  # a fact of its note comes before it
        after[1:] = row[fact[1:]] == row[fact[:-1]]
        if not after.any():
            return template
        # Rank of each fact in its note: its distance to the note's first fact.
        rank = np.arange(len(fact)) - np.maximum.accumulate(
            np.where(after, 0, np.arange(len(fact)))
        )
        uniform = rng.random(len(fact))
        template = template.copy()
        for r in range(1, int(rank.max()) + 1):
            k = np.flatnonzero(rank == r)
            lead_template = template[fact[k - 1]]
            lead = self._template_key[lead_template] - families
            keep = pairs.leads[lead_template] & (uniform[k] < pairs.rate[lead])
            k, lead = k[keep], lead[keep]
            # No going back: the category of the fact before the lead (-1: none).
            back = np.full(len(k), -1)
            if r > 1:
                back = self._template_key[template[fact[k - 2]]] - families
            for _ in range(_STEP_DRAWS):
                if not len(k):
                    break
                at = fact[k]
                sex, klass = ctx.sex[row[at]], ctx.age_class[row[at]]
                paired = pairs.draw(rng, lead)
                group = (families + paired) * 2 + sex
                ok = self._drawable[sex, paired] & sampler.can_draw(group, klass) & (paired != back)
                drawn = template[at].copy()
                drawn[ok] = sampler.sample(rng, group[ok], klass[ok])
                ok &= pairs.follows[drawn] & self.fits(drawn, row[at], ctx, partner)
                first_drawn = template[at]
                template[at[ok]] = drawn[ok]
                ok &= ~self._repeats_in_note(template, row, at)
                template[at] = np.where(ok, template[at], first_drawn)
                k, lead, back = k[~ok], lead[~ok], back[~ok]
        return template

    @functools.cached_property
    def _fact_pairs(self) -> FactPairs:
        """Which categories a note's next fact is drawn from (``pairs.py``)."""
        return load_fact_pairs(self.compiled, self.keys[len(NON_SENSITIVE_FAMILIES) :])

    def _repeats_in_note(self, template: np.ndarray, row: np.ndarray, at: np.ndarray) -> np.ndarray:
        """Per clause ``at``: whether it, or a later clause of its note, repeats a clause
        before it (``_repeated``, read on the notes of ``at`` only)."""
        note = self._notes_of(at, row)
        repeated = np.zeros(len(template), dtype=bool)
        repeated[note] = self._repeated(template[note], row[note])
        bad = np.zeros(len(at), dtype=bool)
        for shift in range(int(self.clause_counts.max())):
            later = np.minimum(at + shift, len(template) - 1)
            bad |= (row[later] == row[at]) & repeated[later]
        return bad

    @functools.cached_property
    def _is_fact_template(self) -> np.ndarray:
        """Per template: whether it is a sensitive fact (not a routine note, an identifier
        or a hard negative)."""
        return self._template_key >= len(NON_SENSITIVE_FAMILIES)

    @functools.cached_property
    def _template_key(self) -> np.ndarray:
        """Per template, its key index (``keys``: the families, then the categories)."""
        key = np.zeros(len(self.compiled.piece_codes), dtype=np.int64)
        key[self.items_template] = self.items_group // 2
        return key

    @functools.cached_property
    def _sequels(self) -> Sequels:
        """Which clauses lead, and the steps that follow them (``sequels.py``): cached on
        disk for the full template set (half a second of whole-table passes at each
        start-up otherwise), built from this engine's weights for a restriction."""
        keys = self.keys[len(NON_SENSITIVE_FAMILIES) :]
        if not self._cache_samplers:
            return load_sequels(
                self.compiled, self._template_key, keys, items_weight=self.items_weight
            )
        return derived("sequels", lambda: load_sequels(self.compiled, self._template_key, keys))

    @functools.cached_property
    def _glue(self) -> Glue:
        """Each template's topic and the separators by topic pair (``glue.py``)."""
        c = self.compiled
        return load_glue(
            self._template_key,
            c.group,
            (*NON_SENSITIVE_FAMILIES, "sensitive"),
            c.group_names,
            self.separators.to_pylist()[: len(self.separator_dist)],
        )

    def partner_states(self, rng: np.random.Generator, ctx: CommentContext) -> np.ndarray:
        """Per record: 0 no partner to mention, 1 a male partner, 2 a female one.

        Nobody under ``partners.min_age`` (formats/kinship.yaml) has one; same-sex couples
        are ``same_sex_share`` of the others.
        """
        spec = kinship().partners
        n = len(ctx.sex)
        has = (ctx.age >= spec["min_age"]) & (rng.random(n) < spec["rate"])
        same = rng.random(n) < spec["same_sex_share"]
        partner_sex = np.where(same, ctx.sex, 1 - ctx.sex)
        return np.where(has, 1 + partner_sex, 0)

    def _named_partners(
        self, partner: np.ndarray, template: np.ndarray, row: np.ndarray
    ) -> np.ndarray:
        """``partner`` with the sex of a patient's partner set by a drawn clause that names
        it ("vit avec son compagnon Marc" of a man, "mari violent" of a woman), for the
        patients who have one: the record agrees with the clause instead of rejecting it,
        so a same-sex partner's words are written where a note puts them and not only in
        the 3.5% of records drawn with one. Who has a partner is unchanged, and ``_fit``
        redraws what a later clause of the same record no longer fits (a second clause
        naming the other sex). One gather over the clauses, no redraw."""
        named = self._partner_named_by[template]
        at = np.flatnonzero(named)
        at = at[partner[row[at]] > 0]
        out = partner.copy()
        out[row[at]] = named[at]
        return out

    @functools.cached_property
    def _partner_named_by(self) -> np.ndarray:
        """Per template, the partner state it names (1 male, 2 female) or 0 when it fits
        either or none (``CompiledTemplates.partner`` masks, NO_PARTNER = 1)."""
        mask = self.compiled.partner
        return np.select([mask == MALE_PARTNER, mask == FEMALE_PARTNER], [1, 2], 0)

    def _draw(
        self,
        rng: np.random.Generator,
        sampler: AgedSampler,
        key_dist: GroupedCategorical,
        is_fact: np.ndarray,
        row: np.ndarray,
        ctx: CommentContext,
    ) -> np.ndarray:
        """A template per clause of record ``row``: a key (a family for a clause that is
        no fact, a sensitive category by sex for a fact, for a patient born abroad
        sometimes one of ``born_abroad_facts``), then a template of that key for the
        patient's sex, both among what the patient's age class can have
        (``generator.comments.aged``). A group no key of which has a template the class
        can have, gives a routine note every record fits (what its redraws would end in)."""
        sex, klass = ctx.sex[row], ctx.age_class[row]
        kind = np.where(is_fact, 1 + ctx.born_abroad[row], 0)
        group = (kind * 2 + sex) * AGE_CLASSES + klass
        drawable = key_dist.group_total[group] > 0
        if drawable.all():
            key = key_dist.sample(rng, group) % len(self.keys)
            return sampler.sample(rng, key * 2 + sex, klass)
        template = np.empty(len(group), dtype=np.int64)
        some = np.flatnonzero(drawable)
        key = key_dist.sample(rng, group[some]) % len(self.keys)
        template[some] = sampler.sample(rng, key * 2 + sex[some], klass[some])
        template[~drawable] = self._fallback(rng, int((~drawable).sum()))
        return template

    def _key_dist(self, difficulty: str, hard_negative_rate: float | None) -> GroupedCategorical:
        """A clause's key, by group ``(kind * 2 + sex) * AGE_CLASSES + age class``, kind 0
        a clause that is no fact, 1 a fact, 2 a fact of a patient born abroad; items are
        ``group * len(keys) + key``.

        A key's weight (its family's, or its category's for the sex, mixed for a patient
        born abroad with ``born_abroad_facts`` as one draw then an override did) times the
        share of its templates' weight the age class can have: what rejection from every
        template gave the key once its templates that do not fit were redrawn."""
        cached = self._key_dists.get((difficulty, hard_negative_rate))
        if cached is not None:
            return cached
        keys, families = len(self.keys), len(NON_SENSITIVE_FAMILIES)
        base = np.zeros((3, 2, keys))
        base[0, :, :families] = self._family_weights(hard_negative_rate)
        shares, chosen = self._born_abroad_facts
        for sex in (MALE, FEMALE):
            mass = self.category_dist[sex].masses()
            mass = mass / mass.sum()
            base[1, sex, families:] = mass
            override = np.zeros(len(mass))
            override[chosen] = shares
            override *= self._drawable[sex]
            base[2, sex, families:] = (1.0 - override.sum()) * mass + override
        class_share = self._sampler(difficulty).shares().reshape(keys, 2, AGE_CLASSES)
        masses = base[:, :, None, :] * class_share.transpose(1, 2, 0)[None]  # kind, sex, class, key
        n_groups = 3 * 2 * AGE_CLASSES
        dist = GroupedCategorical.from_groups(
            np.repeat(np.arange(n_groups), keys), masses.ravel(), n_groups
        )
        self._key_dists[(difficulty, hard_negative_rate)] = dist
        return dist

    @functools.cached_property
    def _born_abroad_facts(self) -> tuple[np.ndarray, np.ndarray]:
        """``born_abroad_facts`` (formats/composition.yaml) as shares and the
        sensitive-category indices they choose (each named once)."""
        sensitive = list(self.keys[len(NON_SENSITIVE_FAMILIES) :])
        unknown = set(self._born_abroad_shares) - set(sensitive)
        if unknown:
            raise ValueError(f"formats/composition.yaml: born_abroad_facts: {sorted(unknown)}")
        names = sorted(self._born_abroad_shares, key=sensitive.index)
        shares = np.array([float(self._born_abroad_shares[n]) for n in names], dtype=np.float64)
        if (shares < 0).any() or shares.sum() > 1:
            raise ValueError("formats/composition.yaml: born_abroad_facts must sum to 1 at most")
        chosen = np.array([sensitive.index(n) for n in names], dtype=np.int64)
        return shares, chosen

    @functools.cached_property
    def _drawable(self) -> np.ndarray:
        """(sex, sensitive category): whether the category may be drawn for that sex (a
        restriction may leave a category no template for one sex)."""
        return np.array([self.category_dist[sex].masses() > 1e-12 for sex in (MALE, FEMALE)])

    def fits(
        self, template: np.ndarray, row: np.ndarray, ctx: CommentContext, partner: np.ndarray
    ) -> np.ndarray:
        """Whether each template fits its record: age on the note's date, its year (``since``,
        ``until``), the partner, the contacts it writes, the country of birth, the
        department of residence and how long the record has been open (sex is the
        sampler's)."""
        tables, constraint = self._fit_tables
        at = constraint[template]
        columns = (
            ctx.age_column,
            ctx.year_column,
            partner,
            ctx.contacts,
            ctx.birth_class,
            ctx.home_class,
            ctx.open_column,
        )
        fit = tables[0].flat_take(at, columns[0][row])
        for table, column in zip(tables[1:], columns[1:], strict=True):
            fit &= table.flat_take(at, column[row])
        return fit

    @functools.cached_property
    def _fit_tables(self) -> tuple[tuple[_FitTable, ...], np.ndarray]:
        """Eligibility as table reads: templates share a few thousand distinct constraints
        (``CompiledTemplates.constraint_rows``), and each condition of a constraint reads
        one property of the record (age, year, partner, contacts, birth class, home
        class, years open), so whether a template fits is one small table read per condition.

        One table per condition, not their product: an (age x year) table and a
        (contacts x partner x birth) one held 20 and 18 MB, and each read of them missed
        the cache; these hold about 1 MB in all.
        """
        c = self.compiled
        rows = c.constraint_rows
        min_age, max_age, since, until, partner, needs, born, lives, min_open, max_open = (
            rows[:, i, None] for i in range(10)
        )
        opened = np.arange(OPEN_YEARS)[None, :]
        age = np.arange(AGES)[None, :]
        year = FIRST_YEAR + np.arange(YEARS)[None, :]
        contacts = np.arange(UNKNOWN_CONTACTS + 1)[None, :]
        has, lacks = needs & ~(-1 << LACKS_SHIFT), needs >> LACKS_SHIFT
        unknown = contacts == UNKNOWN_CONTACTS  # no contacts in the context: all fit
        tables = (
            (min_age <= age) & (age <= max_age),
            (since <= year) & (year <= until),
            ((partner >> np.arange(3)[None, :]) & 1) == 1,
            unknown | (((has & ~contacts) == 0) & ((lacks & contacts) == 0)),
            ((born >> np.arange(BIRTH_CLASSES)[None, :]) & 1) == 1,
            ((lives >> np.arange(HOME_CLASSES)[None, :]) & 1) == 1,
            (min_open <= opened) & (opened <= max_open),
        )
        return tuple(_FitTable(table) for table in tables), c.constraint

    def _repeated(self, template: np.ndarray, row: np.ndarray) -> np.ndarray:
        """Clauses that repeat an earlier clause of their comment, or its group (two
        mutuelles, morning and afternoon preferences), or say a clause an earlier one
        of another template says too ("attestation de droits à jour" twice, "IME - ne
        pas en parler devant la famille" after "croyances - ne pas en parler devant la
        famille"). Clauses of a row are contiguous and at most
        ``max(clauses_per_comment)``, so shifted comparisons find the first kind."""
        c = self.compiled
        group = c.group[template]
        key = np.where(group >= 0, group, len(c.group_names) + template)
        masks, ids = self._shared_clauses
        mask = masks[template]
        # The sides of comments/clashes.yaml a template is on, one bit per class: a note
        # never holds both sides of a class (a patient in prison now and one at the desk).
        packed, swapped = (sides[template] for sides in self._clash_pairs)
        repeated = np.zeros(len(template), dtype=bool)
        for shift in range(1, int(self.clause_counts.max())):
            same_row = row[shift:] == row[:-shift]
            repeated[shift:] |= same_row & (
                (key[shift:] == key[:-shift]) | ((packed[shift:] & swapped[:-shift]) != 0)
            )
            # Shared clauses: a mask of their ids finds the candidates, their ids decide.
            maybe = np.flatnonzero(same_row & ((mask[shift:] & mask[:-shift]) != 0))
            if len(maybe):
                later, earlier = ids[template[maybe + shift]], ids[template[maybe]]
                meet = (later[:, :, None] == earlier[:, None, :]) & (later[:, :, None] >= 0)
                repeated[maybe[meet.any(axis=(1, 2))] + shift] = True
        return repeated

    @functools.cached_property
    def _clash_sides(self) -> tuple[np.ndarray, np.ndarray]:
        """Per template, the classes of ``comments/clashes.yaml`` whose side 0 and whose
        side 1 it is on, as bits (tags ``clash:<class>:<side>``, one bit per class)."""
        c = self.compiled
        sides = np.zeros((2, len(c.piece_codes)), dtype=np.int64)
        classes: dict[str, int] = {}
        for i, tag in enumerate(c.tag_vocabulary):
            if tag.startswith(CLASH_TAG):
                name, side = tag[len(CLASH_TAG) :].rsplit(":", 1)
                bit = classes.setdefault(name, len(classes))
                sides[int(side), c.template_tags[:, i]] |= np.int64(1) << bit
        assert len(classes) <= 32, "more classes of clashes than bits"
        return sides[0], sides[1]

    @functools.cached_property
    def _clash_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """Both sides of :attr:`_clash_sides` packed in one small integer per template
        (side 0's bits, then side 1's), and the same with the sides swapped: a clause
        clashes with an earlier one of its note when ``packed[later] & swapped[earlier]``
        is not 0, one side against the other either way round. One AND on bytes per
        shift, where two ANDs on 64-bit words cost 1% of a block's CPU."""
        one, other = self._clash_sides
        width = int(max(one.max(initial=0), other.max(initial=0))).bit_length()
        dtype = np.min_scalar_type((1 << (2 * width)) - 1)
        return (one | (other << width)).astype(dtype), (other | (one << width)).astype(dtype)

    @functools.cached_property
    def _shared_clauses(self) -> tuple[np.ndarray, np.ndarray]:
        """Per template, a 64-bit mask of its shared clause ids (bit id % 64) and the ids
        themselves, padded with -1 (``CompiledTemplates.shared_clause``)."""
        c = self.compiled
        count = np.diff(c.shared_start)
        ids = np.full((len(count), max(int(count.max(initial=0)), 1)), -1, dtype=np.int64)
        owner = np.repeat(np.arange(len(count)), count)
        ids[owner, np.arange(len(owner)) - c.shared_start[owner]] = c.shared_clause
        bits = np.where(ids >= 0, np.uint64(1) << (ids % 64).astype(np.uint64), np.uint64(0))
        return np.bitwise_or.reduce(bits, axis=1), ids

    def _fit(
        self,
        rng: np.random.Generator,
        sampler: AgedSampler,
        key_dist: GroupedCategorical,
        template: np.ndarray,
        is_fact: np.ndarray,
        row: np.ndarray,
        ctx: CommentContext,
        partner: np.ndarray,
    ) -> np.ndarray:
        """Redraw the clauses whose template does not fit the record, or repeats one.

        Rejection keeps each clause's distribution the sampler's, restricted to what fits
        (a child draws sensitive categories in proportion to the templates a child can
        have). The few clauses still unfitted after ``_FIT_CANDIDATES`` candidates become
        a routine note that fits everyone.
        """
        template = template.copy()

        def redraw(todo: np.ndarray) -> np.ndarray:
            return self._draw(rng, sampler, key_dist, is_fact[todo], row[todo], ctx)

        def refit(todo: np.ndarray) -> None:
            todo = todo[~self.fits(template[todo], row[todo], ctx, partner)]
            tried = 0
            while len(todo) and tried < _FIT_CANDIDATES:
                # The first candidate that fits, of ``tries`` drawn at once per clause:
                # the same law as one at a time, in fewer passes once few are left (each
                # pass costs ~0.1 ms whatever its size).
                tries = min(max(_CANDIDATES // len(todo), 1), _FIT_CANDIDATES - tried)
                clause = np.repeat(todo, tries)
                candidate = redraw(clause).reshape(len(todo), tries)
                fit = self.fits(candidate.ravel(), row[clause], ctx, partner)
                fit = fit.reshape(len(todo), tries)
                found = fit.any(axis=1)
                first = fit.argmax(axis=1)
                template[todo[found]] = candidate[found, first[found]]
                todo, tried = todo[~found], tried + tries
            template[todo] = self._fallback(rng, len(todo))

        refit(np.arange(len(template)))
        todo = np.flatnonzero(self._repeated(template, row))
        for attempt in range(_DEDUPE_ROUNDS + _FALLBACK_ROUNDS):
            if attempt:  # only the notes of the clauses just redrawn can repeat now
                todo = self._notes_of(todo, row)
                todo = todo[self._repeated(template[todo], row[todo])]
            if not len(todo):
                break
            if attempt < _DEDUPE_ROUNDS:
                template[todo] = redraw(todo)
                refit(todo)
            else:  # a fact's redraws keep meeting the comment's: a routine note instead
                template[todo] = self._fallback(rng, len(todo))
        return template

    def _fallback(self, rng: np.random.Generator, k: int) -> np.ndarray:
        universal = self._universal
        return universal[rng.integers(0, len(universal), k)]

    @functools.cached_property
    def _universal(self) -> np.ndarray:
        """Routine templates every record fits, among those this engine may draw."""
        c = self.compiled
        weight = np.bincount(
            self.items_template, weights=self.items_weight, minlength=len(c.piece_codes)
        )
        both = np.bincount(self.items_template, minlength=len(c.piece_codes)) == 2
        routine = np.zeros(len(c.piece_codes), dtype=bool)
        routine[self.items_template[self.items_group // 2 == 0]] = True
        ok = (
            routine
            & both
            & (weight > 0)
            & (c.min_age == 0)
            & (c.max_age >= 120)
            & (c.since == 0)
            & (c.until == NO_UNTIL)
            & (c.partner == 7)
            & (c.needs == 0)
            & (c.born == ANY_BIRTH)
            & (c.lives == ANY_HOME)
            & (c.min_open == 0)
            & (c.max_open >= MAX_OPEN)
            & (c.group < 0)
            # A clause with no candidate left may follow a patient held in prison now:
            # "détention. consultation longue à prévoir" (1M rows, seed 12345): it is on
            # no side of a class of clashes.
            & (self._clash_pairs[0] == 0)
        )
        return np.flatnonzero(ok)

    def _family_weights(self, hard_negative_rate: float | None) -> np.ndarray:
        """The non-fact families' weights (``NON_SENSITIVE_FAMILIES`` order)."""
        weights = self.family_weights
        if hard_negative_rate is None:
            return np.array([weights[f] for f in NON_SENSITIVE_FAMILIES], dtype=np.float64)
        rest = weights["routine"] + weights["identifier"]
        other = 1.0 - hard_negative_rate
        return np.array(
            [
                other * weights["routine"] / rest,
                other * weights["identifier"] / rest,
                hard_negative_rate,
            ],
            dtype=np.float64,
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
        sequel: np.ndarray,
        difficulty: str,
        multi_fact: np.ndarray,
        partner: np.ndarray,
    ) -> Comments:
        level = self.noise.levels[difficulty]
        noisy_row = rng.random(n) < level.noisy_row
        upper_row = rng.random(n) < level.upper_row
        strip_row = rng.random(n) < level.no_accents_row
        sms_row = rng.random(n) < level.sms_row
        tables = self._tables()

        codes, per_clause = self._lay_out(rng, tables, position, template, sequel)
        kind, value, category, subject, assertion = PieceCodes.unpack(codes)
        inst_row = np.repeat(clause_row, per_clause)

        # Each instance's entry in the pool: the static strings (literal variants, then
        # connectors, where a lead's value already points), then the slot values.
        index = value.copy()
        literal = np.flatnonzero(kind == LITERAL)
        literal_row = inst_row[literal]
        edit = self._edits(
            rng,
            level,
            literal_row,
            tables.lengths[value[literal]],
            self._sensitive_category[category[literal] + 1],
            noisy_row,
            sms_row,
        )
        variant = VariantPool.variant(edit, strip_row[literal_row], upper_row[literal_row])
        index[literal] = variant * self.n_literals + value[literal]
        slot = np.flatnonzero(kind == SLOT)
        slot_template = np.repeat(template, per_clause)[slot]
        filler = SlotFiller(self, ctx, rng, partner)
        slot_values, slot_order = self._fill_slots(
            filler, value[slot], inst_row[slot], slot_template, upper_row
        )
        self._label_partners(category, subject, slot, value[slot], inst_row[slot], ctx, partner)
        index[slot[slot_order]] = len(tables.strings) + np.arange(len(slot_order))
        self._undot_after_stops(kind, index, tables, slot_values)
        pool = tables.pool.with_tail(slot_values)
        lengths = np.concatenate([tables.lengths, utf8_lengths(slot_values)])[index]

        # Reading order is already row-major: rows ascend, pieces follow clause order.
        row_offsets = np.zeros(n + 1, dtype=np.int32)
        np.cumsum(np.bincount(inst_row, minlength=n), out=row_offsets[1:])
        capitals = self._sentence_starts(
            rng, n, kind, category, value, per_clause, clause_row, position
        )
        closed_index, closed_offsets, capitals = self._close(
            rng, tables, index, row_offsets, lengths, has_comment, slot_values, capitals
        )
        text = join_pieces(
            pool, closed_index, closed_offsets, null=~has_comment, capitalise=capitals
        )

        ends = np.cumsum(lengths)
        row_start = np.concatenate([[0], ends])[row_offsets[:-1]]
        labelled = np.flatnonzero((category >= 0) & (lengths > 0))
        span_row = inst_row[labelled]
        start = ends[labelled] - lengths[labelled] - row_start[span_row]
        tags = self._difficulty_tags(
            n,
            literal_row,
            self.variant_bits[index[literal]],
            clause_row,
            template,
            multi_fact,
            upper_row,
        )
        return self._labels(
            n,
            span_row,
            start,
            start + lengths[labelled],
            category[labelled],
            subject[labelled],
            assertion[labelled],
            text,
            tags,
        )

    def _sentence_starts(
        self,
        rng: np.random.Generator,
        n: int,
        kind: np.ndarray,
        category: np.ndarray,
        value: np.ndarray,
        per_clause: np.ndarray,
        clause_row: np.ndarray,
        position: np.ndarray,
    ) -> np.ndarray:
        """The piece instances that start a sentence in a note written in sentence case.

        A note is in sentence case at ``sentence_case_rate`` (comments/connectors.yaml);
        there, the first clause (without an opener) and every clause after a separator
        that ends a sentence start with a capital, when their first piece is text or an
        unlabelled or sensitive slot: never an identifier's value (an email keeps its
        case). ``value`` holds each lead's separator as drawn, before any undotting.
        """
        if not self.sentence_case_rate:
            return np.empty(0, dtype=np.int64)
        cased = rng.random(n) < self.sentence_case_rate
        start = np.cumsum(per_clause) - per_clause
        led = kind[start] == _LEAD
        separator = value[start] - len(self.variant_texts)
        after_stop = led & (separator >= 0) & (separator < len(self.separators))
        after_stop[after_stop] = self._ends_sentence[separator[after_stop]]
        begins = np.where(position == 0, ~led, after_stop) & (per_clause > led)
        begins &= cased[clause_row]
        piece = (start + led)[begins]
        writable = (kind[piece] == LITERAL) | (
            (kind[piece] == SLOT) & ~self._identifier_category[category[piece] + 1]
        )
        return piece[writable]

    def _tables(self) -> _GenerationTables:
        """The engine's :class:`_GenerationTables`, built on first use and kept while the
        compiled arrays they derive from are the same objects."""
        sources = (
            self.variant_texts, self.separators, self.openers, self.closers, self.piece_codes
        )  # fmt: skip
        cached = self.__dict__.get("_generation_tables")
        if cached is None or any(a is not b for a, b in zip(cached[0], sources, strict=True)):
            cached = (sources, _GenerationTables.build(self))
            self.__dict__["_generation_tables"] = cached
        return cached[1]

    def _lay_out(
        self,
        rng: np.random.Generator,
        tables: _GenerationTables,
        position: np.ndarray,
        template: np.ndarray,
        sequel: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Every piece instance's code in reading order, and the number per clause.

        Column 0 of each clause is its lead: the separator before it, or an opener (or
        nothing) for the first one, coded as a ``_LEAD`` piece whose value is its index in
        the pool.
        """
        n_clauses = len(template)
        first = position == 0
        separator = self._glue.separator(rng, template, first, sequel)
        opener = self.opener_dist.sample(rng, n_clauses)
        has_lead = ~(first & (rng.random(n_clauses) >= self.opener_rate))
        connectors = len(self.variant_texts)
        lead_index = np.where(
            first, connectors + len(self.separators) + opener, connectors + separator
        )
        # A comma never follows a "label : value" clause: "origine de la demande :
        # mutuelle, éthylisme" reads as a list of origins; nor a relative's fact: "Mère
        # placée en GAV, épicerie sociale" gives the mother both. A full stop ends them.
        after_label = ~first & self._no_comma_after[np.roll(template, 1)]
        lead_index = np.where(
            after_label & (separator == self._comma), connectors + self._stop, lead_index
        )
        pieces = tables.pieces[template]
        per_clause = pieces + has_lead
        codes = np.empty(int(per_clause.sum()), dtype=np.int64)
        lead_at = (np.cumsum(per_clause) - per_clause)[has_lead]
        codes[lead_at] = PieceCodes.pack(_LEAD, lead_index[has_lead], -1, 0, 0)
        is_piece = np.ones(len(codes), dtype=bool)
        is_piece[lead_at] = False
        codes[is_piece] = tables.codes[ragged_positions(tables.code_start[template], pieces)]
        return codes, per_clause

    @property
    def _labelled(self) -> np.ndarray:
        """Per template: whether one of its literals reads "label : value"."""
        return self.compiled.labelled

    @property
    def _no_comma_after(self) -> np.ndarray:
        """Per template: whether a comma may not follow it (labelled, or its last
        sensitive fact someone else's)."""
        return self.compiled.no_comma_after

    @functools.cached_property
    def _comma(self) -> int:
        """The separator index of ", " (-1 when the connectors have none)."""
        texts = self.separators.to_pylist()
        return texts.index(", ") if ", " in texts else -1

    @functools.cached_property
    def _stop(self) -> int:
        return self.separators.to_pylist().index(". ")

    def _undot_after_stops(
        self,
        kind: np.ndarray,
        index: np.ndarray,
        tables: _GenerationTables,
        slot_values: pa.Array,
    ) -> None:
        """Drop the full stop of a separator after a clause that already ends with one, as
        written: "RDV ?" then "rappeler" reads "RDV ? rappeler", and a cut "méd." then
        ". " reads "méd. RDV", never "?." or "..". In place, on the pool ``index`` of each
        piece instance.

        Decided on the text really written (the noisy variant of the clause's last literal,
        or its last slot value), since noise may end a clause with a cut word's dot that
        the template does not have.
        """
        first = len(self.variant_texts)
        lead = np.flatnonzero(kind == _LEAD)
        separator = index[lead] - first
        # Openers lead first clauses; only separators follow a clause.
        dotted = (separator >= 0) & (separator < len(self.separators))
        lead, separator = lead[dotted], separator[dotted]
        dotted = self._undotted[separator] != separator
        lead, separator = lead[dotted], separator[dotted]
        stop = _pieces_end(
            index[lead - 1], tables.strings, tables.ends_with_stop, slot_values, _ends_with_stop
        )
        index[lead[stop]] = first + self._undotted[separator[stop]]

    @staticmethod
    def _edits(
        rng: np.random.Generator,
        level: NoiseLevel,
        literal_row: np.ndarray,
        literal_length: np.ndarray,
        sensitive: np.ndarray,
        noisy_row: np.ndarray,
        sms_row: np.ndarray,
    ) -> np.ndarray:
        """The edit (index in ``EDITS``) of each literal piece.

        People slip locally (shared/REALISM.md, tell 3): a sloppy note gets one slip, on
        the piece holding a character drawn uniformly from its literal text (so a long
        piece is likelier to carry it than a comma), drawn with the level's ``pieces``
        rates; a writer with a shorthand habit writes it in every other piece of the
        note. A sensitive span only ever loses one accent: a typo, a cut or shorthand there
        leaves a reader unsure of the fact (``breachbench check``, unreadable_span).
        ``literal_row`` is non-decreasing (reading order).
        """
        edit = np.where(sms_row[literal_row] & ~sensitive, EDITS.index("sms"), 0)
        n = len(noisy_row)
        total = np.bincount(literal_row, weights=literal_length, minlength=n)
        rows = np.flatnonzero(noisy_row & (total > 0))
        uniform = rng.random((2, len(rows)))
        if not len(rows):
            return edit
        ends = np.cumsum(literal_length)
        row_start = np.concatenate([[0], np.cumsum(total)])[rows]
        target = row_start + np.minimum(uniform[0] * total[rows], total[rows] - 1)
        piece = np.searchsorted(ends, target, side="right")
        thresholds = np.cumsum([level.pieces[e] for e in EDITS[1:]])
        drawn = (uniform[1][:, None] >= thresholds).sum(axis=1)
        slip = np.where(drawn < len(EDITS) - 1, drawn + 1, 0)
        slip = np.where(sensitive[piece] & (slip != EDITS.index("accent")), 0, slip)
        edit[piece] = np.where(slip > 0, slip, edit[piece])
        return edit

    def _label_partners(
        self,
        category: np.ndarray,
        subject: np.ndarray,
        slot: np.ndarray,
        slot_id: np.ndarray,
        slot_row: np.ndarray,
        ctx: CommentContext,
        partner: np.ndarray,
    ) -> None:
        """A partner's noun said of a partner of the patient's own sex ("sa compagne" of a
        woman) reveals the patient's orientation: it becomes a ``sexual_orientation`` span
        about the patient (TAXONOMY.md, the partner exception). In place."""
        ids = self._partner_slot_ids
        if not len(ids):
            return
        is_partner = np.isin(slot_id, ids)
        rows = slot_row[is_partner]
        same = partner[rows] == ctx.sex[rows] + 1
        at = slot[is_partner][same]
        category[at] = self.taxonomy.index("sexual_orientation")
        subject[at] = list(self.taxonomy.subjects).index("patient")

    @functools.cached_property
    def _slot_batches(self) -> tuple[np.ndarray, list[tuple[str, bool]]]:
        """Slots filled together: every relative slot of one kind (a daughter's and a
        son's phones are one render), every other slot key on its own. Returns each
        slot's batch and, per batch, (slot key or kind, whether it holds relatives)."""
        batches: dict[tuple[str, bool], int] = {}
        batch_of_slot = np.empty(len(self.slot_names), dtype=np.int64)
        for i, key in enumerate(self.slot_names):
            name, subject, _ = parse_slot_key(key)
            relative = subject == "relative"
            batch_of_slot[i] = batches.setdefault(
                (name if relative else key, relative), len(batches)
            )
        return batch_of_slot, list(batches)

    @functools.cached_property
    def _sensitive_category(self) -> np.ndarray:
        """Whether category id ``c`` is sensitive, at index ``c + 1`` (index 0: no label)."""
        sensitive = set(self.taxonomy.sensitive)
        names = list(self.taxonomy.categories)
        return np.array([False] + [name in sensitive for name in names], dtype=bool)

    @functools.cached_property
    def _identifier_category(self) -> np.ndarray:
        """Whether category id ``c`` is an identifier, at index ``c + 1`` (0: no label)."""
        identifiers = set(self.taxonomy.identifiers)
        names = list(self.taxonomy.categories)
        return np.array([False] + [name in identifiers for name in names], dtype=bool)

    @functools.cached_property
    def _partner_slot_ids(self) -> np.ndarray:
        return np.array(
            [i for i, name in enumerate(self.slot_names) if name.startswith("partner|")],
            dtype=np.int64,
        )

    def _fill_slots(
        self,
        filler: SlotFiller,
        slot_id: np.ndarray,
        slot_row: np.ndarray,
        slot_template: np.ndarray,
        upper_row: np.ndarray,
    ) -> tuple[pa.Array, np.ndarray]:
        """The value of every slot instance, in capitals on shouting rows.

        Kinds are filled in slot-id order, each over its instances in reading order (the
        order of the random draws). Returns the values end to end and, for each value, the
        instance (position in ``slot_id``) it belongs to.
        """
        batch_of_slot, batches = self._slot_batches
        batch = batch_of_slot[slot_id]
        order = stable_order(batch)
        bounds = np.searchsorted(batch[order], np.arange(len(batches) + 1))
        parts = [pa.array([], type=pa.string())]
        filler.prepare(self.slot_names, slot_id, slot_row)
        for batch_id, (slot_name, relatives) in enumerate(batches):
            instances = order[bounds[batch_id] : bounds[batch_id + 1]]
            rows = slot_row[instances]
            if len(rows) == 0:
                continue
            if relatives:
                values = filler.fill_relatives(
                    slot_name, slot_id[instances], rows, self.slot_names, slot_template[instances]
                )
            else:
                values = filler.fill(slot_name, rows, slot_template[instances])
            values = values.cast(pa.string())
            shout = upper_row[rows]
            if shout.any():
                values = pc.if_else(pa.array(shout), pc.utf8_upper(values), values)
            parts.append(values)
        return pa.concat_arrays(parts), order

    def _difficulty_tags(
        self,
        n: int,
        literal_row: np.ndarray,
        literal_bits: np.ndarray,
        clause_row: np.ndarray,
        template: np.ndarray,
        multi_fact: np.ndarray,
        upper_row: np.ndarray,
    ) -> pa.Array:
        """Per record, the difficulty tags of its clauses and of the noise that showed."""
        mask = _or_by_row(n, literal_row, literal_bits)
        mask |= _or_by_row(n, clause_row, self.template_bits[template])
        has_clause = np.zeros(n, dtype=bool)
        has_clause[clause_row] = True
        bit = self.tag_bit
        if "multi_fact" in bit:
            mask |= np.where(multi_fact, bit["multi_fact"], 0)
        if "upper_case" in bit:
            mask |= np.where(upper_row & has_clause, bit["upper_case"], 0)
        return lists_from_masks(mask, self.tag_names)

    def _close(
        self,
        rng: np.random.Generator,
        tables: _GenerationTables,
        index: np.ndarray,
        row_offsets: np.ndarray,
        lengths: np.ndarray,
        has_comment: np.ndarray,
        slot_values: pa.Array,
        capitals: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The pieces to join with a closer (a full stop, now and then "!" or "...") ending
        a share of the notes, as most people typing a note do: 77% of the hand-written
        development notes end with one, and no generated note did, which told them apart
        on its own (a blind-test rule "ends with a full stop: hand-written" scored 90%).
        Never after a note that already ends with punctuation.

        The closer is one more piece at the end of its row, so the single join writes it
        (no second pass over the text); the spans, measured on the pieces before it, do
        not move. Returns the pool indices, the row offsets and the capitalised positions
        for :func:`join_pieces`.
        """
        n = len(row_offsets) - 1
        closer = self.closer_dist.sample(rng, n)
        closed = has_comment & (rng.random(n) < self.closer_rate)
        rows = np.flatnonzero(closed)
        # The note's last character is its last non-empty piece's.
        written = np.flatnonzero(lengths > 0)
        at = np.searchsorted(written, row_offsets[rows + 1]) - 1
        rows, last = rows[at >= 0], written[at[at >= 0]]
        rows, last = rows[last >= row_offsets[rows]], last[last >= row_offsets[rows]]
        punctuated = _pieces_end(
            index[last], tables.strings, tables.ends_punctuated, slot_values, _ends_punctuated
        )
        rows = rows[~punctuated]
        if not len(rows):
            return index, row_offsets, capitals
        ends = row_offsets[rows + 1]
        added = np.zeros(n + 1, dtype=row_offsets.dtype)
        added[rows + 1] = 1
        shifted = capitals + np.searchsorted(ends, capitals, side="right")
        return (
            np.insert(index, ends, tables.first_closer + closer[rows]),
            row_offsets + np.cumsum(added, dtype=row_offsets.dtype),
            shifted,
        )

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
        mask = _or_by_row(n, span_row, np.int64(1) << category)
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


def _pieces_end(
    pool_index: np.ndarray,
    strings: pa.Array,
    static_ends: np.ndarray,
    slot_values: pa.Array,
    ends: Callable[[pa.Array], np.ndarray],
) -> np.ndarray:
    """Per piece (its index in the pool: the static ``strings``, then ``slot_values``),
    whether the text really written ends as ``ends`` says: read from ``static_ends`` for
    static strings, computed on the few slot values among them."""
    static = pool_index < len(strings)
    out = np.zeros(len(pool_index), dtype=bool)
    out[static] = static_ends[pool_index[static]]
    if not static.all():
        out[~static] = ends(take(slot_values, pool_index[~static] - len(strings)))
    return out


def _ends_with_stop(strings: pa.Array) -> np.ndarray:
    """Per string: does it end with '.', '?', '!' or ':' (trailing spaces aside)."""
    return np.asarray(pc.match_substring_regex(strings, r"[.?!:]\s*$").fill_null(False), dtype=bool)


def _ends_punctuated(strings: pa.Array) -> np.ndarray:
    """Per string: does it end with punctuation, after which no closer is written."""
    return np.asarray(pc.match_substring_regex(strings, r"[.?!:;,…]$").fill_null(False), dtype=bool)


def _or_by_row(n: int, rows: np.ndarray, bits: np.ndarray) -> np.ndarray:
    """Per row of ``n``, the OR of ``bits`` over its entries.

    Most entries carry no bit (no noise showed, no tag): only the others are scattered,
    which beats a segmented reduction over them all.
    """
    mask = np.zeros(n, dtype=np.int64)
    some = np.flatnonzero(bits)
    np.bitwise_or.at(mask, rows[some], bits[some])
    return mask


def lists_from_masks(mask: np.ndarray, names: pa.Array) -> pa.Array:
    """Per row, the names of the bits set in ``mask`` (bit i is ``names[i]``), in bit order.

    A batch holds few distinct masks, so each distinct one is spelt out once (as name
    ids) and the rows copy the ids of theirs: no (rows x bits) matrix, and one string take
    for the whole list column.
    """
    nonzero = np.flatnonzero(mask)
    distinct, inverse = np.unique(mask[nonzero], return_inverse=True)
    inverse = inverse.reshape(-1)
    owner, name_id = np.nonzero((distinct[:, None] >> np.arange(len(names))) & 1)
    per_distinct = np.bincount(owner, minlength=len(distinct))
    first_id = np.cumsum(per_distinct) - per_distinct
    counts = np.zeros(len(mask), dtype=np.int64)
    counts[nonzero] = per_distinct[inverse]
    offsets = np.zeros(len(mask) + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    # The k-th name of a row is the k-th id of its distinct mask.
    per_row = counts[nonzero]
    ids = name_id[
        np.repeat(first_id[inverse] - offsets[:-1][nonzero], per_row) + np.arange(offsets[-1])
    ]
    return pa.ListArray.from_arrays(pa.array(offsets), take(names, ids))


def load_engine(real_email_domains: bool = False) -> CommentEngine:
    """The engine of the installed corpora, one per process whichever way it is asked for
    (``load_engine()`` and ``load_engine(False)`` alike); both email-domain choices share
    one build."""
    return _engine(bool(real_email_domains))


@functools.cache
def _engine(real_email_domains: bool) -> CommentEngine:
    if real_email_domains:
        return _engine(False).with_real_email_domains(True)
    return CommentEngine()
