"""The detector protocol: what a detector may answer, and the one form the harness scores.

Detectors come from anywhere (a Python callable, a subprocess, a built-in), and each answers
in whatever shape is natural to its author: span tuples, dicts or objects, a set of
categories, or a bool. Everything past this module sees only :class:`Answer`, so the
scorer never has to guess, and every malformed answer is stopped here with a
:class:`DetectorFault` that names the record it was about.

An answer is one of three *modes*, fixed per detector by its first non-empty answer (or
declared up front by the detector's ``mode`` attribute):

``"spans"``
    a list of ``(start, end, label)`` spans, offsets in Python ``str`` indices,
    half-open, with an optional ``score``; scored at span and record level.
``"categories"``
    a set (or list of str) of categories for the whole record; record level only.
``"bool"``
    ``True`` when the record is sensitive; record level, sensitive yes/no only.

An empty list is valid in every mode ("found nothing"); while no mode is known yet it is
normalised to an :class:`Answer` with both ``spans=[]`` and ``categories=frozenset()``, so
that it scores the same whichever mode the detector turns out to use.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, Protocol, runtime_checkable

Mode = Literal["spans", "categories", "bool"]
MODES: tuple[Mode, ...] = ("spans", "categories", "bool")

__all__ = [
    "MODES",
    "Answer",
    "AnswerNormaliser",
    "Detector",
    "DetectorFault",
    "DetectorLoadError",
    "Mode",
    "PredictedSpan",
    "one_line",
]


class PredictedSpan(NamedTuple):
    """A span a detector predicted; ``label`` is still the detector's own label."""

    start: int
    end: int
    label: str
    score: float | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """One detector answer for one record, normalised.

    ``spans`` is set in span mode, ``categories`` in categories mode, ``sensitive`` in bool
    mode. An empty answer given before the mode was known has both ``spans=[]`` and
    ``categories=frozenset()``.
    """

    spans: list[PredictedSpan] | None
    categories: frozenset[str] | None
    sensitive: bool | None = None


EMPTY_UNDECIDED = Answer(spans=[], categories=frozenset())


def one_line(text: str, limit: int = 300) -> str:
    """Squash ``text`` onto one line of at most ``limit`` characters, for error messages."""
    flat = " | ".join(part.strip() for part in str(text).splitlines() if part.strip())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class DetectorFault(Exception):
    """A detector misbehaved on a given record: the run stops, its partial results are kept.

    ``str(fault)`` is one line naming the record id and what was wrong, ready for the
    terminal.
    """

    def __init__(self, record_id: str | None, reason: str, *, where: str | None = None) -> None:
        self.record_id = record_id
        self.reason = one_line(reason)
        if where is None:
            where = f"record {record_id!r}" if record_id is not None else "start-up"
        super().__init__(f"detector fault at {where}: {self.reason}")


class DetectorLoadError(Exception):
    """A detector could not be found or started (missing module, attribute, program)."""


@runtime_checkable
class Detector(Protocol):
    """What every adapter offers the harness, whatever the detector behind it."""

    name: str
    version: str | None

    @property
    def mode(self) -> Mode | None: ...

    def __call__(self, ids: list[str], texts: list[str]) -> list[Answer]: ...

    def close(self) -> None: ...

    def peak_memory_bytes(self) -> int | None: ...

    def __enter__(self) -> Detector: ...

    def __exit__(self, *exc: object) -> None: ...


def _as_int(value: Any, what: str, record_id: str) -> int:
    """Offsets must be integers: floats and bools are bugs, not positions."""
    if type(value) is int:
        return value
    if isinstance(value, bool):
        raise DetectorFault(record_id, f"{what} is a bool ({value}), expected an integer")
    try:
        return operator.index(value)  # numpy integers and the like
    except TypeError:
        raise DetectorFault(
            record_id, f"{what} is {type(value).__name__} {value!r}, expected an integer"
        ) from None


def _span_fields(span: Any, record_id: str) -> tuple[Any, Any, Any, Any]:
    """Read start, end, label and score from a tuple, a dict or an object."""
    if isinstance(span, (tuple, list)):
        if len(span) == 3:
            return span[0], span[1], span[2], None
        if len(span) == 4:
            return span[0], span[1], span[2], span[3]
        raise DetectorFault(
            record_id, f"span {span!r} has {len(span)} fields, expected (start, end, label)"
        )
    if isinstance(span, dict):
        try:
            label = span["label"] if "label" in span else span["category"]
            return span["start"], span["end"], label, span.get("score")
        except KeyError as missing:
            raise DetectorFault(
                record_id, f"span {span!r} lacks key {missing}; expected start, end, label"
            ) from None
    try:
        return span.start, span.end, span.label, getattr(span, "score", None)
    except AttributeError as missing:
        raise DetectorFault(
            record_id,
            f"span {type(span).__name__} {span!r} has no attribute {missing.name!r};"
            " expected start, end, label",
        ) from None


def _parse_span(span: Any, text_length: int, record_id: str) -> PredictedSpan:
    """Validate one span against its text."""
    raw_start, raw_end, label, score = _span_fields(span, record_id)
    start = _as_int(raw_start, "span start", record_id)
    end = _as_int(raw_end, "span end", record_id)
    if start >= end:
        raise DetectorFault(record_id, f"span [{start}, {end}) is empty or inverted")
    if start < 0 or end > text_length:
        raise DetectorFault(
            record_id, f"span [{start}, {end}) out of range for a text of {text_length} chars"
        )
    if not isinstance(label, str) or not label:
        raise DetectorFault(record_id, f"span [{start}, {end}) label {label!r} is not a string")
    if score is not None:
        if isinstance(score, bool):
            raise DetectorFault(record_id, f"span [{start}, {end}) score {score!r} is not a number")
        try:
            score = float(score)  # ints, numpy floats
        except (TypeError, ValueError, OverflowError):
            raise DetectorFault(
                record_id, f"span [{start}, {end}) score {score!r:.40} is not a number"
            ) from None
    return PredictedSpan(start, end, label, score)


def _is_bool(value: Any) -> bool:
    """A Python or numpy bool (numpy is not imported for that)."""
    kind = type(value)
    return kind is bool or (kind.__module__ == "numpy" and kind.__name__ in ("bool_", "bool"))


def _kind(raw: Any, record_id: str) -> Mode | None:
    """Which mode a raw answer is in; None for an empty list, which fits every mode."""
    if _is_bool(raw):
        return "bool"
    if isinstance(raw, (set, frozenset)):
        return "categories"
    if isinstance(raw, dict):
        if "categories" in raw:
            return "categories"
        if "sensitive" in raw:
            return "bool"
        raise DetectorFault(record_id, "answer dict has none of 'spans', 'categories', 'sensitive'")
    if isinstance(raw, (list, tuple)):
        if not raw:
            return None
        if all(isinstance(item, str) for item in raw):
            return "categories"
        return "spans"
    raise DetectorFault(
        record_id,
        f"answer is {type(raw).__name__} {raw!r:.60}; expected a list of spans,"
        " a set of categories or a bool",
    )


class AnswerNormaliser:
    """Turns raw answers into :class:`Answer`, keeping a detector's mode consistent.

    One normaliser per detector: it remembers the mode fixed by the first non-empty answer
    (or declared) and faults any later answer in another mode.
    """

    def __init__(self, mode: Mode | None = None) -> None:
        if mode is not None and mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self._mode: Mode | None = mode

    @property
    def mode(self) -> Mode | None:
        """The detector's mode, or None while every answer so far was empty."""
        return self._mode

    def one(self, record_id: str, text: str, raw: Any) -> Answer:
        """Normalise and validate the answer ``raw`` given for ``text``."""
        if isinstance(raw, dict) and "spans" in raw:  # explicit span mode, even when empty
            raw = raw["spans"]
            if not isinstance(raw, (list, tuple)):
                raise DetectorFault(record_id, f"'spans' is {type(raw).__name__}, expected a list")
            kind: Mode | None = "spans"
        else:
            kind = _kind(raw, record_id)
        if kind is None:
            if self._mode is None:
                return EMPTY_UNDECIDED
            if self._mode == "bool":
                return Answer(spans=None, categories=None, sensitive=False)
            kind = self._mode
        elif self._mode is None:
            self._mode = kind
        elif kind != self._mode:
            raise DetectorFault(
                record_id,
                f"answered in {kind} mode after {self._mode} mode; a detector must keep one",
            )
        if kind == "spans":
            length = len(text)
            return Answer(spans=[_parse_span(s, length, record_id) for s in raw], categories=None)
        if kind == "categories":
            cats = raw["categories"] if isinstance(raw, dict) else raw
            if not isinstance(cats, (list, tuple, set, frozenset)) or not all(
                isinstance(c, str) for c in cats
            ):
                raise DetectorFault(record_id, f"categories {cats!r:.80} are not a list of strings")
            return Answer(spans=None, categories=frozenset(cats))
        flag = raw["sensitive"] if isinstance(raw, dict) else raw
        if not _is_bool(flag):
            raise DetectorFault(record_id, f"'sensitive' is {flag!r}, expected a bool")
        return Answer(spans=None, categories=None, sensitive=bool(flag))

    def batch(self, ids: Sequence[str], texts: Sequence[str], raw: Any) -> list[Answer]:
        """Normalise a whole batch, first checking there is exactly one answer per text."""
        if isinstance(raw, (str, bytes, dict)) or not hasattr(raw, "__iter__"):
            first = ids[0] if ids else None
            raise DetectorFault(
                first, f"batch answer is {type(raw).__name__}, expected a list with one per text"
            )
        answers = list(raw)
        if len(answers) != len(texts):
            if len(answers) < len(ids):
                culprit: str | None = ids[len(answers)]
            else:
                culprit = ids[-1] if ids else None
            raise DetectorFault(
                culprit, f"got {len(answers)} answers for a batch of {len(texts)} texts"
            )
        return [self.one(i, t, a) for i, t, a in zip(ids, texts, answers, strict=True)]
