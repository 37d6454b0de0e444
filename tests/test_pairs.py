"""A note's facts that hang together (generator.comments.pairs): the table's loader says
what is wrong in one line, and a later fact is drawn from its lead's pairs at the rate."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from breachbench.generator.comments.compiled import NON_SENSITIVE_FAMILIES
from breachbench.generator.comments.engine import load_engine
from breachbench.generator.comments.pairs import FactPairs, load_fact_pairs
from breachbench.generator.data import corpora
from support.contexts import people_context


def _categories() -> tuple[str, ...]:
    return tuple(load_engine().keys[len(NON_SENSITIVE_FAMILIES) :])


def _load(document) -> FactPairs:
    return load_fact_pairs(load_engine().compiled, _categories(), document)


def test_the_installed_table_loads_and_pairs_every_category():
    pairs = _load(None)
    assert ((pairs.rate >= 0) & (pairs.rate <= 1)).all()
    # Every category is some lead's next fact: none loses its spans to the others.
    assert (pairs.weights.sum(axis=0) > 0).all()
    assert pairs.listed(np.array([_categories().index("addiction")]),
                        np.array([_categories().index("social_precarity")]))[0]  # fmt: skip


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"pairs": {"addition": {"rate": 0.5, "then": {"justice": 1}}}}, "category 'addition'"),
        ({"pairs": {"addiction": {"rate": 0.5, "then": {"justise": 1}}}}, "category 'justise'"),
        ({"pairs": {"addiction": {"rate": 1.5, "then": {"justice": 1}}}}, "rate: a share"),
        ({"pairs": {"addiction": {"rate": -0.1, "then": {"justice": 1}}}}, "rate: a share"),
        ({"pairs": {"addiction": {"rate": "x", "then": {"justice": 1}}}}, "rate: a share"),
        ({"pairs": {"addiction": {"rate": True, "then": {"justice": 1}}}}, "rate: a share"),
        ({"pairs": {"addiction": {"rate": 0.5, "then": {"justice": -1}}}}, "a weight, 0 or more"),
        ({"pairs": {"addiction": {"rate": 0.5, "then": {"justice": 0}}}}, "needs a category"),
        ({"pairs": {"addiction": {"rate": 0.5}}}, "a mapping 'then'"),
        ({"pairs": {"addiction": {"rate": 0.5, "then": {}, "rates": 1}}}, "unknown keys"),
        ({"pairs": {}, "unlinked_tags": ["negatd"]}, "unlinked_tags names unknown tags ['negatd']"),
        ({"pairs": {}, "unpaired_tags": ["relatve"]}, "unpaired_tags names unknown tags"),
        ({"pairs": {}, "pair": {}}, "unknown keys ['pair']"),
    ],
)
def test_the_loader_names_what_is_wrong(document, message):
    with pytest.raises(ValueError, match=r"fact_pairs\.yaml") as error:
        _load(document)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def _paired_batch(rate: float, n: int = 4_000, seed: int = 5):
    """Notes of two facts, an addiction then a religion, of adults of 45 in 2020, with a
    table pairing addiction with health conditions only at ``rate``: the second facts
    after ``_pair``."""
    engine = copy.copy(load_engine())
    categories = _categories()
    document = {
        "unlinked_tags": ["negated", "trap"],
        "pairs": {"addiction": {"rate": rate, "then": {"health_condition": 1}}},
    }
    engine.__dict__["_fact_pairs"] = _load(document)
    ctx = people_context(n, seed, age=45, year=2020)
    c = engine.compiled
    key = engine._template_key
    fits_all = engine.fits(np.arange(len(key)), np.zeros(len(key), np.int64), ctx,
                           np.zeros(n, np.int64))  # fmt: skip
    plain = ~c.template_tags[:, list(c.tag_vocabulary).index("negated")]
    both = np.bincount(engine.items_template, minlength=len(key)) == 2  # either sex
    addiction = np.flatnonzero(
        (key == len(NON_SENSITIVE_FAMILIES) + categories.index("addiction"))
        & fits_all & plain & both & (c.group < 0)
    )[0]  # fmt: skip
    religion = np.flatnonzero(
        (key == len(NON_SENSITIVE_FAMILIES) + categories.index("religion")) & fits_all & both
    )[0]
    template = np.tile([addiction, religion], n)
    row = np.repeat(np.arange(n), 2)
    partner = np.zeros(n, dtype=np.int64)
    sampler = engine._sampler("realistic")
    out = engine._pair(np.random.default_rng(seed), sampler, template, row, ctx, partner)
    assert (out[0::2] == addiction).all()  # the lead stays
    return key[out[1::2]] - len(NON_SENSITIVE_FAMILIES), categories


@pytest.mark.parametrize("rate", [0.0, 0.3, 0.7, 1.0])
def test_a_later_fact_is_drawn_from_its_leads_pairs_at_the_rate(rate):
    follower, categories = _paired_batch(rate)
    paired = follower == categories.index("health_condition")
    assert ((follower == categories.index("religion")) | paired).all()
    n = len(follower)
    # A health condition fits nearly every adult of 45 within the rounds: the paired share
    # is the rate, within 4 binomial standard deviations (and a 2% allowance for what
    # fits no draw of four).
    sigma = np.sqrt(rate * (1 - rate) / n)
    assert rate - 4 * sigma - 0.02 <= paired.mean() <= rate + 4 * sigma, paired.mean()


def test_pairs_read_their_file():
    document = corpora.read_yaml("comments/fact_pairs.yaml")
    assert set(document["pairs"]) <= set(_categories())
