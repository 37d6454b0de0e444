"""The built-in identifier detector, tested the way the README tells detector authors to:
with the ``breach_records`` fixture and the ``breachbench.strategies`` strategies."""

from __future__ import annotations

import importlib.metadata
from typing import Any

import pytest
from breachbench.benchmarks.detectors.identifiers import IdentifierDetector
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from breachbench.strategies import labelled_comments, records

if not any(
    ep.value == "breachbench.pytest_plugin"
    for ep in importlib.metadata.entry_points(group="pytest11")
):  # the plugin's pytest11 entry point is not installed yet: take its fixtures directly
    from breachbench.pytest_plugin import breach_dataset, breach_records  # noqa: F401

PATTERNED = ("phone", "email", "nir")
DETECTOR = IdentifierDetector()
# Deferred strategies: built at import, they would load every comment template (two to
# three seconds) in each test process while it collects, whether it runs these tests or not.


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.deferred(lambda: labelled_comments(categories=PATTERNED)))
def test_every_inserted_phone_email_and_nir_is_found_exactly(
    example: tuple[str, list[dict[str, Any]]],
) -> None:
    text, spans = example
    found = {(start, end, label) for start, end, label, *_ in DETECTOR([text])[0]}
    for span in spans:
        assert (span["start"], span["end"], span["category"]) in found, (text, span)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.deferred(lambda: records(categories=["phone"], comment_probability=1.0)))
def test_phones_in_whole_records(record: dict[str, Any]) -> None:
    found = DETECTOR([record["admin_comment"]])[0]
    assert {(s["start"], s["end"]) for s in record["spans"]} <= {(a, b) for a, b, *_ in found}


@pytest.mark.breach_seed(7)
def test_identifier_recall_on_generated_records(breach_records: list[dict[str, Any]]) -> None:
    texts = [r["admin_comment"] or "" for r in breach_records]
    predictions = DETECTOR(texts)
    gold = found = 0
    for record, predicted in zip(breach_records, predictions, strict=True):
        exact = {(start, end, label) for start, end, label, *_ in predicted}
        for span in record["spans"]:
            if span["category"] in PATTERNED:
                gold += 1
                found += (span["start"], span["end"], span["category"]) in exact
    assert gold > 20
    assert found == gold
