"""A filled ``answers.csv``, read strictly: a bad line stops the scoring with its number.

The form is what ``blind make`` wrote: a ``sheet,<id>`` line, the header
``number,guess,sure``, then one line per note. Whoever types the answers in may use
either language and any case or accent (``Généré``, ``genere``, ``main``, ``hand``,
``oui``, ``no``: the accepted words are data, in ``corpora/blind/strings.yaml``); a
blank guess is an unanswered note, a blank ``sure`` an unstated confidence. A
spreadsheet's ``;``-separated export is read too.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from breachbench.benchmarks.exercise.grade import SubmissionError, read_text_file

from .sheet import FORM_HEADER, strings

__all__ = ["Answer", "AnswerError", "Answers", "fold", "read_answers"]


class AnswerError(ValueError):
    """A filled form that cannot be scored: ``answers.csv line N: what is wrong``."""


@dataclass(frozen=True)
class Answer:
    """One note's answer: ``guess`` a source or None (unanswered), ``sure`` True, False or None."""

    guess: str | None
    sure: bool | None


@dataclass(frozen=True)
class Answers:
    """The sheet id the form names, and the answers by note number."""

    sheet_id: str
    by_number: dict[int, Answer]


def fold(word: str) -> str:
    """Lower case, accents dropped, spaces collapsed: how answers are compared."""
    decomposed = unicodedata.normalize("NFD", word.strip().lower())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


@cache
def _vocabulary() -> tuple[dict[str, str], dict[str, bool]]:
    table = strings()["answers"]
    guess = {fold(w): source for source, items in table["guess"].items() for w in items}
    sure = {fold(w): value == "sure" for value, items in table["sure"].items() for w in items}
    return guess, sure


def _rows(text: str) -> list[list[str]]:
    first = text.split("\n", 1)[0]
    delimiter = ";" if ";" in first and "," not in first else ","
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def read_answers(path: Path, count: int) -> Answers:
    """The answers of a form for a sheet of ``count`` notes; :class:`AnswerError` if malformed."""
    name = path.name
    try:
        text = read_text_file(path)
    except SubmissionError as error:
        raise AnswerError(str(error)) from None
    try:
        rows = _rows(text)
    except csv.Error as error:
        raise AnswerError(f"{name}: not CSV ({error})") from None
    cells = [[c.strip() for c in row] for row in rows]
    if not cells or len(cells[0]) < 2 or fold(cells[0][0]) != "sheet" or not cells[0][1]:
        raise AnswerError(f"{name} line 1: expected 'sheet,<id>', the first line of the form")
    if len(cells) < 2 or [fold(c) for c in cells[1] if c] != list(FORM_HEADER):
        raise AnswerError(f"{name} line 2: expected the header {','.join(FORM_HEADER)!r}")
    guesses, sures = _vocabulary()
    by_number: dict[int, Answer] = {}
    for line, row in enumerate(cells[2:], start=3):
        where = f"{name} line {line}"
        if not any(row):
            continue
        if len(row) > 3 and any(row[3:]):
            raise AnswerError(f"{where}: expected 3 columns (number,guess,sure), got {len(row)}")
        number_text, guess_text, sure_text = (*row, "", "")[:3]
        if not number_text.isdigit() or not 1 <= int(number_text) <= count:
            raise AnswerError(f"{where}: {number_text!r} is not a note number (1 to {count})")
        number = int(number_text)
        if number in by_number:
            raise AnswerError(f"{where}: note {number} is answered twice")
        guess = guesses.get(fold(guess_text)) if guess_text else None
        if guess_text and guess is None:
            raise AnswerError(
                f"{where}: guess {guess_text!r} is neither 'généré' nor 'main'"
                " ('generated' or 'hand')"
            )
        sure = sures.get(fold(sure_text)) if sure_text else None
        if sure_text and sure is None:
            raise AnswerError(f"{where}: sure {sure_text!r} is neither 'oui' nor 'non'")
        by_number[number] = Answer(guess=guess, sure=sure)
    return Answers(sheet_id=cells[0][1], by_number=by_number)
