"""Templates drawn by age class keep the law of drawing every template and rejecting."""

from __future__ import annotations

import numpy as np
import pytest
from breachbench.generator.arrays.sampling import GroupedCategorical
from breachbench.generator.comments.aged import (
    AGE_CLASS_STARTS,
    AGE_CLASSES,
    AgedSampler,
    age_class,
)
from breachbench.generator.comments.compiled import NON_SENSITIVE_FAMILIES
from breachbench.generator.comments.engine import CommentEngine, load_engine
from breachbench.generator.records.people import FEMALE, MALE
from support.contexts import people_context


def test_age_classes_start_where_they_say():
    ages = np.array([-1, 0, 2, 3, 5, 6, 10, 11, 12, 13, 15, 16, 17, 18, 40, 120])
    assert age_class(ages).tolist() == [0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 6]
    assert len(AGE_CLASS_STARTS) == AGE_CLASSES and AGE_CLASS_STARTS[0] == 0


def test_a_class_draws_only_templates_whose_window_meets_it_in_proportion():
    # Group 0: a toddler-only template, an adult-only one, one for everyone (twice the
    # weight); group 1: adults only.
    min_age = np.array([0, 18, 0, 30])
    max_age = np.array([2, 120, 120, 60])
    sampler = AgedSampler.build(
        groups=np.array([0, 0, 0, 1]),
        templates=np.array([0, 1, 2, 3]),
        weights=np.array([1.0, 1.0, 2.0, 1.0]),
        n_groups=2,
        min_age=min_age,
        max_age=max_age,
    )
    rng = np.random.default_rng(1)
    n = 30_000
    toddler = sampler.sample(rng, np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64))
    assert set(np.unique(toddler)) == {0, 2}
    assert abs((toddler == 2).mean() - 2 / 3) < 0.01
    adult = sampler.sample(rng, np.zeros(n, dtype=np.int64), np.full(n, AGE_CLASSES - 1))
    assert set(np.unique(adult)) == {1, 2}
    assert sampler.can_draw(np.array([1, 1]), np.array([0, AGE_CLASSES - 1])).tolist() == [
        False,
        True,
    ]
    shares = sampler.shares()
    assert shares[0, 0] == pytest.approx(3 / 4) and shares[0, -1] == pytest.approx(3 / 4)
    assert shares[1, 0] == 0 and shares[1, -1] == 1


def _rejection_from_every_template(
    engine: CommentEngine, ctx, is_fact: np.ndarray, row: np.ndarray, seed: int
) -> np.ndarray:
    """The engine's law before age classes: a key (for a fact of a patient born abroad,
    sometimes overridden by ``born_abroad_facts``), a template of the key among all, and
    both drawn again until the template fits its record."""
    rng = np.random.default_rng(seed)
    keys, families = len(engine.keys), len(NON_SENSITIVE_FAMILIES)
    templates = GroupedCategorical.from_groups(
        engine.items_group, engine.item_weights("realistic"), 2 * keys
    )
    family = GroupedCategorical.from_groups(
        np.zeros(families, dtype=np.int64), engine._family_weights(None), 1
    )
    shares, chosen = engine._born_abroad_facts
    shares = np.cumsum(shares)  # the old law's cumulative shares
    out = np.full(len(row), -1)
    todo = np.arange(len(row))
    while len(todo):
        at = row[todo]
        sex = ctx.sex[at]
        key = np.empty(len(todo), dtype=np.int64)
        fact = is_fact[todo]
        key[~fact] = family.sample(rng, np.zeros(int((~fact).sum()), dtype=np.int64))
        for s in (MALE, FEMALE):
            mine = fact & (sex == s)
            key[mine] = families + engine.category_dist[s].sample(rng, int(mine.sum()))
        abroad = np.flatnonzero(fact & ctx.born_abroad[at])
        draw = rng.random(len(abroad))
        pick = np.minimum(np.searchsorted(shares, draw, side="right"), len(chosen) - 1)
        hit = draw < shares[-1]
        abroad, category = abroad[hit], chosen[pick[hit]]
        drawable = engine._drawable[sex[abroad], category]
        key[abroad[drawable]] = families + category[drawable]
        template = engine.items_template[templates.sample(rng, key * 2 + sex)]
        fits = engine.fits(template, at, ctx, np.zeros(len(ctx.sex), dtype=np.int64))
        out[todo[fits]] = template[fits]
        todo = todo[~fits]
    return out


def _by_class(engine: CommentEngine, ctx, is_fact: np.ndarray, row: np.ndarray, seed: int):
    rng = np.random.default_rng(seed)
    sampler = engine._sampler("realistic")
    key_dist = engine._key_dist("realistic", None)
    out = np.full(len(row), -1)
    todo = np.arange(len(row))
    partner = np.zeros(len(ctx.sex), dtype=np.int64)
    while len(todo):
        template = engine._draw(rng, sampler, key_dist, is_fact[todo], row[todo], ctx)
        fits = engine.fits(template, row[todo], ctx, partner)
        out[todo[fits]] = template[fits]
        todo = todo[~fits]
    return out


@pytest.mark.parametrize("age", [1, 4, 14, 40, 85])
def test_drawing_by_age_class_keeps_the_law_of_rejection(age):
    """Key by key, the templates that fit a record are drawn as often as when every
    template was drawn and those that do not fit rejected (two samples of 60,000 clauses,
    half facts, a chi-square far past chance if a key's class share were left out)."""
    engine = load_engine()
    ctx = people_context(600, 11, age=age, year=2021)
    n = 60_000
    row = np.arange(n) % len(ctx.sex)
    is_fact = np.arange(n) % 2 == 0
    expected = _rejection_from_every_template(engine, ctx, is_fact, row, seed=5)
    drawn = _by_class(engine, ctx, is_fact, row, seed=6)
    key = engine._template_key
    for mask in (is_fact, ~is_fact):
        a = np.bincount(key[expected[mask]], minlength=len(engine.keys))
        b = np.bincount(key[drawn[mask]], minlength=len(engine.keys))
        seen = (a + b) > 0
        chi2 = (((a - b)[seen] ** 2) / (a + b)[seen]).sum()
        # Same totals: chi-square with (keys seen - 1) degrees of freedom; 17 keys at most,
        # so 60 is past p = 1e-6.
        assert chi2 < 60, (age, mask.sum(), chi2, a, b)
    # Every clause fits its record's age.
    c = engine.compiled
    assert (c.min_age[drawn] <= age).all() and (c.max_age[drawn] >= age).all()
