"""A blind test's score as table rows (terminal, HTML) and a small self-contained page.

The page draws each accuracy as a point with its 95% interval against two lines, chance
(50%) and issue 9's bar (60%), as inline SVG: no script, nothing fetched.
"""

from __future__ import annotations

from html import escape
from typing import Any

from breachbench.benchmarks.exercise.grade import html_page, html_table
from breachbench.benchmarks.reports.fmt import ci, pct

__all__ = ["ROWS", "VERDICTS", "score_html", "score_rows", "verdict_line"]

ROWS: tuple[tuple[str, str], ...] = (
    ("accuracy", "Accuracy on answered notes"),
    ("sure", "... when sure"),
    ("unsure", "... when not sure"),
    ("confidence_unstated", "... confidence not stated"),
    ("on_generated", "Hits on generated notes"),
    ("on_handwritten", "Hits on hand-written notes"),
    ("guessed_generated", "Right when saying 'generated'"),
    ("guessed_handwritten", "Right when saying 'hand-written'"),
)
"""Figures of the table, in order: key of the score, label."""

VERDICTS = {
    "below": "below 60%: this reader could not tell the notes apart (issue 9's bar is met)",
    "above": "above 60%: this reader told the notes apart (issue 9's bar is not met)",
    "across": "across 60%: too few answers to say on which side of the bar this reader is",
    "unanswered": "no note answered",
}


def _p(value: float | None) -> str:
    if value is None:
        return "–"
    return "< 0.0001" if value < 1e-4 else f"{value:.4f}"


def score_rows(score: dict[str, Any]) -> list[list[str]]:
    """Figure, right/answered, value [95% interval]: one row per figure, then the test."""
    rows = []
    for key, label in ROWS:
        block = score[key]
        if block["answered"] or key in ("accuracy", "sure", "unsure"):
            rows.append([label, f"{block['correct']}/{block['answered']}", ci(block)])
    rows.append(["p-value against guessing (one-sided, exact)", "", _p(score["p_value"])])
    bar = pct(score["bar"], 0)
    rows.append([f"Against the {bar} bar (95% interval)", "", f"{score['verdict']} {bar}"])
    return rows


def verdict_line(score: dict[str, Any]) -> str:
    """One sentence: the accuracy and what it says against the bar."""
    acc = score["accuracy"]
    return (
        f"{ci(acc)} right on {acc['answered']} answered notes of {score['notes']}"
        f" ({score['unanswered']} unanswered): {VERDICTS[score['verdict']]}."
    )


def _forest(score: dict[str, Any]) -> str:
    """Each answered figure as a point and its interval, with lines at 50% and the bar."""
    shown = [(label, score[key]) for key, label in ROWS if score[key]["answered"]]
    left, width, row, top = 230, 420, 26, 20
    height = top + row * len(shown) + 24

    def x(value: float) -> float:
        return left + value * width

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {left + width + 20} {height}"'
        f' style="max-width:{left + width + 20}px" width="100%" role="img"'
        ' aria-label="accuracy with 95% intervals">'
    ]
    for value, name, dash, anchor, shift in (
        (0.5, "chance", "4 3", "end", -4),
        (score["bar"], f"bar {pct(score['bar'], 0)}", "", "start", 4),
    ):
        parts.append(
            f'<line x1="{x(value):.1f}" y1="{top - 6}" x2="{x(value):.1f}" y2="{height - 22}"'
            f' stroke="#b8423a" stroke-dasharray="{dash}"/>'
            f'<text x="{x(value) + shift:.1f}" y="12" font-size="11" text-anchor="{anchor}"'
            f' fill="#b8423a">{name}</text>'
        )
    for i, (label, block) in enumerate(shown):
        y = top + 8 + i * row
        parts.append(
            f'<text x="{left - 8}" y="{y + 4}" font-size="12" text-anchor="end">'
            f"{escape(label)}</text>"
            f'<line x1="{x(block["ci_low"]):.1f}" y1="{y}" x2="{x(block["ci_high"]):.1f}"'
            f' y2="{y}" stroke="#1d2733" stroke-width="2"/>'
            f'<circle cx="{x(block["value"]):.1f}" cy="{y}" r="4" fill="#1d6fb8"/>'
        )
    parts.append(
        f'<line x1="{left}" y1="{height - 22}" x2="{left + width}" y2="{height - 22}"'
        ' stroke="#999"/>'
        + "".join(
            f'<text x="{x(v / 100):.1f}" y="{height - 8}" font-size="10" text-anchor="middle"'
            f' fill="#5b6773">{v}%</text>'
            for v in (0, 25, 50, 75, 100)
        )
    )
    return "".join(parts) + "</svg>"


def score_html(score: dict[str, Any], *, answers: str, kit: str) -> str:
    """The score of one form as a page: the verdict, the chart and the table."""
    lead = (
        f"<p>{escape(verdict_line(score))}</p>"
        f'<p class="note">Form {escape(answers)}, kit {escape(kit)}, sheet'
        f" {escape(score['sheet_id'])}. Intervals: 95% Wilson; p-value: exact binomial,"
        " one-sided, against guessing (50%).</p>"
    )
    table = html_table(("Figure", "Right / answered", "Value [95% interval]"), score_rows(score))
    return html_page("Blind test: generated or hand-written?", lead + _forest(score) + table)
