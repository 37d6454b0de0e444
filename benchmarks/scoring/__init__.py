"""Scoring: gold batch + predictions -> mergeable counts -> metrics, intervals, comparisons.

Per batch the runner calls :func:`score_batch` and adds the :class:`Counts` with ``+``;
at the end :func:`metrics_report` turns them into a JSON-friendly dict, and
:func:`paired_difference` compares two runs on the same dataset.
"""

from .counts import Counts
from .gold import GoldError
from .labels import GROUPS, CategorySpace, default_space
from .matching import OUTCOMES, SCHEMES
from .paired import paired_difference
from .predictions import PredictionError, Predictions, predictions_from_lists
from .report import HEADLINES, metrics_report
from .score import ScoringConfig, score_batch

__all__ = [
    "GROUPS",
    "HEADLINES",
    "OUTCOMES",
    "SCHEMES",
    "CategorySpace",
    "Counts",
    "GoldError",
    "PredictionError",
    "Predictions",
    "ScoringConfig",
    "default_space",
    "metrics_report",
    "paired_difference",
    "predictions_from_lists",
    "score_batch",
]
