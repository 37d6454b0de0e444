"""``breachbench blind score``: how often one reader told the sources apart, and how surely.

Accuracy is counted on the answered notes, with a 95% Wilson interval (honest for the
few dozen answers a reader gives) and the exact one-sided binomial p-value against
guessing (50%). Issue 9's bar is a reader who is right no more than 60% of the time: the
interval says whether this reading lies below, above or across it. With 80 answers a
reader at chance has an interval about 11 points either side of 50%, so it still
reaches 60%: showing a reader below the bar takes about 100 answers or more (several
readers' forms, or ``--notes 50``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from breachbench.benchmarks.exercise.create import wilson_interval

from .answers import AnswerError, Answers, read_answers
from .make import KEY_KIND, KEY_NAME, SOURCES, BlindError
from .sheet import same_sheet, sheet_id

__all__ = ["BAR", "load_key", "p_value", "score_answers", "score_kit"]

BAR = 0.60
"""Issue 9's bar: a reader tells generated from hand-written notes no better than this."""


def p_value(correct: int, answered: int) -> float | None:
    """P(at least ``correct`` right of ``answered`` when guessing at 50%), exact."""
    if answered == 0:
        return None
    tail = sum(math.comb(answered, k) for k in range(correct, answered + 1))
    return tail / 2**answered


def _block(correct: int, answered: int) -> dict[str, Any]:
    """A proportion with its interval, in the ``value``/``ci_low``/``ci_high`` shape of the
    harness's reports (``reports.fmt.ci`` prints it); None values when nothing was answered."""
    if answered == 0:
        return {"value": None, "ci_low": None, "ci_high": None, "correct": 0, "answered": 0}
    low, high = wilson_interval(correct, answered)
    return {
        "value": correct / answered,
        "ci_low": low,
        "ci_high": high,
        "correct": correct,
        "answered": answered,
    }


def _verdict(block: dict[str, Any]) -> str:
    if block["value"] is None:
        return "unanswered"
    if block["ci_high"] < BAR:
        return "below"
    if block["ci_low"] > BAR:
        return "above"
    return "across"


def load_key(kit: Path) -> dict[str, Any]:
    """The organiser's ``key.json`` of a kit directory; :class:`BlindError` if unusable."""
    path = kit / KEY_NAME
    try:
        key = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise BlindError(f"{path}: cannot read: {error.strerror or error}") from None
    except ValueError as error:
        raise BlindError(f"{path}: not JSON ({error})") from None
    if not isinstance(key, dict) or key.get("kind") != KEY_KIND:
        raise BlindError(f"{path} is not the key of a blind test (made by 'blind make')")
    if not str(key.get("sheet_digest", "")).startswith("sha256:"):
        raise BlindError(f"{path} has no sheet digest")
    items = key.get("items")
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise BlindError(f"{path}: no list of items")
    numbers = [item.get("number") for item in items]
    if numbers != list(range(1, len(numbers) + 1)) or not numbers:
        raise BlindError(f"{path}: its items are not numbered 1 to N")
    if any(item.get("source") not in SOURCES for item in items):
        raise BlindError(f"{path}: an item's source is neither {' nor '.join(SOURCES)}")
    return key


def score_answers(key: dict[str, Any], answers: Answers) -> dict[str, Any]:
    """Every figure of one reader's form against the key (see the module docstring)."""
    expected = sheet_id(key["sheet_digest"])
    if not same_sheet(answers.sheet_id, key["sheet_digest"]):
        raise BlindError(
            f"the answers are for sheet {answers.sheet_id}, the key for sheet {expected}:"
            " score them with the kit they were given"
        )
    tally: dict[str, list[int]] = {}  # group -> [correct, answered]
    for item in key["items"]:
        answer = answers.by_number.get(item["number"])
        if answer is None or answer.guess is None:
            continue
        right = int(answer.guess == item["source"])
        groups = ["all", item["source"], f"guessed_{answer.guess}"]
        groups.append({True: "sure", False: "unsure", None: "confidence_unstated"}[answer.sure])
        for group in groups:
            counts = tally.setdefault(group, [0, 0])
            counts[0] += right
            counts[1] += 1
    total = len(key["items"])
    overall = _block(*tally.get("all", (0, 0)))
    return {
        "sheet_id": expected,
        "notes": total,
        "answered": overall["answered"],
        "unanswered": total - overall["answered"],
        "accuracy": overall,
        "p_value": p_value(overall["correct"], overall["answered"]),
        "bar": BAR,
        "verdict": _verdict(overall),
        "sure": _block(*tally.get("sure", (0, 0))),
        "unsure": _block(*tally.get("unsure", (0, 0))),
        "confidence_unstated": _block(*tally.get("confidence_unstated", (0, 0))),
        "on_generated": _block(*tally.get("generated", (0, 0))),
        "on_handwritten": _block(*tally.get("handwritten", (0, 0))),
        "guessed_generated": _block(*tally.get("guessed_generated", (0, 0))),
        "guessed_handwritten": _block(*tally.get("guessed_handwritten", (0, 0))),
    }


def score_kit(kit: Path, answers: Path) -> dict[str, Any]:
    """Read a kit's key and a filled form and score it; :class:`BlindError` on any problem."""
    key = load_key(kit)
    try:
        parsed = read_answers(answers, len(key["items"]))
    except AnswerError as error:
        raise BlindError(str(error)) from None
    return score_answers(key, parsed)
