"""Exposure metrics: a hand-computed example, the slow reference, merging, severity weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from breachbench.benchmarks.scoring import (
    ScoringConfig,
    default_space,
    metrics_report,
    predictions_from_lists,
    score_batch,
)
from breachbench.benchmarks.scoring.exposure import (
    EXPOSURE_FIELDS,
    SeverityError,
    load_severity,
    masked_length,
)
from breachbench.benchmarks.scoring.matching import SpanArrays
from support.reference import reference_counts
from support.synthetic import (
    batch_from_spans,
    noisy_predictions,
    span_lists,
    synthetic_batch,
)

SPACE = default_space()
SMALL = ScoringConfig(bootstrap_replicates=50, bootstrap_seed=3)

TEXTS = ["Jean VIH+ 06 39 98 29 54 fin.", "dépression, voir sa fille Marie", "RAS", None]
GOLD = [
    [
        (0, 4, "person", "patient", "affirmed"),
        (5, 9, "serology", "patient", "affirmed"),
        (10, 24, "phone", "patient", "affirmed"),
    ],
    [
        (0, 10, "mental_health", "patient", "historical"),
        (26, 31, "person", "relative", "affirmed"),
    ],
    [],
    [],
]
PRED = [
    [(0, 4, "person"), (10, 20, "phone")],  # name masked, phone half masked, VIH+ missed
    [(0, 10, "mental_health"), (20, 25, "person")],  # "fille" masked by mistake, Marie missed
    [],
    [],
]


def _example():
    batch = batch_from_spans(GOLD, comments=TEXTS)
    return score_batch(batch, predictions_from_lists(PRED), config=SMALL), batch


def test_hand_computed_example() -> None:
    counts, _ = _example()
    got = dict(zip(EXPOSURE_FIELDS, counts.exposure.tolist(), strict=False))
    assert got == {
        # Record 0: the phone's last 4 digits stay readable; record 1: Marie stays.
        "identifier_records": 2,
        "identifier_protected": 0,
        # Record 0's VIH+ is readable, record 1's dépression is masked.
        "sensitive_records": 2,
        "sensitive_protected": 1,
        # Only record 0 holds a patient name/phone and a patient fact: both readable.
        "linked_records": 1,
        "linked_disclosed": 1,
        # 4+4+14 + 10+5 gold chars; readable: VIH+ (4), "9 54"-> 4 of the phone, Marie (5).
        "gold_chars": 37,
        "gold_chars_exposed": 13,
        "sensitive_chars": 14,
        "sensitive_chars_exposed": 4,
        "identifier_chars": 23,
        "identifier_chars_exposed": 9,
        # 29-22 + 31-15 + 3 unlabelled chars; "fille" (5) masked without a label.
        "unlabelled_chars": 26,
        "unlabelled_masked": 5,
        "sensitive_strict_cor": 1,
        "sensitive_actual": 1,
        "sensitive_possible": 2,
        "identifier_strict_cor": 1,
        "identifier_actual": 3,
        "identifier_possible": 3,
        # Weights in hundredths: serology 10 and person 5 and phone 4 readable, of 31.
        "severity_spans": 3100,
        "severity_leaked": 1900,
    }
    h = {k: v["value"] for k, v in metrics_report(counts)["headline"].items()}
    assert h["protection_identifier"] == 0.0
    assert h["protection_sensitive"] == 0.5
    assert h["linked_disclosure"] == 1.0
    assert h["char_leak_rate"] == pytest.approx(13 / 37)
    assert h["over_redaction"] == pytest.approx(5 / 26)
    # serology 10 (leaked), mental_health 7 (masked), person 5 x2 (one leaked), phone 4.
    assert h["severity_leak"] == pytest.approx((10 + 5 + 4) / (10 + 7 + 5 + 5 + 4))
    assert (h["span_sensitive_precision"], h["span_sensitive_recall"]) == (1.0, 0.5)
    assert h["span_sensitive_f1"] == pytest.approx(2 / 3)
    assert h["span_identifier_precision"] == pytest.approx(1 / 3)
    assert h["span_identifier_recall"] == pytest.approx(1 / 3)


def test_severity_override(tmp_path: Path) -> None:
    counts, _ = _example()
    path = tmp_path / "w.yaml"
    path.write_text("weights:\n  serology: 0\n  phone: 0\n", encoding="utf-8")
    weights = load_severity(path, space=SPACE)
    assert weights["serology"] == 0 and weights["person"] == 5  # the rest keeps the default
    value = metrics_report(counts, severity=weights)["headline"]["severity_leak"]["value"]
    assert value == pytest.approx(5 / (7 + 5 + 5))
    for text, message in (
        ("weights: {seroloy: 2}", "unknown category 'seroloy'"),
        ("weights: {serology: -1}", "must be a number >= 0"),
        ("[1, 2]", "expected a mapping"),
        ("weights: {serology: [", "not valid YAML"),
    ):
        path.write_text(text, encoding="utf-8")
        with pytest.raises(SeverityError, match=message):
            load_severity(path, space=SPACE)


@pytest.mark.parametrize("seed", range(3))
def test_matches_the_slow_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    batch = synthetic_batch(rng, n_records=600, comment_rate=0.7, labelled_rate=0.7)
    preds = noisy_predictions(rng, batch)
    items = span_lists(preds, batch.num_rows)
    fast = score_batch(batch, predictions_from_lists(items), config=SMALL)
    slow = reference_counts(batch, items, config=SMALL)
    assert fast.exposure.any()
    assert np.array_equal(fast.exposure, slow.exposure)
    assert np.array_equal(fast.exposure_replicates, slow.exposure_replicates)


def test_counts_merge_like_sums() -> None:
    rng = np.random.default_rng(9)
    batch = synthetic_batch(rng, n_records=2000)
    preds = noisy_predictions(rng, batch)
    whole = score_batch(batch, preds, config=SMALL)
    items = span_lists(preds, batch.num_rows)
    halves = [
        score_batch(
            batch.slice(lo, 1000), predictions_from_lists(items[lo : lo + 1000]), config=SMALL
        )
        for lo in (0, 1000)
    ]
    merged = halves[0] + halves[1]
    assert np.array_equal(merged.exposure, whole.exposure)
    assert np.array_equal(merged.exposure_replicates, whole.exposure_replicates)
    report = metrics_report(merged)
    for name in ("linked_disclosure", "severity_leak", "char_leak_rate", "over_redaction"):
        h = report["headline"][name]
        assert h["ci_low"] <= h["value"] <= h["ci_high"], name


def test_masked_length_is_the_union() -> None:
    rng = np.random.default_rng(0)
    rec = np.sort(rng.integers(0, 20, 200))
    start = rng.integers(0, 50, 200)
    end = start + rng.integers(1, 15, 200)
    spans = SpanArrays(rec, start, end, np.zeros(200, dtype=np.int16))
    expected = np.zeros(20, dtype=np.int64)
    for r in range(20):
        expected[r] = len({i for k in np.flatnonzero(rec == r) for i in range(start[k], end[k])})
    assert np.array_equal(masked_length(spans, n_records=20), expected)


def test_record_level_detectors_get_no_exposure() -> None:
    batch = batch_from_spans(GOLD, comments=TEXTS)
    counts = score_batch(batch, predictions_from_lists([{"serology"}, set(), set(), set()]))
    report = metrics_report(counts)
    assert report["exposure"] is None
    assert report["headline"]["linked_disclosure"]["value"] is None


def test_severity_intervals_need_the_scoring_weights() -> None:
    from breachbench.benchmarks.scoring.exposure import hundredths

    rng = np.random.default_rng(5)
    batch = synthetic_batch(rng, n_records=1500)
    preds = noisy_predictions(rng, batch)
    custom = {**load_severity(space=SPACE), "date": 10.0, "serology": 1.0}
    scored = ScoringConfig(bootstrap_replicates=50, severity=hundredths(custom, SPACE))
    counts = score_batch(batch, preds, config=scored)
    with_weights = metrics_report(counts, severity=custom)["headline"]["severity_leak"]
    assert with_weights["ci_low"] <= with_weights["value"] <= with_weights["ci_high"]
    # Reported with other weights: the point value is exact, the interval does not apply.
    other = metrics_report(counts)["headline"]["severity_leak"]
    assert other["value"] is not None and other["value"] != with_weights["value"]
    assert other["ci_low"] is None
    default = score_batch(batch, preds, config=ScoringConfig(bootstrap_replicates=50))
    assert metrics_report(default)["headline"]["severity_leak"]["value"] == other["value"]
    with pytest.raises(ValueError, match="severity"):
        counts + default


def test_bench_severity_option(tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from breachbench.cli import main

    rng = np.random.default_rng(3)
    batch = synthetic_batch(rng, n_records=300, comment_rate=0.8, labelled_rate=0.8)
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in batch.to_pylist()), encoding="utf-8")
    weights = tmp_path / "w.yaml"
    weights.write_text("date: 10\n", encoding="utf-8")
    out = tmp_path / "run"
    args = ["bench", str(data), "-d", "identifiers", "--bootstrap", "30", "-o", str(out)]
    result = CliRunner().invoke(main, [*args, "--severity", str(weights)])
    assert result.exit_code == 0, result.output
    results = json.loads((out / "results.json").read_text())
    assert results["options"]["severity"] == str(weights)
    assert results["metrics"]["exposure"]["severity_weights"]["date"] == 10.0
    assert results["metrics"]["headline"]["severity_leak"]["ci_low"] is not None
    assert results["counts"]["severity_hundredths"][SPACE.categories.index("date")] == 1000
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "What a redaction by this detector would leave" in html
    assert "Identifier span F1 (strict)" in (out / "results.md").read_text(encoding="utf-8")
    weights.write_text("date: [\n", encoding="utf-8")
    bad = CliRunner().invoke(main, [*args, "--overwrite", "--severity", str(weights)])
    assert bad.exit_code == 2 and "not valid YAML" in bad.stderr
