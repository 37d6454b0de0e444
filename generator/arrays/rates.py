"""Age-dependent rates written in the corpora as steps: ``[[min_age, rate], ...]``."""

from __future__ import annotations

import functools

import numpy as np

# Ages are whole years: below this bound a rate is one lookup in a per-age table.
_TABLE_AGES = 256


def step_rate(steps: list[list[float]], ages: np.ndarray) -> np.ndarray:
    """The rate that applies at each age: the last step whose ``min_age`` is <= age.

    Whole-year ages (every caller's) are looked up in a table built once per step list;
    a ``searchsorted`` per block cost ~1.5 ms per call, the lookup a tenth of that.
    """
    ages = np.asarray(ages)
    key = tuple((float(low), float(rate)) for low, rate in steps)
    if ages.dtype.kind in "iu" and len(ages) and ages.min() >= 0 and ages.max() < _TABLE_AGES:
        return _by_age(key)[ages]
    bounds, rates = _steps(key)
    return rates[np.searchsorted(bounds, ages, side="right") - 1]


@functools.cache
def _steps(key: tuple[tuple[float, float], ...]) -> tuple[np.ndarray, np.ndarray]:
    bounds = np.array([low for low, _ in key], dtype=np.float64)
    rates = np.array([rate for _, rate in key], dtype=np.float64)
    return bounds, rates


@functools.cache
def _by_age(key: tuple[tuple[float, float], ...]) -> np.ndarray:
    """``step_rate`` of every whole age below ``_TABLE_AGES``."""
    bounds, rates = _steps(key)
    return rates[np.searchsorted(bounds, np.arange(_TABLE_AGES), side="right") - 1]
