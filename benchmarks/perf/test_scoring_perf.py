"""Scoring throughput: run with ``pytest benchmarks/perf --benchmark-enable``.

The harness requires at least 500,000 comments (records) per second of scoring. The batch
is built here with numpy: 100k records, 30% with a comment, a third of those with 1-4
spans, predictions that find, shift, mislabel and miss spans and add false positives.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from breachbench.benchmarks.scoring import ScoringConfig, metrics_report, score_batch
from support.synthetic import noisy_predictions, synthetic_batch

N_RECORDS = 100_000


@pytest.fixture(scope="module")
def batch_and_predictions():
    rng = np.random.default_rng(2026)
    batch = synthetic_batch(rng, n_records=N_RECORDS)
    return batch, noisy_predictions(rng, batch)


def _rate(seconds: float) -> str:
    return f"{N_RECORDS / seconds:,.0f} comments/s"


@pytest.mark.parametrize("replicates", [1000, 0], ids=["bootstrap1000", "no-bootstrap"])
def test_score_batch_throughput(benchmark, batch_and_predictions, replicates: int) -> None:
    batch, preds = batch_and_predictions
    config = ScoringConfig(bootstrap_replicates=replicates)
    score_batch(batch, preds, config=config)  # warm-up
    counts = benchmark(score_batch, batch, preds, config=config)
    assert counts.records[0] == N_RECORDS
    stats = getattr(benchmark, "stats", None)
    if stats is not None:
        median = stats.stats.median
    else:
        start = time.perf_counter()
        score_batch(batch, preds, config=config)
        median = time.perf_counter() - start
    per_batch = f"{median * 1e3:.1f} ms per {N_RECORDS:,} records"
    print(f"\nscore_batch, B={replicates}: {per_batch} = {_rate(median)}")


def test_metrics_report_time(benchmark, batch_and_predictions) -> None:
    batch, preds = batch_and_predictions
    counts = score_batch(batch, preds)
    report = benchmark(metrics_report, counts)
    assert report["headline"]["record_sensitive_f1"]["value"] is not None
