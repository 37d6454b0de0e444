"""The vectorised scorer equals the per-record reference; counts merge; bootstrap behaves."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pyarrow as pa
import pytest
from breachbench.benchmarks.scoring import (
    HEADLINES,
    Counts,
    ScoringConfig,
    metrics_report,
    paired_difference,
    predictions_from_lists,
    score_batch,
)
from breachbench.benchmarks.scoring.bootstrap import (
    BUCKETS,
    bucket_of,
    bucket_sums,
    id_hashes,
    poisson_weights,
    replicate_totals,
)
from breachbench.benchmarks.scoring.labels import default_space
from hypothesis import given, settings
from hypothesis import strategies as st
from support.reference import reference_counts
from support.synthetic import (
    batch_from_spans,
    noisy_predictions,
    span_lists,
    synthetic_batch,
)

SPACE = default_space()
SMALL = ScoringConfig(bootstrap_replicates=40, bootstrap_seed=7)


def _items(batch: pa.RecordBatch, rng: np.random.Generator) -> list:
    """Per-record Python predictions mixing the three levels (mostly spans)."""
    preds = noisy_predictions(rng, batch, false_positive_rate=0.2)
    items = span_lists(preds, batch.num_rows)
    for r in rng.choice(batch.num_rows, size=batch.num_rows // 10, replace=False):
        kind = rng.integers(3)
        if kind == 0:
            items[r] = set()
        elif kind == 1:
            items[r] = {SPACE.categories[int(c)] for c in rng.integers(0, SPACE.size, 2)}
        else:
            items[r] = bool(rng.integers(2))
    return items


@pytest.mark.parametrize("seed", range(4))
def test_vectorised_equals_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    batch = synthetic_batch(rng, n_records=400, comment_rate=0.6, labelled_rate=0.6)
    items = _items(batch, rng)
    assert score_batch(batch, predictions_from_lists(items), config=SMALL) == reference_counts(
        batch, items, config=SMALL
    )


CATS = ("serology", "violence", "person", "date")
spans_strategy = st.lists(
    st.tuples(st.integers(0, 30), st.integers(1, 9), st.sampled_from(CATS)).map(
        lambda t: (t[0], t[0] + t[1], t[2])
    ),
    max_size=5,
)


@st.composite
def contract_gold(draw: st.DrawFn) -> list:
    out, pos = [], 0
    for gap, length, cat, subject in draw(
        st.lists(
            st.tuples(
                st.integers(0, 5),
                st.integers(1, 8),
                st.sampled_from(CATS),
                st.sampled_from(["patient", "relative"]),
            ),
            max_size=4,
        )
    ):
        out.append((pos + gap, pos + gap + length, cat, subject, "affirmed"))
        pos += gap + length
    return out


scored_documents = st.lists(
    st.tuples(contract_gold(), spans_strategy, st.lists(st.sampled_from(["a", "b"]), max_size=2)),
    min_size=1,
    max_size=6,
)


@settings(max_examples=30, deadline=None)
@given(scored_documents)
def test_vectorised_equals_reference_hypothesis(docs: list) -> None:
    _assert_vectorised_equals_reference(docs)


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(scored_documents)
def test_vectorised_equals_reference_hypothesis_thoroughly(docs: list) -> None:
    """The same property on over six times the examples (``pytest -m slow``, run in CI)."""
    _assert_vectorised_equals_reference(docs)


def _assert_vectorised_equals_reference(docs: list) -> None:
    batch = batch_from_spans([g for g, _, _ in docs], tags=[t for _, _, t in docs])
    items = [p for _, p, _ in docs]
    assert score_batch(batch, predictions_from_lists(items), config=SMALL) == reference_counts(
        batch, items, config=SMALL
    )


def _scored(n: int = 3000, seed: int = 1, **kw: object) -> tuple[pa.RecordBatch, Counts]:
    rng = np.random.default_rng(seed)
    batch = synthetic_batch(rng, n_records=n)
    return batch, score_batch(batch, noisy_predictions(rng, batch, **kw), config=SMALL)


def test_merge_of_parts_equals_whole_and_is_associative() -> None:
    rng = np.random.default_rng(3)
    batch = synthetic_batch(rng, n_records=3000)
    preds = noisy_predictions(rng, batch)
    items: list = [[] for _ in range(batch.num_rows)]
    for r, s, e, c in zip(
        preds.span_record, preds.span_start, preds.span_end, preds.span_category, strict=True
    ):
        items[r].append((int(s), int(e), int(c)))
    whole = score_batch(batch, predictions_from_lists(items), config=SMALL)
    cuts = [0, 700, 1800, 3000]
    parts = [
        score_batch(batch.slice(a, b - a), predictions_from_lists(items[a:b]), config=SMALL)
        for a, b in itertools.pairwise(cuts)
    ]
    assert (parts[0] + parts[1]) + parts[2] == whole
    assert parts[0] + (parts[1] + parts[2]) == whole
    assert Counts.merge(parts) == whole
    empty = Counts.empty(space=SPACE, bootstrap_seed=7, bootstrap_replicates=40)
    assert empty + whole == whole


def test_table_with_chunks_equals_batch() -> None:
    rng = np.random.default_rng(1)
    batch = synthetic_batch(rng, n_records=1000)
    preds = noisy_predictions(rng, batch)
    table = pa.Table.from_batches([batch.slice(0, 400), batch.slice(400)])
    assert score_batch(table, preds, config=SMALL) == score_batch(batch, preds, config=SMALL)


def test_json_round_trip() -> None:
    _, counts = _scored()
    text = json.dumps(counts.to_json())
    assert Counts.from_json(json.loads(text)) == counts
    json.dumps(metrics_report(counts), allow_nan=False)


def test_merge_refuses_different_options() -> None:
    _batch, counts = _scored(n=200)
    other = Counts.empty(space=SPACE, bootstrap_seed=8, bootstrap_replicates=40)
    with pytest.raises(ValueError, match="different options"):
        counts + other


def test_bootstrap_is_deterministic_and_keyed_by_id() -> None:
    ids = pa.array(["a", "b", "P000000001", "é"])
    h = id_hashes(ids)
    w1 = poisson_weights(h, seed=5, replicates=100)
    assert np.array_equal(w1, poisson_weights(h, seed=5, replicates=100))
    assert not np.array_equal(w1, poisson_weights(h, seed=6, replicates=100))
    # A record's weights do not depend on its neighbours.
    assert np.array_equal(
        w1[2], poisson_weights(id_hashes(ids.slice(2, 1)), seed=5, replicates=100)[0]
    )
    big = poisson_weights(
        id_hashes(pa.array([str(i) for i in range(2000)])), seed=0, replicates=1000
    )
    assert big.mean() == pytest.approx(1.0, abs=0.01)
    assert big.var() == pytest.approx(1.0, abs=0.03)


def test_buckets_are_the_top_bits_of_the_mixed_id_hash() -> None:
    ids = [f"P{i:09d}" for i in range(50_000)]
    hashes = id_hashes(pa.array(ids))
    mask = 2**64 - 1

    def naive(h: int) -> int:  # SplitMix64's finaliser in Python integers
        h ^= h >> 30
        h = (h * 0xBF58476D1CE4E5B9) & mask
        h ^= h >> 27
        h = (h * 0x94D049BB133111EB) & mask
        return (h ^ (h >> 31)) >> (64 - BUCKETS.bit_length() + 1)

    buckets = bucket_of(hashes)
    assert [naive(int(h)) for h in hashes[:500]] == buckets[:500].tolist()
    # Sequential ids spread evenly: a chi-square far below its 1% critical value.
    observed = np.bincount(buckets, minlength=BUCKETS)
    expected = len(ids) / BUCKETS
    assert ((observed - expected) ** 2 / expected).sum() < BUCKETS + 3.1 * (2 * BUCKETS) ** 0.5


@given(
    st.lists(st.integers(0, 10**6), min_size=1, max_size=60),
    st.integers(0, 2**32),
    st.sampled_from([1, 7, 100]),
)
@settings(max_examples=40, deadline=None)
def test_replicate_totals_are_exact(values: list[int], seed: int, replicates: int) -> None:
    rng = np.random.default_rng(seed)
    buckets = rng.integers(0, BUCKETS, len(values))
    per_record = np.array([[v, v % 3, 2**50 + v] for v in values], dtype=np.int64)
    sums = bucket_sums(buckets, per_record)
    weights = poisson_weights(
        np.arange(BUCKETS, dtype=np.uint64), seed=seed, replicates=replicates
    ).astype(object)
    expected = [
        [
            sum(
                int(weights[b][r]) * int(row[k]) for b, row in zip(buckets, per_record, strict=True)
            )
            for k in range(3)
        ]
        for r in range(replicates)
    ]
    assert replicate_totals(sums, seed=seed, replicates=replicates).tolist() == expected


def test_bucket_bootstrap_estimates_the_sampling_error() -> None:
    # A proportion over 40,000 records: the bootstrap's standard error must match the
    # binomial one, which a wrong bucketing (too few, or correlated, buckets) would miss.
    rng = np.random.default_rng(5)
    n, p = 40_000, 0.3
    values = (rng.random(n) < p).astype(np.int64)[:, None]
    hashes = id_hashes(pa.array([f"R{i}" for i in range(n)]))
    sums = bucket_sums(bucket_of(hashes), np.hstack([values, np.ones_like(values)]))
    totals = replicate_totals(sums, seed=1, replicates=2000)
    share = totals[:, 0] / totals[:, 1]
    observed = values.mean()
    assert share.std() == pytest.approx((observed * (1 - observed) / n) ** 0.5, rel=0.1)


def test_counts_read_back_merge_with_counts_scored_here() -> None:
    rng = np.random.default_rng(6)
    batch = synthetic_batch(rng, n_records=1000)
    preds = noisy_predictions(rng, batch)
    whole = score_batch(batch, preds, config=SMALL)
    items = span_lists(preds, batch.num_rows)
    first = score_batch(batch.slice(0, 400), predictions_from_lists(items[:400]), config=SMALL)
    rest = score_batch(batch.slice(400), predictions_from_lists(items[400:]), config=SMALL)
    loaded = Counts.from_json(json.loads(json.dumps(first.to_json())))
    merged = loaded + rest
    assert np.array_equal(merged.replicates, whole.replicates)
    assert np.array_equal(merged.exposure_replicates, whole.exposure_replicates)
    assert merged == whole


def test_bootstrap_interval_contains_point_estimate() -> None:
    rng = np.random.default_rng(11)
    batch = synthetic_batch(rng, n_records=20_000)
    config = ScoringConfig(bootstrap_seed=3)
    counts = score_batch(batch, noisy_predictions(rng, batch), config=config)
    report = metrics_report(counts)
    for name in HEADLINES:
        h = report["headline"][name]
        assert h["ci_low"] <= h["value"] <= h["ci_high"], name
        # Linked disclosure needs a patient name and a patient fact in one note: a few
        # hundred records here, hence a wider interval.
        assert h["ci_high"] - h["ci_low"] < (0.2 if name == "linked_disclosure" else 0.1), name
    assert len(report["bootstrap"]["replicate_values"]["record_sensitive_f1"]) == 1000


def test_bootstrap_same_for_same_seed() -> None:
    rng = np.random.default_rng(2)
    batch = synthetic_batch(rng, n_records=2000)
    preds = noisy_predictions(rng, batch)
    a = score_batch(batch, preds, config=SMALL)
    b = score_batch(batch, preds, config=SMALL)
    c = score_batch(batch, preds, config=ScoringConfig(bootstrap_replicates=40, bootstrap_seed=8))
    assert np.array_equal(a.replicates, b.replicates)
    assert not np.array_equal(a.replicates, c.replicates)


def test_paired_difference() -> None:
    rng = np.random.default_rng(4)
    batch = synthetic_batch(rng, n_records=5000)
    good = score_batch(batch, noisy_predictions(rng, batch, recall=0.9), config=SMALL)
    poor = score_batch(batch, noisy_predictions(rng, batch, recall=0.4), config=SMALL)
    for metric in HEADLINES:
        same = paired_difference(good, good, metric=metric)
        assert (same["diff"], same["ci_low"], same["ci_high"], same["p_value"]) == (
            0.0,
            0.0,
            0.0,
            1.0,
        )
    result = paired_difference(good, poor, metric="leak_rate_sensitive")
    assert result["diff"] < 0 and result["ci_high"] < 0 and result["p_value"] < 0.05
    from_reports = paired_difference(
        metrics_report(good), metrics_report(poor), metric="leak_rate_sensitive"
    )
    assert from_reports == pytest.approx(result)
    _, other = _scored(n=500)
    with pytest.raises(ValueError, match="not paired"):
        paired_difference(good, other)
