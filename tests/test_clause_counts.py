"""How many clauses a note gets (formats/composition.yaml): a sensitive note draws its
count from its own law, so a fact is seldom written alone, and the law names only counts
the general one has."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from breachbench.generator.comments import engine as engine_module
from breachbench.generator.comments.engine import CommentEngine, load_engine
from breachbench.generator.data import corpora
from support.contexts import people_context


def _clause_counts(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Clauses per commented row, and whether the row is sensitive, for one batch."""
    engine = copy.copy(load_engine())
    captured = {}

    def capture(rng, ctx, n, has, clause_row, position, template, sequel, *rest):
        captured.update(row=clause_row, template=template)
        raise StopIteration

    engine._assemble = capture  # type: ignore[method-assign]
    ctx = people_context(6_000, seed, age=45, year=2020)
    with pytest.raises(StopIteration):
        engine.generate(np.random.default_rng(seed), ctx, comment_rate=1.0, sensitive_rate=0.5)
    row, template = captured["row"], captured["template"]
    counts = np.bincount(row, minlength=6_000)
    facts = np.bincount(row, weights=engine._is_fact_template[template], minlength=6_000)
    return counts, facts > 0


def test_a_sensitive_note_is_seldom_one_clause():
    spec = corpora.read_yaml("formats/composition.yaml")
    counts, sensitive = _clause_counts(5)

    def alone(law: dict) -> float:
        return law[1] / sum(law.values())

    facts = spec["sensitive_clauses"]
    # One clause: the law drew one and the note holds one fact (the larger count wins).
    expected = alone(spec["clauses_per_sensitive_comment"]) * alone(facts)
    assert abs(np.mean(counts[sensitive] == 1) - expected) < 0.04
    assert abs(np.mean(counts[~sensitive] == 1) - alone(spec["clauses_per_comment"])) < 0.04
    assert np.mean(counts[sensitive] == 1) < np.mean(counts[~sensitive] == 1) / 2


def test_the_sensitive_law_names_no_count_the_general_one_lacks(monkeypatch):
    read = corpora.read_yaml

    def patched(name: str):
        document = read(name)
        if name == "formats/composition.yaml":
            document = dict(document, clauses_per_sensitive_comment={1: 1, 9: 1})
        return document

    monkeypatch.setattr(engine_module.corpora, "read_yaml", patched)
    with pytest.raises(ValueError, match="clauses_per_sensitive_comment"):
        CommentEngine(compiled=load_engine().compiled)
