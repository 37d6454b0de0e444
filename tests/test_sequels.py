"""A note's next clause drawn given the one before it (generator.comments.sequels): a step
only ever follows a lead that calls for it, right after it, joined mostly by a comma."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from breachbench.generator.comments.compiled import PieceCodes
from breachbench.generator.comments.engine import load_engine
from breachbench.generator.comments.sequels import load_sequels
from breachbench.generator.data import corpora
from hypothesis import given, settings
from hypothesis import strategies as st
from support.contexts import people_context


def _drawn(seed: int, age: int, year: int):
    """The templates, clause rows, positions and sequel flags of one batch."""
    engine = copy.copy(load_engine())
    captured = {}

    def capture(rng, ctx, n, has, clause_row, position, template, sequel, *rest):
        captured.update(template=template, row=clause_row, position=position, sequel=sequel)
        raise StopIteration

    engine._assemble = capture  # type: ignore[method-assign]
    ctx = people_context(2_000, seed, age=age, year=year)
    with pytest.raises(StopIteration):
        engine.generate(np.random.default_rng(seed), ctx, comment_rate=1.0, sensitive_rate=0.5)
    return load_engine(), captured


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 2**16), age=st.integers(0, 95), year=st.integers(2004, 2025))
def test_a_step_only_follows_a_lead_that_calls_for_it(seed, age, year):
    engine, d = _drawn(seed, age, year)
    sequels, c = engine._sequels, engine.compiled
    template, row, sequel = d["template"], d["row"], d["sequel"]
    assert not (sequels.step[template] & ~sequel).any()  # a step_* note never alone
    at = np.flatnonzero(sequel)
    assert (d["position"][at] > 0).all() and (row[at - 1] == row[at]).all()
    # Its lead is the clause before it, or the lead of the step before it.
    lead = sequels.lead[template[at - 1]]
    for k in range(len(at)):
        j = at[k] - 1
        while lead[k] < 0 and sequel[j]:
            j -= 1
            lead[k] = sequels.lead[template[j]]
    assert (lead >= 0).all()
    document = corpora.read_yaml("comments/sequels.yaml")
    for k in range(len(at)):
        group = c.group_names[c.group[template[at[k]]]]
        assert group in document["leads"][lead[k]]["then"], (group, lead[k])


def test_a_share_of_later_clauses_are_steps():
    _, d = _drawn(11, 45, 2020)
    later = d["position"] > 0
    share = d["sequel"][later].mean()
    assert 0.05 < share < 0.6, share


def test_a_step_is_joined_to_its_lead_mostly_by_a_comma():
    engine = load_engine()
    sequels = engine._sequels
    lead = np.flatnonzero((sequels.lead >= 0) & ~engine._is_fact_template)[0]
    step = np.flatnonzero(sequels.step)[0]
    n = 10_000
    template = np.tile([lead, step], n)
    position = np.tile([0, 1], n)
    sequel = np.tile([False, True], n)
    codes, per_clause = engine._lay_out(
        np.random.default_rng(2), engine._tables(), position, template, sequel
    )
    start = np.cumsum(per_clause) - per_clause
    _, value, *_ = PieceCodes.unpack(codes[start[1::2]])
    comma = np.mean(value - len(engine.variant_texts) == engine._comma)
    assert comma > 0.5


def test_leads_must_name_what_exists():
    engine = load_engine()
    changes = (
        ("tags", ["no_such_tag"], "unknown"),
        ("groups", ["no_such_group"], "unknown"),
        ("slots", ["no_such_slot|patient"], "no template writes"),
        ("then", {"step_no_such": 1}, "no routine note"),
        ("needs", ["relativ"], r"violence: needs names unknown tags \['relativ'\]"),
    )
    for key, value, message in changes:
        document = copy.deepcopy(corpora.read_yaml("comments/sequels.yaml"))
        document["leads"][0][key] = value
        with pytest.raises(ValueError, match=message):
            load_sequels(engine.compiled, engine._template_key, engine.keys[3:], document)


def test_a_fact_in_doubt_leads_to_what_waits_for_the_doctor_but_an_identity_does_not():
    engine = load_engine()
    sequels, c = engine._sequels, engine.compiled
    tags = list(c.tag_vocabulary)
    doubtful = c.template_tags[:, tags.index("hypothetical")]
    category = engine._template_key - 3  # the sensitive categories after the families
    keys = list(engine.keys[3:])
    doubt = sequels.lead_names.index("doubt")
    health = doubtful & (category == keys.index("health_condition"))
    assert (sequels.lead[health] == doubt).any()
    origin = doubtful & (category == keys.index("ethnic_origin"))
    assert origin.any() and not (sequels.lead[origin] == doubt).any()


def test_a_clause_that_says_its_step_leads_at_the_rate_of_a_story():
    engine = load_engine()
    c = engine.compiled
    told = c.template_tags[:, list(c.tag_vocabulary).index("told")]
    assert told.any() and engine._sequels.told[told].all()


def test_an_orientation_leads_to_discretion_not_to_a_follow_up():
    """'Homosexualité, la revoir tous les 3 mois' (a reading of seed 8181): an orientation
    is no condition to see again, what follows it is the desk's discretion."""
    engine = load_engine()
    sequels = engine._sequels
    category = engine._template_key - 3  # the sensitive categories after the families
    orientation = category == list(engine.keys[3:]).index("sexual_orientation")
    leads = {sequels.lead_names[k] for k in np.unique(sequels.lead[orientation]) if k >= 0}
    assert leads == {"orientation"}
    then = corpora.read_yaml("comments/sequels.yaml")["leads"]
    assert all("step_follow" not in lead["then"] for lead in then if lead["name"] in leads)
