"""How the clauses of one note hang together (generator.comments.glue): in topic order,
a comma only between remarks of one kind, and the same rows whatever the batch."""

from __future__ import annotations

import numpy as np
import pytest
from breachbench.generator.comments.compiled import PieceCodes
from breachbench.generator.comments.engine import load_engine
from breachbench.generator.comments.glue import load_glue


def test_order_sorts_each_row_by_topic_and_keeps_ties_as_drawn():
    engine = load_engine()
    glue = engine._glue
    rng = np.random.default_rng(3)
    template = rng.integers(0, len(glue.rank), 5_000)
    row = np.sort(rng.integers(0, 1_200, 5_000))
    order = glue.order(template, row)
    assert (row[order] == row).all()  # rows stay where they are
    rank = glue.rank[template[order]]
    inside = row[1:] == row[:-1]
    assert (rank[1:][inside] >= rank[:-1][inside]).all()
    ties = inside & (rank[1:] == rank[:-1])
    assert (order[1:][ties] > order[:-1][ties]).all()


def test_a_chain_of_steps_stays_after_its_lead():
    """A fact, two steps of it in a row, then papers: the papers sort after both steps
    (the second step used to take the first's own topic, desk, after the papers)."""
    engine = load_engine()
    glue, c = engine._glue, engine.compiled
    fact = np.flatnonzero(engine._is_fact_template & (c.group < 0))[0]
    step = np.flatnonzero(engine._sequels.step)[:2]
    papers = np.flatnonzero(c.group == c.group_names.index("mutuelle"))[0]
    template = np.array([fact, step[0], step[1], papers])
    sequel = np.array([False, True, True, False])
    order = glue.order(template, np.zeros(4, dtype=np.int64), sequel)
    assert order.tolist() == [0, 1, 2, 3]


def test_leaving_closes_its_note_and_contacts_open_it():
    engine = load_engine()
    glue, c = engine._glue, engine.compiled
    leaving = c.group == c.group_names.index("leaving")
    assert (glue.rank[leaving] == len(glue.topic_names) - 1).all()
    assert (glue.rank[~leaving] < len(glue.topic_names) - 1).all()
    assert glue.topic_names[0] == "contact"


def test_a_comma_only_between_remarks_of_one_kind():
    """Two clauses of a topic that lists ("tiers payant", "mutuelle MGEN") may be joined by
    a comma; a fact then a routine desk note mostly start a new sentence."""
    engine = load_engine()
    glue = engine._glue
    papers = np.flatnonzero(glue.rank == glue.topic_names.index("papers"))
    desk = np.flatnonzero(glue.rank == glue.topic_names.index("desk"))
    fact = np.flatnonzero(glue.rank == glue.topic_names.index("fact"))
    n = 20_000
    pairs = {"listed": (papers[0], papers[1]), "new": (fact[0], desk[0])}
    comma = {}
    for name, (a, b) in pairs.items():
        template = np.tile([a, b], n)
        position = np.tile([0, 1], n)
        codes, per_clause = engine._lay_out(
            np.random.default_rng(5), engine._tables(), position, template
        )
        start = np.cumsum(per_clause) - per_clause
        _, value, *_ = PieceCodes.unpack(codes[start[1::2]])
        comma[name] = np.mean(value - len(engine.variant_texts) == engine._comma)
    assert comma["listed"] > 0.3 > 0.15 > comma["new"] > 0


def test_links_must_name_separators():
    with pytest.raises(ValueError, match="no separator"):
        load_glue(
            np.zeros(2, dtype=np.int64),
            np.full(2, -1),
            ("routine", "sensitive"),
            (),
            (". ",),
            {"separators": [{"text": ". ", "weight": 1}], "links": {"new_topic": {" + ": 1}}},
        )
