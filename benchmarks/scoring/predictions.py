"""What a detector said about a batch, flattened into arrays that scoring can vectorise over.

A detector answers per record at one of three levels, and each level decides which metrics
apply to that record: spans (every metric), a set of categories (record-level metrics
only), or a bare sensitive yes/no (the record-level sensitive metric only). Span metrics
are never computed for a record that gave no spans: "not applicable" is not "zero".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .labels import CategorySpace, default_space

LEVEL_FLAG = 0
"""The record got only a sensitive yes/no."""
LEVEL_CATEGORIES = 1
"""The record got a set of categories, no offsets."""
LEVEL_SPANS = 2
"""The record got spans (possibly none)."""


class PredictionError(ValueError):
    """A prediction is malformed; the message names the record index and the problem."""


def _i32(values: Any) -> np.ndarray:
    return np.ascontiguousarray(values, dtype=np.int32)


@dataclass(frozen=True)
class Predictions:
    """Predictions for one batch, in the batch's record order.

    Span arrays are parallel and grouped by record in ascending record order; within a
    record they keep the detector's order, because the SemEval matching is greedy in that
    order (as in nervaluate). Offsets are code points, end exclusive, ``start < end``.

    Attributes
    ----------
    level:
        int8 per record: :data:`LEVEL_SPANS`, :data:`LEVEL_CATEGORIES` or :data:`LEVEL_FLAG`.
    span_record, span_start, span_end, span_category:
        One entry per predicted span (records at level spans only).
    cat_record, cat_category:
        One entry per predicted category of records at level categories.
    flag:
        bool per record, the predicted sensitive yes/no of records at level flag.
    """

    level: np.ndarray
    span_record: np.ndarray
    span_start: np.ndarray
    span_end: np.ndarray
    span_category: np.ndarray
    cat_record: np.ndarray
    cat_category: np.ndarray
    flag: np.ndarray

    @property
    def n_records(self) -> int:
        """Number of records the predictions are for."""
        return len(self.level)

    def validate(self, *, n_categories: int) -> None:
        """Raise :class:`PredictionError` naming the first bad record, if any."""
        n = self.n_records
        if len(self.level) and (self.level.min() < LEVEL_FLAG or self.level.max() > LEVEL_SPANS):
            raise PredictionError("level values must be 0 (flag), 1 (categories) or 2 (spans)")
        for name in ("span_start", "span_end", "span_category"):
            if len(getattr(self, name)) != len(self.span_record):
                raise PredictionError(f"{name} and span_record differ in length")
        if len(self.cat_category) != len(self.cat_record) or len(self.flag) != n:
            raise PredictionError("category or flag arrays have the wrong length")
        for rec_name, want in (("span_record", LEVEL_SPANS), ("cat_record", LEVEL_CATEGORIES)):
            rec = getattr(self, rec_name)
            if len(rec):
                if rec.min() < 0 or rec.max() >= n or np.any(np.diff(rec) < 0):
                    raise PredictionError(f"{rec_name} must be sorted record indices < {n}")
                wrong = np.flatnonzero(self.level[rec] != want)
                if len(wrong):
                    raise PredictionError(f"record {rec[wrong[0]]}: entries do not match its level")
        bad = np.flatnonzero((self.span_start < 0) | (self.span_end <= self.span_start))
        if len(bad):
            i = bad[0]
            raise PredictionError(
                f"record {self.span_record[i]}: span [{self.span_start[i]}, {self.span_end[i]}) "
                "is empty, inverted or negative"
            )
        for cats in (self.span_category, self.cat_category):
            if len(cats) and (cats.min() < 0 or cats.max() >= n_categories):
                raise PredictionError("category id out of range")

    @classmethod
    def from_spans(
        cls,
        *,
        n_records: int,
        record: Sequence[int] | np.ndarray,
        start: Sequence[int] | np.ndarray,
        end: Sequence[int] | np.ndarray,
        category: Sequence[int] | np.ndarray,
    ) -> Predictions:
        """Span predictions for every record, from flat arrays (a vectorised detector's path).

        ``record`` must be sorted ascending; the order within a record is kept.
        """
        empty = np.zeros(0, dtype=np.int32)
        return cls(
            level=np.full(n_records, LEVEL_SPANS, dtype=np.int8),
            span_record=_i32(record),
            span_start=_i32(start),
            span_end=_i32(end),
            span_category=np.ascontiguousarray(category, dtype=np.int16),
            cat_record=empty,
            cat_category=empty.astype(np.int16),
            flag=np.zeros(n_records, dtype=bool),
        )


def _span_fields(span: Any) -> tuple[Any, Any, Any]:
    if isinstance(span, tuple | list):
        return span[0], span[1], span[2]
    if isinstance(span, Mapping):
        return span["start"], span["end"], span["label"]
    return span.start, span.end, span.label


def predictions_from_lists(
    items: Iterable[Any], *, space: CategorySpace | None = None
) -> Predictions:
    """Convert per-record Python answers into :class:`Predictions`.

    Each item is one of: a list (or tuple) of spans, each a ``(start, end, label[, score])``
    tuple, a mapping with those keys, or an object with those attributes; a ``set`` or
    ``frozenset`` of categories; a ``bool``. Labels are taxonomy category strings (already
    mapped) or integer ids. Scores are ignored.

    >>> p = predictions_from_lists([[(0, 3, "serology")], {"addiction"}, True, []])
    >>> p.level.tolist(), p.span_record.tolist(), p.cat_record.tolist(), p.flag.tolist()
    ([2, 1, 0, 2], [0], [1], [False, False, True, False])
    """
    space = space or default_space()
    lookup = {name: i for i, name in enumerate(space.categories)}
    levels: list[int] = []
    flags: list[bool] = []
    s_rec: list[int] = []
    s_start: list[int] = []
    s_end: list[int] = []
    s_cat: list[int] = []
    c_rec: list[int] = []
    c_cat: list[int] = []

    def cat_id(label: Any, index: int) -> int:
        if isinstance(label, int | np.integer) and not isinstance(label, bool):
            return int(label)
        try:
            return lookup[label]
        except KeyError:
            raise PredictionError(
                f"record {index}: label {label!r} is not a taxonomy category"
            ) from None

    for index, item in enumerate(items):
        if isinstance(item, bool | np.bool_):
            levels.append(LEVEL_FLAG)
            flags.append(bool(item))
        elif isinstance(item, set | frozenset):
            levels.append(LEVEL_CATEGORIES)
            flags.append(False)
            ids = sorted({cat_id(label, index) for label in item})
            c_rec.extend([index] * len(ids))
            c_cat.extend(ids)
        elif isinstance(item, list | tuple):
            levels.append(LEVEL_SPANS)
            flags.append(False)
            for span in item:
                try:
                    start, end, label = _span_fields(span)
                except (KeyError, AttributeError, IndexError, TypeError):
                    raise PredictionError(f"record {index}: malformed span {span!r}") from None
                s_rec.append(index)
                s_start.append(int(start))
                s_end.append(int(end))
                s_cat.append(cat_id(label, index))
        else:
            raise PredictionError(f"record {index}: unsupported prediction {type(item).__name__}")
    preds = Predictions(
        level=np.asarray(levels, dtype=np.int8),
        span_record=_i32(s_rec),
        span_start=_i32(s_start),
        span_end=_i32(s_end),
        span_category=np.asarray(s_cat, dtype=np.int16),
        cat_record=_i32(c_rec),
        cat_category=np.asarray(c_cat, dtype=np.int16),
        flag=np.asarray(flags, dtype=bool),
    )
    preds.validate(n_categories=space.size)
    return preds
