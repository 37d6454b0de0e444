"""The compiled engine state: same arrays as a plain per-template compile, same rows whether
it comes from the disk cache or a fresh compile, and any cache problem falls back."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from breachbench.generator.comments.compiled import (
    LITERAL,
    NON_SENSITIVE_FAMILIES,
    PATIENT_SURNAME_SLOT,
    SLOT,
    TITLE_SLOT,
    CompiledTemplates,
    PieceCodes,
    compile_installed,
    load_compiled,
    ordered_templates,
    slot_key,
)
from breachbench.generator.comments.engine import CommentContext, CommentEngine, load_engine
from breachbench.generator.comments.templates import installed_templates, load_templates
from breachbench.generator.contract.taxonomy import load_taxonomy
from breachbench.generator.data import corpora
from breachbench.generator.data.cache import CACHE_ENV
from breachbench.generator.data.derived import derived, derived_key
from breachbench.generator.options import DIFFICULTIES
from breachbench.generator.records.doctors import assign
from breachbench.generator.records.nir import person_nir
from breachbench.generator.records.people import FEMALE, MALE, load_people
from breachbench.generator.records.places import load_places


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """An empty cache directory, and ``load_compiled`` forgetting what it loaded."""
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    load_compiled.cache_clear()
    yield tmp_path
    load_compiled.cache_clear()


def _fresh() -> CompiledTemplates:
    return compile_installed(installed_templates())


def _assert_same(a: CompiledTemplates, b: CompiledTemplates) -> None:
    for field in dataclasses.fields(CompiledTemplates):
        x, y = getattr(a, field.name), getattr(b, field.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and np.array_equal(x, y), field.name
        elif isinstance(x, pa.Array):
            assert x.equals(y), field.name
        elif field.name == "category_dist":
            for sex in (MALE, FEMALE):
                assert np.array_equal(x[sex].probability, y[sex].probability)
                assert np.array_equal(x[sex].alias, y[sex].alias)
        else:
            assert x == y, field.name


def _comments(engine: CommentEngine, difficulty: str) -> pa.Table:
    n = 3_000
    rng = np.random.default_rng(7)
    people = load_people().draw(rng, n)
    places = load_places()
    unit = places.draw_units(rng, assign(7, np.arange(n, dtype=np.int64)).department_index)
    nir = person_nir(people, places.birth_place(rng, people.age, unit), rng.integers(1, 1000, n))
    out = engine.generate(
        rng,
        CommentContext.for_people(people, nir, unit, places),
        comment_rate=0.9,
        sensitive_rate=0.5,
        difficulty=difficulty,
    )
    return pa.table(dataclasses.asdict(out))


def _cache_file(cache: Path) -> Path:
    return cache / f"compiled-templates-{derived_key()}.pickle"


@pytest.mark.slow  # expands or compiles every template afresh (5-10 s)
def test_cached_state_draws_the_same_comments_as_a_fresh_compile(cache: Path):
    fresh = load_compiled()  # the cache is empty: compiles, and writes the cache
    assert _cache_file(cache).is_file()
    load_compiled.cache_clear()
    read = load_compiled()  # reads it back
    assert read is not fresh
    _assert_same(read, fresh)
    for difficulty in DIFFICULTIES:
        assert _comments(CommentEngine(compiled=read), difficulty).equals(
            _comments(CommentEngine(compiled=fresh), difficulty)
        ), difficulty


@pytest.mark.slow  # expands or compiles every template afresh (5-10 s)
def test_a_corrupt_cache_is_recompiled_and_replaced(cache: Path):
    _cache_file(cache).write_bytes(b"\x80\x05 not a whole pickle")
    _assert_same(load_compiled(), _fresh())
    assert _cache_file(cache).stat().st_size > 1_000_000  # a real state replaced it


@pytest.mark.slow  # compiles every template afresh (about 10 s)
def test_an_unwritable_cache_still_compiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache directory should be")
    monkeypatch.setenv(CACHE_ENV, str(blocker / "cache"))
    load_compiled.cache_clear()
    try:
        engine = CommentEngine(compiled=load_compiled())
        assert _comments(engine, "realistic").num_rows == 3_000
    finally:
        load_compiled.cache_clear()


def test_derived_values_are_computed_once_per_key(cache: Path):
    calls: list[int] = []

    def compute() -> np.ndarray:
        calls.append(1)
        return np.arange(5)

    assert np.array_equal(derived("thing", compute), np.arange(5))
    assert np.array_equal(derived("thing", compute), np.arange(5))
    assert len(calls) == 1
    assert (cache / f"thing-{derived_key()}.pickle").is_file()


def test_compiled_arrays_match_a_per_template_compile():
    """The vectorised compile against a plain compile, template by template and piece by
    piece (the fields are packed with :meth:`PieceCodes.pack` in one call at the end)."""
    engine = load_engine()
    taxonomy = engine.taxonomy
    templates = engine.templates
    literals: dict[str, int] = {}
    slots = [TITLE_SLOT, PATIENT_SURNAME_SLOT]
    categories = {c: taxonomy.index(c) for c in taxonomy.categories}
    subjects = {s: i for i, s in enumerate(taxonomy.subjects)}
    assertions = {a: i for i, a in enumerate(taxonomy.assertions)}
    rows = []
    for template in templates:
        row = []
        for p in template.pieces:
            category = categories[p.category] if p.category else -1
            subject = subjects.get(p.subject or "patient", 0)
            assertion = assertions.get(p.assertion or "affirmed", 0)
            if p.slot is None:
                literal = literals.setdefault(p.text, len(literals))
                row.append((LITERAL, literal, category, subject, assertion))
            elif p.slot == "patient_name":
                row.append((SLOT, 0, -1, 0, 0))
                row.append((SLOT, 1, category, subject, assertion))
            else:
                key = slot_key(p)
                if key not in slots:
                    slots.append(key)
                row.append((SLOT, slots.index(key), category, subject, assertion))
        rows.append(row)
    where = [(r, c) for r, row in enumerate(rows) for c in range(len(row))]
    fields = np.array([piece for row in rows for piece in row], dtype=np.int64)
    expected = np.zeros_like(engine.piece_codes)  # 0: an empty cell
    expected[tuple(np.array(where).T)] = PieceCodes.pack(*fields.T)
    assert np.array_equal(expected, engine.piece_codes)
    assert engine.slot_names == tuple(slots)
    assert engine.n_literals == len(literals)

    items = [
        (t, (engine.keys.index(template.category or template.family)) * 2 + sex)
        for t, template in enumerate(templates)
        for sex, code in ((MALE, "M"), (FEMALE, "F"))
        if template.sex in ("any", code)
    ]
    assert engine.items_template.tolist() == [t for t, _ in items]
    assert engine.items_group.tolist() == [g for _, g in items]
    bits = [
        sum(int(engine.tag_bit[t]) for t in set(x.tags) if t in engine.tag_bit) for x in templates
    ]
    assert engine.template_bits.tolist() == bits
    tag_sets = {tags: sorted(set(tags)) for tags in {x.tags for x in templates}}
    for level in engine.noise.levels.values():
        scale = {  # per distinct tag list: a few hundred for all the templates
            tags: np.prod([max(level.tag_weights.get(t, 1.0), 1e-6) for t in unique])
            for tags, unique in tag_sets.items()
        }
        expected = [scale[x.tags] for x in templates]
        assert np.allclose(engine.compiled.scale(level.tag_weights), expected, rtol=1e-15)
    assert len(engine.keys) == len(NON_SENSITIVE_FAMILIES) + len(taxonomy.sensitive)


def test_a_restriction_never_touches_the_cached_samplers():
    engine = load_engine()
    full = engine._sampler("realistic")
    # Every non-sensitive template stays (a restriction must keep them), half the others.
    keep = np.array([t.family != "sensitive" or i % 2 == 0 for i, t in enumerate(engine.templates)])
    restricted = engine.restricted(keep)._sampler("realistic")
    assert not np.array_equal(restricted.total, full.total)
    assert engine._sampler("realistic") is full
    again = engine.restricted(np.ones(len(keep), dtype=bool))._sampler("realistic")
    assert again is not full
    assert np.array_equal(again.total, full.total)
    assert np.array_equal(again.draws.entries, full.draws.entries)


def test_real_email_domains_share_the_default_build():
    default, real = load_engine(), load_engine(True)
    assert load_engine(False) is default and load_engine(real_email_domains=True) is real
    assert real.real_email_domains and not default.real_email_domains
    assert real.piece_codes is default.piece_codes and real.people is default.people


def test_a_note_says_an_identity_category_once():
    """Templates of ``one_clause_categories`` without a story group share their
    category's group, so a comment never holds two of them ("sikh. pentecôtiste").

    The templates are read from the disk cache, which equals a fresh expansion
    (``test_cached_templates_equal_a_fresh_expansion``, in ``pytest -m slow``) and which
    the test process has usually read already; expanding them here took seconds."""
    compiled = load_compiled()
    once = corpora.read_yaml("formats/composition.yaml")["one_clause_categories"]
    ordered = ordered_templates(load_templates(), compiled.keys)
    for category in once:
        groups = {
            compiled.group_names[compiled.group[i]]
            for i, t in enumerate(ordered)
            if t.category == category and not t.group
        }
        assert groups == {f"category:{category}"}, category


def test_no_comma_after_a_label_clause():
    """A clause that reads "label : value" is never followed by ", " and another clause
    ("origine de la demande : mutuelle, éthylisme" reads as a list), while other clauses
    still are."""
    engine = load_engine()
    labelled = np.flatnonzero(engine._labelled)
    plain = np.flatnonzero(~engine._labelled)
    assert len(labelled) and len(plain) and engine._comma >= 0
    n = 20_000
    rng = np.random.default_rng(5)
    before = np.where(np.arange(n) % 2 == 0, labelled[0], plain[0])
    template = np.stack([before, np.full(n, plain[1])], axis=1).ravel()
    position = np.tile([0, 1], n)
    codes, per_clause = engine._lay_out(rng, engine._tables(), position, template)
    start = np.cumsum(per_clause) - per_clause
    _, value, *_ = PieceCodes.unpack(codes[start[1::2]])
    separator = value - len(engine.variant_texts)
    assert not (separator[::2] == engine._comma).any()
    assert (separator[1::2] == engine._comma).any()


def test_no_comma_after_someone_else_s_fact():
    """A clause whose last sensitive fact is a relative's or a third party's is closed by
    more than a comma ("Mère placée en GAV, épicerie sociale" gives the mother both), and so
    is a labelled one; a clause about the patient alone is not."""
    compiled = load_compiled()
    ordered = ordered_templates(load_templates(), compiled.keys)
    sensitive = set(load_taxonomy().sensitive)
    for i in range(0, len(ordered), 53):
        subjects = [p.subject for p in ordered[i].pieces if p.category in sensitive]
        someone_else = bool(subjects) and subjects[-1] != "patient"
        assert compiled.no_comma_after[i] == (compiled.labelled[i] or someone_else)
    assert compiled.no_comma_after.sum() > compiled.labelled.sum()


def test_compiled_eligibility_and_labels_are_the_templates_own():
    """What compilation derives for the engine (labelled clauses, eligibility classes)
    says what the templates say, read back from the template objects."""
    compiled = load_compiled()
    ordered = ordered_templates(load_templates(), compiled.keys)
    rows = compiled.constraint_rows[compiled.constraint]
    for i in range(0, len(ordered), 97):
        t = ordered[i]
        own = [t.max_age, t.since, t.until, t.partner, t.needs, t.born, t.lives]
        own += [t.min_open, t.max_open]
        assert rows[i].tolist()[1:] == own
        assert rows[i][0] == compiled.min_age[i] >= t.min_age
        says_label = any(p.slot is None and " : " in p.text for p in t.pieces)
        assert compiled.labelled[i] == says_label, t.source
    assert len(compiled.constraint_rows) == len(np.unique(compiled.constraint_rows, axis=0))
    assert 0 < compiled.labelled.sum() < len(ordered)


def test_a_template_in_two_groups_shares_a_clause_with_each():
    """ "carte Vitale volée ..." is a story and a word on the card: a comment holds no
    second story and no second word on the card ("perdue", "a oublié") beside it."""
    compiled = load_compiled()
    ordered = ordered_templates(load_templates(), compiled.keys)  # the disk cache, see above
    shared = {
        i: set(compiled.shared_clause[compiled.shared_start[i] : compiled.shared_start[i + 1]])
        for i in range(len(ordered))
    }

    def first(text: str) -> int:
        return next(i for i, t in enumerate(ordered) if t.pieces[0].text.startswith(text))

    stolen, forgot = first("carte Vitale volée"), first("a oublié sa carte Vitale")
    both, mgen = first("Vitale ok, mutuelle ok"), first("mutuelle MGEN")
    # and the group of its own wordings ("carte Vitale volée ... scannée au dossier")
    assert ordered[stolen].group == "story" and ordered[stolen].more_groups[0] == "vitale"
    assert shared[stolen] & shared[forgot]
    assert ordered[both].group == "vitale" and compiled.group[both] != compiled.group[mgen]
    assert shared[both] & shared[mgen]


@pytest.mark.slow  # two fresh compilations in subprocesses (10-20 s)
def test_clause_ids_do_not_depend_on_string_hashing(tmp_path: Path):
    """Two processes with different hash seeds number the shared clauses alike: the ids
    are assigned in text order, not in a set's (which follows string hashing)."""
    code = (
        "import hashlib; "
        "from breachbench.generator.comments.compiled import compile_installed; "
        "from breachbench.generator.comments.templates import installed_templates; "
        "c = compile_installed(installed_templates()); "
        "print(hashlib.sha256(c.shared_clause.tobytes() + c.shared_start.tobytes()).hexdigest())"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed, CACHE_ENV: str(tmp_path / seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(digests) == 1, digests
