"""Age-dependent rates written in the corpora as steps: ``[[min_age, rate], ...]``."""

from __future__ import annotations

import numpy as np


def step_rate(steps: list[list[float]], ages: np.ndarray) -> np.ndarray:
    """The rate that applies at each age: the last step whose ``min_age`` is <= age."""
    bounds = np.array([step[0] for step in steps], dtype=np.float64)
    rates = np.array([step[1] for step in steps], dtype=np.float64)
    return rates[np.searchsorted(bounds, ages, side="right") - 1]
