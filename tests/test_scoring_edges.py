"""Edge cases: empty sides, null comments, record-level-only predictions, bad input."""

from __future__ import annotations

import pyarrow as pa
import pytest
from breachbench.benchmarks.scoring import (
    GoldError,
    PredictionError,
    Predictions,
    ScoringConfig,
    metrics_report,
    predictions_from_lists,
    score_batch,
)
from breachbench.benchmarks.scoring.labels import default_space
from support.synthetic import batch_from_spans

CONFIG = ScoringConfig(bootstrap_replicates=50)


def _report(golds: list, preds: list, **kw: object) -> dict:
    batch = batch_from_spans(golds, **kw)
    return metrics_report(score_batch(batch, predictions_from_lists(preds), config=CONFIG))


def test_no_gold_and_no_predictions() -> None:
    report = _report([[], []], [[], []], comments=[None, None])
    assert report["records"] == {"total": 2, "comments": 0, "category_level": 2, "span_level": 2}
    assert report["span_level"]["strict"]["micro"]["possible"] == 0
    assert report["span_level"]["strict"]["micro"]["f1"] == 0.0
    assert report["leak"] == {"coverage": "overlap", "sensitive": None, "identifier": None}
    assert report["headline"]["leak_rate_sensitive"] == {
        "value": None,
        "ci_low": None,
        "ci_high": None,
    }
    assert report["record_level"]["sensitive"]["tn"] == 2


def test_no_predictions_everything_leaks() -> None:
    report = _report([[(0, 4, "serology"), (6, 9, "phone")], [(0, 3, "person")]], [[], []])
    assert report["span_level"]["strict"]["micro"]["mis"] == 3
    assert report["headline"]["span_strict_recall"]["value"] == 0.0
    assert report["leak"]["sensitive"]["leak_rate"] == 1.0
    assert report["leak"]["identifier"]["records"] == 2
    assert report["record_level"]["sensitive"]["fn"] == 1


def test_null_and_empty_comments_count_as_no_comment() -> None:
    report = _report([[], [], []], [[], [], []], comments=[None, "", "rdv le matin"])
    assert report["records"]["comments"] == 1


def test_categories_only_predictions_make_span_metrics_not_applicable() -> None:
    report = _report([[(0, 4, "serology")], []], [{"serology"}, set()])
    assert report["span_level"] is None
    assert report["leak"] is None
    assert report["breakdowns"] is None
    assert report["headline"]["span_strict_f1"]["value"] is None
    assert report["headline"]["leak_rate_sensitive"]["value"] is None
    assert report["record_level"]["categories"]["per_category"]["serology"]["tp"] == 1
    assert report["record_level"]["sensitive"]["f1"] == 1.0


def test_flag_only_predictions_score_only_sensitive() -> None:
    report = _report([[(0, 4, "serology")], []], [True, True])
    assert report["record_level"]["categories"] is None
    assert report["span_level"] is None
    assert report["record_level"]["sensitive"]["fp"] == 1


def test_mixed_levels_score_spans_only_where_given() -> None:
    report = _report(
        [[(0, 4, "serology")], [(0, 4, "addiction")]], [[(0, 4, "serology")], {"addiction"}]
    )
    assert report["records"]["span_level"] == 1
    assert report["span_level"]["strict"]["micro"]["possible"] == 1
    assert report["span_level"]["strict"]["micro"]["cor"] == 1


def test_leak_coverage_modes() -> None:
    golds = [[(0, 10, "serology")]]
    partly = _report(golds, [[(0, 5, "addiction")]])
    assert partly["leak"]["sensitive"]["leak_rate_overlap"] == 0.0
    assert partly["leak"]["sensitive"]["leak_rate_full"] == 1.0
    pieced = _report(golds, [[(0, 5, "addiction"), (5, 10, "mental_health")]])
    assert pieced["leak"]["sensitive"]["leak_rate_full"] == 0.0
    other_group = _report(golds, [[(0, 10, "person")]])
    assert other_group["leak"]["sensitive"]["leak_rate"] == 1.0
    batch = batch_from_spans(golds)
    counts = score_batch(batch, predictions_from_lists([[(0, 5, "addiction")]]), config=CONFIG)
    assert (
        metrics_report(counts, leak_coverage="full")["headline"]["leak_rate_sensitive"]["value"]
        == 1.0
    )


def test_breakdowns_by_subject_assertion_and_tags() -> None:
    golds = [
        [(0, 4, "addiction", "relative", "affirmed"), (5, 9, "serology", "patient", "negated")]
    ]
    report = _report(golds, [[(0, 4, "addiction")]], tags=[["relative_mention"]])
    subject = report["breakdowns"]["subject"]
    assert subject["relative"]["recall"]["strict"] == 1.0
    assert subject["patient"]["recall"]["strict"] == 0.0
    assert subject["patient"]["leak"]["sensitive"]["leak_rate"] == 1.0
    assert report["breakdowns"]["assertion"]["negated"]["spans"] == 1
    tag = report["breakdowns"]["difficulty_tags"]["relative_mention"]
    assert tag["spans"] == 2 and tag["leak"]["sensitive"]["leaked"] == 1
    assert report["record_level"]["sensitive_by_difficulty_tag"]["relative_mention"]["tp"] == 1


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([[(3, 3, "serology")]], "empty"),
        ([[(5, 2, "serology")]], "inverted"),
        ([[(0, 2, "NOT_A_LABEL")]], "not a taxonomy category"),
        ([None], "unsupported"),
        ([[(0,)]], "malformed"),
    ],
)
def test_bad_predictions_are_named(items: list, message: str) -> None:
    with pytest.raises(PredictionError, match=message):
        predictions_from_lists(items)


def test_wrong_number_of_predictions() -> None:
    with pytest.raises(PredictionError, match="predictions for"):
        score_batch(batch_from_spans([[], []]), predictions_from_lists([[]]), config=CONFIG)


def test_bad_gold_is_named() -> None:
    batch = batch_from_spans([[(0, 3, "serology")]])
    with pytest.raises(GoldError, match="lacks contract column"):
        score_batch(batch.drop_columns(["spans"]), predictions_from_lists([[]]), config=CONFIG)
    spans = pa.array(
        [
            [
                {
                    "start": 0,
                    "end": 2,
                    "category": "gossip",
                    "subject": "patient",
                    "assertion": "affirmed",
                }
            ]
        ]
    )
    bad = batch.set_column(batch.schema.get_field_index("spans"), "spans", spans)
    with pytest.raises(ValueError, match="gossip"):
        score_batch(bad, predictions_from_lists([[]]), config=CONFIG)


def test_from_spans_and_from_lists_agree() -> None:
    batch = batch_from_spans([[(0, 4, "serology")], [], [(2, 6, "phone")]])
    a = predictions_from_lists([[(0, 4, "serology")], [], [(1, 6, "phone", 0.9)]])
    b = Predictions.from_spans(
        n_records=3, record=[0, 2], start=[0, 1], end=[4, 6], category=a.span_category
    )
    assert score_batch(batch, a, config=CONFIG) == score_batch(batch, b, config=CONFIG)
    space = default_space()
    assert a.span_category.tolist() == [space.categories.index(c) for c in ("serology", "phone")]
