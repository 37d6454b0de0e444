"""Compact rich tables for the terminal: the leaderboard and the paired differences."""

from __future__ import annotations

from breachbench.benchmarks.compare import Comparison, LeaderboardRow
from rich.console import Console
from rich.table import Table

from .fmt import rate

__all__ = ["comparisons_table", "console", "leaderboard_table"]

BOARD: dict[str, str] = {
    "record_sensitive_f1": "rec F1",
    "span_sensitive_f1": "F1 sens",
    "span_identifier_f1": "F1 id",
    "leak_rate_sensitive": "leak s",
    "linked_disclosure": "linked",
}
"""Leaderboard columns that fit 80 terminal columns; results.md and leaderboard.md have all."""
PAIRED: dict[str, str] = {
    "record_sensitive_f1": "rec F1",
    "span_sensitive_f1": "F1 sens",
    "span_identifier_f1": "F1 id",
    "linked_disclosure": "linked",
}
"""Paired differences shown in the terminal (leaderboard.md lists them all)."""

PIPE_WIDTH = 120
"""Width when stdout is not a terminal (CI logs, files): rich would otherwise assume 80."""


def console() -> Console:
    """A console for the tables: the terminal's width, or a wide fixed one when piped."""
    probe = Console()
    return probe if probe.is_terminal else Console(width=PIPE_WIDTH)


def _short(block: dict | None) -> str:
    """Value and interval half-width in percent, compact enough for 80 columns."""
    if not block or block.get("value") is None:
        return "–"
    value = f"{block['value'] * 100:.1f}"
    if block.get("ci_low") is None:
        return value
    return f"{value}±{(block['ci_high'] - block['ci_low']) * 50:.1f}"


def _p(value: float | None) -> str:
    if value is None:
        return ""
    return " p<.001" if value < 0.001 else f" p={value:.3f}".replace("0.", ".")


def leaderboard_table(rows: list[LeaderboardRow]) -> Table:
    """One line per run: F1s (span F1 per group) and leaks in % (±CI half-width), speed, memory."""
    table = Table(
        title="breachbench (%, ±95% CI half-width; F1 sens/id: strict span F1 per group;"
        " linked: linked disclosure)",
        title_justify="left",
        header_style="bold",
    )
    table.add_column("detector", overflow="fold")  # a command line may be long: fold it
    for name in (*BOARD.values(), "c/s", "MB"):
        table.add_column(name, justify="right", no_wrap=True)
    marks: set[str] = set()
    for row in rows:
        h = row.headline
        memory = row.peak_memory_bytes
        mark = _MEMORY_MARKS.get(row.memory_scope or "", "")
        if memory is not None and mark:
            marks.add(mark)
        table.add_row(
            row.name + (" [red](partial)[/red]" if row.partial else ""),
            *(_short(h.get(name)) for name in BOARD),
            rate(row.comments_per_second),
            "–" if memory is None else f"{memory / 1e6:,.0f}{mark}",
        )
    table.caption = leaderboard_legend(marks)
    table.caption_justify = "left"
    return table


_MEMORY_MARKS = {
    "detector process (isolated)": "",
    "detector process tree": "",
    "in process: added above the harness's baseline": "+",
}


def leaderboard_legend(marks: set[str]) -> str:
    """What the leaderboard's abbreviations mean, printed under it."""
    legend = (
        "sens F1: sensitive-record F1 (is the record sensitive?); span F1: strict span F1;"
        " leak sens / leak id: share of records whose sensitive content / identifiers the"
        " detector left exposed (lower is better); MB: the detector's peak memory, its own"
        " process"
    )
    if "+" in marks:
        legend += " (+: in process, what it added above the harness's memory)"
    return legend + "."


def comparisons_table(items: list[Comparison]) -> Table:
    """Paired differences a − b in percentage points, with the paired p-value."""
    table = Table(
        title="paired differences a − b (points, paired bootstrap)",
        title_justify="left",
        header_style="bold",
    )
    table.add_column("a − b", overflow="fold")
    for name in PAIRED.values():
        table.add_column(name, justify="right", no_wrap=True)
    for item in items:
        cells = []
        for metric in PAIRED:
            d = item.differences.get(metric) or {}
            if d.get("diff") is None:
                cells.append("–")
            else:
                cells.append(f"{d['diff'] * 100:+.1f}{_p(d.get('p_value'))}")
        table.add_row(f"{item.a} − {item.b}", *cells)
    return table
