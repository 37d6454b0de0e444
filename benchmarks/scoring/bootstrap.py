"""Poisson bootstrap weights that depend only on (seed, patient_id): streaming and paired.

Each record falls into one of :data:`BUCKETS` buckets by a hash of its id, and each
bucket gets B weights with the moments of Poisson(1) (Hanley & MacGibbon's online
bootstrap): replicate b weighs every record of a bucket by that bucket's weight. Scoring
a batch therefore only sums each record's counts into its bucket (a ``bincount``), and
the B weighted sums are taken once per report (:func:`replicate_totals`), so the cost of
the intervals no longer grows with B times the number of records: weighing every record
1,000 times took more time than all the rest of scoring. This is the bootstrap over
random clusters that online-experiment platforms use at scale; buckets being a random
partition of the records, it estimates the same variance as resampling records (the
cross terms of a bucket's records average out), and a run smaller than a few thousand
records is, up to hash collisions, the record bootstrap itself.

Unlike a multinomial resample, the weights do not depend on the other records, so
batches and shards are scored apart and merged, and two detectors scored on the same
dataset see exactly the same resamples, which makes the paired test of ``paired.py``
valid.

Weights come from a counter-based generator written in numpy: the bucket key is
``mix64(bucket ^ mix64(seed))`` and the j-th 64-bit word is SplitMix64's output
``mix64(key + (j + 1) * golden_gamma)``. Each word gives eight bytes u, and a weight is
the number of thresholds ``(95, 188, 235, 251, 255)`` that u reaches: P(0..5) = (95, 93,
47, 16, 4, 1) / 256, i.e. Poisson(1) quantised to 1/256 (mean exactly 1, variance 1.008,
truncated at 5 where Poisson puts 0.4%), immaterial for percentile intervals. A record's
bucket is the top bits of ``mix64(FNV-1a-64(patient_id UTF-8))``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyarrow as pa

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)
_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def mix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser (Stafford variant 13), elementwise on uint64."""
    x = x ^ (x >> np.uint64(30))
    x = x * _M1
    x = x ^ (x >> np.uint64(27))
    x = x * _M2
    return x ^ (x >> np.uint64(31))


def id_hashes(ids: pa.Array) -> np.ndarray:
    """FNV-1a 64 of each id's UTF-8 bytes (uint64), vectorised over the Arrow buffers."""
    if ids.type not in (pa.string(), pa.large_string()):
        ids = ids.cast(pa.string())
    n = len(ids)
    if n == 0:
        return np.zeros(0, dtype=np.uint64)
    if ids.null_count:
        raise ValueError("patient_id must not be null")
    buffers = ids.buffers()
    width = np.int64 if ids.type == pa.large_string() else np.int32
    offsets = np.frombuffer(buffers[1], dtype=width)[ids.offset : ids.offset + n + 1].astype(
        np.int64
    )
    data = (
        np.frombuffer(buffers[2], dtype=np.uint8)
        if buffers[2] is not None
        else np.zeros(1, np.uint8)
    )
    starts, lengths = offsets[:-1], np.diff(offsets)
    h = np.full(n, _FNV_OFFSET, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(int(lengths.max())):
            live = lengths > j
            if live.all():
                h = (h ^ data[starts + j].astype(np.uint64)) * _FNV_PRIME
            else:
                idx = np.flatnonzero(live)
                h[idx] = (h[idx] ^ data[starts[idx] + j].astype(np.uint64)) * _FNV_PRIME
    return h


THRESHOLDS: tuple[int, ...] = (95, 188, 235, 251, 255)
"""Byte thresholds of the quantised Poisson(1) weights (see the module docstring)."""


def _words(keys: np.ndarray, words: int) -> np.ndarray:
    """SplitMix64 outputs ``mix64(key + (j + 1) * gamma)``, j < words: (len(keys), words)."""
    with np.errstate(over="ignore"):
        x = keys[:, None] + (np.arange(1, words + 1, dtype=np.uint64) * _GAMMA)[None, :]
        y = x >> np.uint64(30)
        x ^= y
        x *= _M1
        np.right_shift(x, np.uint64(27), out=y)
        x ^= y
        x *= _M2
        np.right_shift(x, np.uint64(31), out=y)
        x ^= y
    return x


def record_keys(hashes: np.ndarray, *, seed: int) -> np.ndarray:
    """Per-record generator keys: a function of (seed, id hash) only."""
    with np.errstate(over="ignore"):
        return mix64(hashes.astype(np.uint64) ^ mix64(np.asarray([seed], dtype=np.uint64)))


def poisson_weights(hashes: np.ndarray, *, seed: int, replicates: int) -> np.ndarray:
    """(records × replicates) uint8 weights, a pure function of (seed, id hash, replicate)."""
    raw = _words(record_keys(hashes, seed=seed), (replicates + 7) // 8)
    u = raw.view(np.uint8)[:, :replicates]
    w = (u >= THRESHOLDS[0]).view(np.uint8)
    for t in THRESHOLDS[1:]:
        w += (u >= t).view(np.uint8)
    return w


BUCKETS = 4096
"""Number of hash buckets of records that the bootstrap resamples (a power of two)."""
_BUCKET_SHIFT = np.uint64(64 - BUCKETS.bit_length() + 1)


def bucket_of(hashes: np.ndarray) -> np.ndarray:
    """Each record's bootstrap bucket (int64 in [0, BUCKETS)) from its id hash."""
    with np.errstate(over="ignore"):
        return (mix64(hashes.astype(np.uint64)) >> _BUCKET_SHIFT).astype(np.int64)


def bucket_sums(buckets: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per-bucket sums of per-record integer rows: (BUCKETS x K) int64.

    ``bincount`` sums in float64, exact below 2**53, far above any count here."""
    k = values.shape[1]
    if len(values) == 0 or k == 0:
        return np.zeros((BUCKETS, k), dtype=np.int64)
    index = (buckets.astype(np.int64)[:, None] * k + np.arange(k)).ravel()
    sums = np.bincount(index, weights=values.ravel().astype(np.float64), minlength=BUCKETS * k)
    return np.rint(sums).astype(np.int64).reshape(BUCKETS, k)


@lru_cache(maxsize=8)
def bucket_weights(seed: int, replicates: int) -> np.ndarray:
    """(BUCKETS x replicates) uint8 Poisson weights of every bucket; read-only, cached."""
    weights = poisson_weights(np.arange(BUCKETS, dtype=np.uint64), seed=seed, replicates=replicates)
    weights.flags.writeable = False
    return weights


def replicate_totals(sums: np.ndarray, *, seed: int, replicates: int) -> np.ndarray:
    """Σ_buckets weight[bucket, b] · sums[bucket, :] for every replicate b:
    (replicates x K) int64, exact (float64 while every partial sum stays below 2**53)."""
    k = sums.shape[1]
    if replicates == 0 or not sums.any():
        return np.zeros((replicates, k), dtype=np.int64)
    weights = bucket_weights(seed, replicates)
    if 5.0 * float(np.abs(sums).sum(axis=0).max()) < 2**53:
        product = weights.T.astype(np.float64) @ sums.astype(np.float64)
        return np.rint(product).astype(np.int64)
    return weights.T.astype(np.int64) @ sums
