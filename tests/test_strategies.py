"""The public Hypothesis strategies: every example keeps the contract, and shrinks small."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest
from breachbench.generator.contract.schema import RECORD_SCHEMA
from breachbench.generator.contract.taxonomy import load_taxonomy
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from breachbench.strategies import DIFFICULTIES, labelled_comments, records

TAXONOMY = load_taxonomy()
FICTION_BLOCKS = {"063998", "019900", "026191", "035301", "046571", "053649"}  # ARCEP
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# The strategies under @given are deferred: built at import, they would load every comment
# template (two to three seconds) in each test process while it collects, run or not.


def assert_contract(text: str, spans: list[dict[str, Any]]) -> None:
    """The dataset contract of corpora/taxonomy/TAXONOMY.md, for one comment."""
    previous_end = 0
    for span in spans:
        assert set(span) == {"start", "end", "category", "subject", "assertion"}
        assert previous_end <= span["start"] < span["end"] <= len(text)
        surface = text[span["start"] : span["end"]]
        assert surface == surface.strip() and surface
        assert span["category"] in TAXONOMY.categories
        assert span["subject"] in TAXONOMY.subjects
        assert span["assertion"] in TAXONOMY.assertions
        if TAXONOMY.group_of[span["category"]] == "identifier":
            assert span["assertion"] == "affirmed"
        previous_end = span["end"]


@FAST
@given(st.deferred(lambda: labelled_comments()))
def test_comments_keep_the_contract(example: tuple[str, list[dict[str, Any]]]) -> None:
    assert_contract(*example)


@FAST
@given(
    st.sampled_from(TAXONOMY.categories).flatmap(
        lambda category: st.tuples(st.just(category), labelled_comments(categories=[category]))
    )
)
def test_categories_filter(pair: tuple[str, tuple[str, list[dict[str, Any]]]]) -> None:
    category, (text, spans) = pair
    assert_contract(text, spans)
    assert spans and all(span["category"] == category for span in spans)


@FAST
@given(st.deferred(lambda: labelled_comments(subjects=["relative"])))
def test_subjects_filter(example: tuple[str, list[dict[str, Any]]]) -> None:
    assert_contract(*example)
    assert {span["subject"] for span in example[1]} == {"relative"}


@FAST
@given(
    st.deferred(lambda: labelled_comments(difficulty={"negated"}, categories=TAXONOMY.sensitive))
)
def test_difficulty_tags_filter(example: tuple[str, list[dict[str, Any]]]) -> None:
    assert_contract(*example)
    assert any(span["assertion"] == "negated" for span in example[1])


@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_every_difficulty_level_draws(difficulty: str) -> None:
    find(labelled_comments(difficulty=difficulty), lambda example: True)


@FAST
@given(st.deferred(lambda: records()))
def test_records_fit_the_schema_and_agree_with_their_spans(record: dict[str, Any]) -> None:
    table = pa.Table.from_pylist([record], schema=RECORD_SCHEMA)
    assert table.num_rows == 1 and list(record) == RECORD_SCHEMA.names
    text = record["admin_comment"] or ""
    assert_contract(text, record["spans"])
    categories = sorted({span["category"] for span in record["spans"]})
    assert record["categories"] == categories
    assert record["sensitive"] == any(TAXONOMY.group_of[c] == "sensitive" for c in categories)
    for column in ("phone_mobile", "phone_home"):
        if record[column] is not None:
            digits = "".join(c for c in record[column] if c.isdigit())
            national = "0" + digits[2:] if record[column].startswith("+33") else digits
            assert national[:6] in FICTION_BLOCKS, record[column]
    assert record["email"] is None or record["email"].rsplit("@", 1)[1].startswith("example.")


def test_shrinks_to_one_short_clause() -> None:
    text, spans = find(labelled_comments(), lambda example: True)
    assert len(text) <= 20 and len(spans) <= 1, text
    text, spans = find(labelled_comments(categories=["phone"]), lambda example: True)
    assert len(spans) == 1 and len(text) <= 40, text
    record = find(records(), lambda r: True)
    assert record["admin_comment"] is None


def test_shrinks_a_failing_example_to_a_readable_one() -> None:
    """What a detector author sees when a property fails: one small clause."""
    text, spans = find(
        labelled_comments(categories=["phone", "person"]),
        lambda example: any(s["category"] == "phone" for s in example[1]),
    )
    phones = [s for s in spans if s["category"] == "phone"]
    assert len(phones) == 1 and len(text) <= 100, text  # one clause; some phone clauses run to 80


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"categories": ["not_a_category"]}, ValueError),
        ({"subjects": ["cousin"]}, ValueError),
        ({"difficulty": "extreme"}, ValueError),
        ({"categories": "phone"}, TypeError),
        ({"max_clauses": 0}, ValueError),
    ],
)
def test_bad_arguments_fail_at_once(kwargs: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        labelled_comments(**kwargs)
