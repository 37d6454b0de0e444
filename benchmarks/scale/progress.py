"""One progress bar for every engine: rows done of the selected rows, comments/s, time left.

The harness calls it as answers come back (in order, whichever engine produced them), so
the same bar serves a local run, N workers and a Dask cluster. Comments/s is the detector
throughput the user waits on (rows without a comment cost nothing); time left is rich's
estimate from the recent row rate. Like ``generate``'s bar, it is redrawn by the calls
that advance it, never by a thread of its own (workers may be started by a plain fork).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

__all__ = ["BenchProgress", "bench_progress"]

_REDRAW_SECONDS = 0.1


class CommentsPerSecondColumn(ProgressColumn):
    """Comments answered per second since this session started (a resume's earlier
    comments are not counted as if answered now)."""

    def render(self, task: Task) -> Text:
        comments = task.fields.get("comments", 0) - task.fields.get("initial", 0)
        elapsed = task.elapsed or 0.0
        if elapsed <= 0 or comments <= 0:
            return Text("", style="progress.data.speed")
        return Text(f"{comments / elapsed:,.0f} comments/s", style="progress.data.speed")


class BenchProgress:
    """``advance(rows, comments)`` for the run loop; ``resume`` for work already done."""

    def __init__(self, bar: Progress | None, task: TaskID | None) -> None:
        self._bar = bar
        self._task = task
        self._comments = 0
        self._drawn = time.monotonic()

    def resume(self, rows: int, comments: int) -> None:
        """Rows and comments an interrupted run had done: shown, not timed."""
        if self._bar is None or self._task is None:
            return
        self._comments = comments
        self._bar.reset(self._task, completed=rows, comments=comments, initial=comments)
        self._bar.refresh()

    def __call__(self, rows: int, comments: int) -> None:
        if self._bar is None or self._task is None:
            return
        self._comments += comments
        self._bar.update(self._task, advance=rows, comments=self._comments)
        now = time.monotonic()
        if now - self._drawn >= _REDRAW_SECONDS:
            self._bar.refresh()
            self._drawn = now


@contextmanager
def bench_progress(total: int, *, enabled: bool, label: str) -> Iterator[BenchProgress]:
    """A bar over ``total`` rows on stderr, or a callback that does nothing."""
    if not enabled:
        yield BenchProgress(None, None)
        return
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("rows"),
        CommentsPerSecondColumn(),
        TimeRemainingColumn(),
        TimeElapsedColumn(),
    )
    console = Console(stderr=True)
    with Progress(*columns, console=console, transient=False, auto_refresh=False) as bar:
        task = bar.add_task(label, total=total, comments=0, initial=0)
        yield BenchProgress(bar, task)
        bar.refresh()
