"""results.md and leaderboard.md: the report as GitHub-flavoured Markdown tables."""

from __future__ import annotations

from typing import Any

from breachbench.benchmarks.compare import LEADERBOARD_COLUMNS, Comparison, LeaderboardRow

from .fmt import HEADLINE_LABELS, ci, megabytes, rate, signed
from .tables import Table, all_tables, summary_lines


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


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
    parts = [f"# breachbench: {results['detector']['name']}", ""]
    if results["status"]["partial"]:
        parts += [
            f"> **Partial results.** The run stopped: {results['status']['fault']}."
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
    body = []
    for row in rows:
        name = row.name + (" (partial)" if row.partial else "")
        cells = tuple(ci(row.headline.get(c)) for c in LEADERBOARD_COLUMNS)
        body.append((name, *cells, rate(row.comments_per_second), megabytes(row.peak_memory_bytes)))
    return Table("Leaderboard", headers, body, "Best first by sensitive-record F1. [95% CI]")


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
            p = "–" if d["p_value"] is None else f"{d['p_value']:.3f}"
            body.append(
                (f"{item.a} − {item.b}", HEADLINE_LABELS[metric], signed(d["diff"]), interval, p)
            )
    note = (
        "Paired bootstrap on the same records: replicate b of both runs resamples the same"
        " records. p is the two-sided share of replicates where the sign flips."
    )
    return Table("Paired differences", ("Pair", "Metric", "Difference", "95% CI", "p"), body, note)


def render_leaderboard_markdown(rows: list[LeaderboardRow], items: list[Comparison]) -> str:
    """leaderboard.md: the leaderboard and the paired tests."""
    parts = ["# breachbench leaderboard", "", table_markdown(leaderboard_rows(rows))]
    if items:
        parts += ["", table_markdown(comparison_rows(items))]
    return "\n".join(parts) + "\n"


__all__ = ["render_leaderboard_markdown", "render_markdown", "table_markdown"]
