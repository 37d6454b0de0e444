"""Someone else's fact in a child's note is noted for a reason (issue 9, a reading of
session 20): "père sous PrEP" in a baby's note, "? syndrome dépressif chez le père" at 1,
"Père victime de VC" at 8. A GP writes a parent's fact in a child's record when it bears
on the child (a mother's HIV and the baby's serology follow-up, a father's violence and
what is said to him, a parent's addiction and who takes the child home), never bare."""

from __future__ import annotations

import re

import pytest
from breachbench.benchmarks.check import Record, rule_kin_reason
from breachbench.generator.data.corpora import read_yaml


@pytest.mark.parametrize(
    ("text", "span", "age", "found"),
    [
        ("père sous PrEP", "PrEP", 1, 1),
        ("père sous PrEP", "PrEP", 30, 0),
        ("VIH chez la mère : suivi sérologique de l'enfant au CHU", "VIH", 1, 0),
        ("père incarcéré : l'enfant vit chez sa mère", "incarcéré", 9, 0),
    ],
)
def test_check_counts_someone_elses_bare_fact_in_a_minors_note(text, span, age, found):
    start = text.index(span)
    spans = [(start, start + len(span), "serology", "relative", "affirmed")]
    record = Record("P", text, spans, sex="F", age=age)
    assert len(rule_kin_reason(record)) == found


def test_the_stake_reasons_are_a_pattern():
    assert re.compile(read_yaml("checks/kin_reason.yaml")["reason"])
