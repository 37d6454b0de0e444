"""A rows and rows/s progress bar on stderr when it is a terminal, nothing otherwise.

The bar is redrawn by the calls that advance it, never by a thread of its own: a process
with no other thread can start its workers by a plain fork, the fast way (see
``breachbench.generator.run.runner``), terminal or not.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

_REDRAW_SECONDS = 0.1


class Advance(Protocol):
    """Callback the generation loop calls with the number of rows just written."""

    def __call__(self, rows: int) -> None: ...


class RowsPerSecondColumn(ProgressColumn):
    """Rich's own speed columns speak bytes or iterations; ours speaks rows."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f} rows/s", style="progress.data.speed")


def wants_progress(progress: bool | None) -> bool:
    """``None`` means auto: a bar only when stderr is a terminal (silent when piped)."""
    if progress is None:
        return sys.stderr.isatty()
    return progress


@contextmanager
def row_progress(
    total: int, *, enabled: bool, label: str = "generating", completed: int = 0
) -> Iterator[Advance]:
    """Yield an ``advance(rows)`` callback, backed by a rich bar or by nothing.

    One bar for every engine: the local pool and Dask both call ``advance`` as rows land.
    ``completed`` rows (kept from an interrupted run) start the bar without counting in
    its speed, so the time left is that of the rows still to make.
    """
    if not enabled:
        yield lambda rows: None
        return
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RowsPerSecondColumn(),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
    )
    console = Console(stderr=True)
    with Progress(*columns, console=console, transient=False, auto_refresh=False) as bar:
        task = bar.add_task(label, total=total, completed=completed)
        drawn = time.monotonic()

        def advance(rows: int) -> None:
            nonlocal drawn
            bar.advance(task, rows)
            now = time.monotonic()
            if now - drawn >= _REDRAW_SECONDS:
                bar.refresh()
                drawn = now

        yield advance
