"""results.md and leaderboard.md: the report as GitHub-flavoured Markdown tables."""

from __future__ import annotations

import re
from typing import Any

from breachbench.benchmarks.compare import LEADERBOARD_COLUMNS, Comparison, LeaderboardRow

from .fmt import HEADLINE_LABELS, ci, megabytes, rate, signed
from .tables import Table, all_tables, summary_lines

_HTML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_MARKDOWN = re.compile(r"([\\`*~|])|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])|\](?=[(\[:])")


def escape_markdown(text: object) -> str:
    """``text`` as literal Markdown on one line: what a detector, a label or a file name holds
    (HTML, emphasis, links, table pipes, newlines) is shown, never interpreted.

    Intraword underscores (``sexual_health``) and the brackets of an interval stay as
    they are: neither is markup there.
    """
    flat = " ".join(str(text).split())
    escaped = _MARKDOWN.sub(lambda m: "\\" + m.group(0), flat)
    return escaped.translate(_HTML)


_cell = escape_markdown


def table_markdown(table: Table) -> str:
    """One table: heading, header row, rows, and its note as a paragraph."""
    lines = [f"## {table.title}", "", "| " + " | ".join(map(_cell, table.headers)) + " |"]
    lines.append("|" + "|".join(["---"] + ["--:"] * (len(table.headers) - 1)) + "|")
    lines += ["| " + " | ".join(map(_cell, row)) + " |" for row in table.rows]
    if table.note:
        lines += ["", table.note]
    return "\n".join(lines)


def render_markdown(results: dict[str, Any]) -> str:
    """The whole run report."""
    parts = [f"# breachbench: {_cell(results['detector']['name'])}", ""]
    if results["status"]["partial"]:
        parts += [
            f"> **Partial results.** The run stopped: {_cell(results['status']['fault'])}."
            " Figures cover the records scored before the fault.",
            "",
        ]
    parts += [f"- **{label}:** {_cell(value)}" for label, value in summary_lines(results)]
    for table in all_tables(results):
        parts += ["", table_markdown(table)]
    return "\n".join(parts) + "\n"


def leaderboard_rows(rows: list[LeaderboardRow]) -> Table:
    """The leaderboard as a table: one row per run, best first."""
    headers = (
        "Detector",
        *(HEADLINE_LABELS[c] for c in LEADERBOARD_COLUMNS),
        "Comments/s",
        "Memory",
    )
    scopes = []
    body = []
    for row in rows:
        name = row.name + (" (partial)" if row.partial else "")
        cells = tuple(ci(row.headline.get(c)) for c in LEADERBOARD_COLUMNS)
        scope = getattr(row, "memory_scope", None)
        memory = megabytes(row.peak_memory_bytes)
        if scope and row.peak_memory_bytes is not None:
            mark = MEMORY_MARKS.get(scope, "")
            memory += mark
            scopes.append(scope)
        body.append((name, *cells, rate(row.comments_per_second), memory))
    note = "Best first by sensitive-record F1. [95% CI]. " + memory_note(set(scopes))
    return Table("Leaderboard", headers, body, note.strip())


def comparison_rows(items: list[Comparison]) -> Table:
    """Paired differences, one row per pair and metric."""
    body = []
    for item in items:
        for metric, d in item.differences.items():
            interval = (
                f"[{signed(d['ci_low'])}, {signed(d['ci_high'])}]"
                if d["ci_low"] is not None
                else "–"
            )
            p = p_value(d["p_value"])
            body.append(
                (f"{item.a} − {item.b}", HEADLINE_LABELS[metric], signed(d["diff"]), interval, p)
            )
    note = (
        "Paired bootstrap on the same records: replicate b of both runs resamples the same"
        " records. p is the two-sided share of replicates where the sign flips."
    )
    return Table("Paired differences", ("Pair", "Metric", "Difference", "95% CI", "p"), body, note)


def p_value(value: float | None) -> str:
    """A p-value as the terminal prints it: a bound below 0.001, never ``0.000``."""
    if value is None:
        return "–"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


MEMORY_MARKS: dict[str, str] = {
    "detector process (isolated)": " (own process)",
    "detector process tree": " (own process)",
    "in process: added above the harness's baseline": " (added)",
}
"""What a memory cell measures, marked beside it (the scopes are those of results.json)."""


def memory_note(scopes: set[str]) -> str:
    """The sentence that says what the memory column's marks mean."""
    parts = []
    if any(MEMORY_MARKS.get(s) == " (own process)" for s in scopes):
        parts.append("(own process): peak of the detector's own process, isolated or command")
    if any(MEMORY_MARKS.get(s) == " (added)" for s in scopes):
        parts.append("(added): what an in-process detector added above the harness's memory")
    return ("Memory: " + "; ".join(parts) + ".") if parts else ""


def render_leaderboard_markdown(rows: list[LeaderboardRow], items: list[Comparison]) -> str:
    """leaderboard.md: the leaderboard and the paired tests."""
    parts = ["# breachbench leaderboard", "", table_markdown(leaderboard_rows(rows))]
    if items:
        parts += ["", table_markdown(comparison_rows(items))]
    return "\n".join(parts) + "\n"


__all__ = [
    "escape_markdown",
    "p_value",
    "render_leaderboard_markdown",
    "render_markdown",
    "table_markdown",
]
