"""The detector protocol: every answer shape normalises to Answer, every fault names its record."""

from types import SimpleNamespace

import numpy as np
import pytest
from breachbench.benchmarks.protocol import Answer, AnswerNormaliser, DetectorFault, PredictedSpan

IDS = ["a", "b", "c"]
TEXTS = ["VIH+ connu", "", "RAS"]


def test_tuples_dicts_objects_all_become_predicted_spans():
    norm = AnswerNormaliser()
    answers = norm.batch(
        IDS,
        TEXTS,
        [
            [(0, 3, "serology"), {"start": 4, "end": 10, "label": "x", "score": 0.25}],
            [],
            [SimpleNamespace(start=np.int64(0), end=np.int64(3), label="y")],
        ],
    )
    assert answers[0].spans == [
        PredictedSpan(0, 3, "serology", None),
        PredictedSpan(4, 10, "x", 0.25),
    ]
    assert answers[1].spans == []
    assert answers[2].spans == [PredictedSpan(0, 3, "y")]
    assert type(answers[2].spans[0].start) is int
    assert norm.mode == "spans"


def test_categories_and_bools_are_record_level():
    cats = AnswerNormaliser().batch(IDS, TEXTS, [{"serology"}, set(), ["religion"]])
    assert cats[0] == Answer(spans=None, categories=frozenset({"serology"}))
    assert cats[2].categories == frozenset({"religion"})
    flags = AnswerNormaliser().batch(IDS, TEXTS, [True, False, np.bool_(True)])
    assert [a.sensitive for a in flags] == [True, False, True]
    assert flags[0].spans is None and flags[0].categories is None


def test_empty_answers_fit_every_mode_until_the_mode_is_known():
    norm = AnswerNormaliser()
    first = norm.batch(["a"], ["x"], [[]])[0]
    assert first.spans == [] and first.categories == frozenset()
    assert norm.mode is None
    norm.batch(["b"], ["VIH"], [["serology"]])
    assert norm.mode == "categories"
    assert norm.batch(["c"], ["x"], [[]])[0] == Answer(spans=None, categories=frozenset())


def test_declared_mode_applies_to_empty_answers():
    norm = AnswerNormaliser("spans")
    assert norm.one("a", "x", []) == Answer(spans=[], categories=None)


@pytest.mark.parametrize(
    ("raw", "culprit", "words"),
    [
        ([[], []], "c", "2 answers for a batch of 3"),
        ([[], [], [], []], "c", "4 answers"),
        ([[(3, 1, "x")], [], []], "a", "inverted"),
        ([[], [(0, 1, "x")], []], "b", "out of range"),
        ([[(-1, 2, "x")], [], []], "a", "out of range"),
        ([[(0.0, 1, "x")], [], []], "a", "float"),
        ([[(True, 2, "x")], [], []], "a", "bool"),
        ([[(0, 1, 7)], [], []], "a", "label"),
        ([[(0, 1)], [], []], "a", "fields"),
        ([[{"start": 0, "end": 1}], [], []], "a", "lacks key"),
        ([[SimpleNamespace(start=0, end=1)], [], []], "a", "no attribute 'label'"),
        ([None, [], []], "a", "NoneType"),
        ([[(0, 1, "x")], [], {"serology"}], "c", "mode"),
        ([True, [], {"serology"}], "c", "mode"),
        ("abc", "a", "batch answer is str"),
    ],
)
def test_faults_name_the_record(raw, culprit, words):
    with pytest.raises(DetectorFault) as caught:
        AnswerNormaliser().batch(IDS, TEXTS, raw)
    assert caught.value.record_id == culprit
    message = str(caught.value)
    assert f"record {culprit!r}" in message
    assert words in message
    assert "\n" not in message


def test_fault_message_is_one_line():
    fault = DetectorFault("r1", "line one\nline two\n\n  three")
    assert str(fault) == "detector fault at record 'r1': line one | line two | three"
