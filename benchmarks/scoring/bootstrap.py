"""Poisson bootstrap weights that depend only on (seed, patient_id): streaming and paired.

Each record gets B weights with the moments of Poisson(1) (Hanley & MacGibbon's online
bootstrap). Unlike a multinomial resample, a record's weights do not depend on the other
records, so batches are scored apart and merged, and two detectors scored on the same
dataset see exactly the same resamples, which makes the paired test of ``paired.py`` valid.

Weights come from a counter-based generator written in numpy so that a batch is a few
array expressions (a ``numpy.random.Philox`` object per record costs ~10 µs, too slow):
the record key is ``mix64(FNV-1a-64(patient_id UTF-8) ^ mix64(seed))`` and the j-th 64-bit
word is SplitMix64's output ``mix64(key + (j + 1) * golden_gamma)``. Each word gives eight
bytes u, and a weight is the number of thresholds ``(95, 188, 235, 251, 255)`` that u
reaches: P(0..5) = (95, 93, 47, 16, 4, 1) / 256, i.e. Poisson(1) quantised to 1/256
(mean exactly 1, variance 1.008, truncated at 5 where Poisson puts 0.4%). This costs a
third of a 16-bit inverse-CDF lookup and is immaterial for percentile intervals.
"""

from __future__ import annotations

import itertools

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


def replicate_sums(
    values: np.ndarray,
    hashes: np.ndarray,
    *,
    seed: int,
    replicates: int,
    chunk: int = 1024,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Σ_records weight[r, b] · values[r, :] for every replicate b: (replicates × K) int64.

    Records whose value row is all zero are skipped: they cannot change any sum, and they
    are most records (no comment, nothing predicted). The others are grouped by identical
    value rows (a few hundred patterns at most in practice), so the weights are only
    summed row-wise per pattern, then multiplied by the pattern values: far cheaper than a
    (B × records) matrix product.
    """
    k = values.shape[1]
    out = np.zeros((replicates, k), dtype=np.int64)
    live = np.flatnonzero(values.any(axis=1))
    if len(live) == 0 or replicates == 0:
        return out
    rows_values = values[live]
    radix = rows_values.max(axis=0) + 1
    if np.all(rows_values >= 0) and float(np.prod(radix.astype(np.float64))) < 2**62:
        place = np.concatenate(([1], np.cumprod(radix[:-1]))).astype(np.int64)
        key = rows_values @ place
        order = np.argsort(key, kind="stable")
        key = key[order]
        new = np.concatenate(([True], key[1:] != key[:-1]))
    else:
        order = np.lexsort(rows_values.T[::-1])
        sorted_rows = rows_values[order]
        new = np.concatenate(([True], np.any(sorted_rows[1:] != sorted_rows[:-1], axis=1)))
    rows = live[order]
    pattern_of = np.cumsum(new) - 1
    patterns = rows_values[order][new]
    sums = np.zeros((len(patterns), replicates), dtype=np.int64)
    for lo in range(0, len(rows), chunk):
        w = (
            weights[rows[lo : lo + chunk]]
            if weights is not None
            else poisson_weights(hashes[rows[lo : lo + chunk]], seed=seed, replicates=replicates)
        )
        pat = pattern_of[lo : lo + chunk]
        bounds = np.flatnonzero(np.concatenate(([True], pat[1:] != pat[:-1], [True])))
        for a, b in itertools.pairwise(bounds):
            sums[pat[a]] += w[a:b].sum(axis=0, dtype=np.int64)
    exact = np.abs(patterns).max() * np.abs(sums).max() * len(patterns) < 2**52
    if exact:
        return out + np.rint(sums.T.astype(np.float64) @ patterns.astype(np.float64)).astype(
            np.int64
        )
    return out + sums.T @ patterns
