"""Who makes which rows: block-aligned spans, a process pool, results in row order.

Rows depend only on (version, content options, row index) because ``make_block`` does; the
runner only decides how the index range is cut and who computes each piece. Spans are
aligned on ``BLOCK_ROWS`` (``make_block``'s fast path), computed by long-lived worker
processes (loading the corpora costs ~0.5 s per process, so never one process per span),
and consumed strictly in order. At most ``in_flight`` spans are queued or held at a time,
so memory stays flat whatever the row count.

Two shapes of work:
- :func:`generate_tables` yields the tables of a single output file in order; the caller
  (the parent process) writes them.
- :func:`write_parts` has each worker write whole part files of a directory output (Parquet
  encoding and compression then run in parallel too) and yields their manifest entries.
"""

from __future__ import annotations

import multiprocessing
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pyarrow as pa

from generator import memory, records
from generator.manifest import FileEntry, sha256_file
from generator.options import GenerateOptions
from generator.target import SUFFIXES
from generator.writers import open_sink

BLOCK_ROWS = records.BLOCK_ROWS
#: Rows per task of a single-file run: big enough to amortise the hand-off between
#: processes, small enough that ``in_flight`` of them stay in the tens of MB.
TASK_ROWS = -(-65_536 // BLOCK_ROWS) * BLOCK_ROWS
#: Rows per part file of a directory output (the last part may be shorter).
DEFAULT_PART_ROWS = -(-1_048_576 // BLOCK_ROWS) * BLOCK_ROWS
#: Below this many rows a run stays in-process: starting workers (spawn, imports, corpora)
#: costs about as much as it saves.
POOL_MIN_ROWS = 4 * TASK_ROWS

T = TypeVar("T")
R = TypeVar("R")


def align_up(value: int, multiple: int = BLOCK_ROWS) -> int:
    """Smallest multiple of ``multiple`` that is >= ``value`` (and >= ``multiple``)."""
    return max(multiple, -(-value // multiple) * multiple)


def plan_spans(start: int, stop: int, span_rows: int) -> list[tuple[int, int]]:
    """Cut [start, stop) into spans of ``span_rows`` (rounded up to whole blocks).

    ``start`` must be block-aligned; every span but the last then starts and ends on a
    block boundary.
    """
    if start % BLOCK_ROWS:
        raise ValueError(f"start {start} is not a multiple of {BLOCK_ROWS}")
    step = align_up(span_rows)
    return [(lo, min(lo + step, stop)) for lo in range(start, stop, step)]


def task_rows_for(rows: int, workers: int) -> int:
    """Task size: ``TASK_ROWS``, or less so that a small run still feeds every worker."""
    return min(TASK_ROWS, align_up(-(-rows // max(1, workers))))


def effective_workers(options: GenerateOptions) -> int:
    """``options.workers``, or 1 for a run too small to repay starting a pool."""
    return options.workers if options.rows >= POOL_MIN_ROWS else 1


def _start_worker() -> None:
    """Worker initializer: Ctrl-C is the parent's to handle (it cancels and cleans up);
    the corpora load here, once per worker, not once per task."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    records.warm_up()


def _context() -> multiprocessing.context.BaseContext:
    """A fork server that has imported the generator, where the platform has one.

    Workers forked from it skip the imports; unlike a plain fork of the parent, it is safe
    with the parent's threads (the progress bar's). Elsewhere, spawn: slower, same rows.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["generator.records"])
    return context


def ordered_map(
    fn: Callable[[T], R], items: Iterable[T], *, workers: int, in_flight: int | None = None
) -> Iterator[R]:
    """``map(fn, items)`` on ``workers`` processes, in order, with bounded look-ahead.

    With one worker (or one item) it runs in this process: no start-up cost, and test hooks
    such as a monkeypatched ``records.make_block`` apply. ``fn`` must be a module-level
    function (workers come from a fork server, never a fork of this possibly threaded process).
    """
    items = list(items)
    if workers <= 1 or len(items) <= 1:
        yield from map(fn, items)
        return
    workers = min(workers, len(items))
    limit = in_flight or 2 * workers
    pool = ProcessPoolExecutor(workers, mp_context=_context(), initializer=_start_worker)
    pending: deque[Future[R]] = deque()
    source = iter(items)
    clean = False
    # Start every worker before real work: a worker whose pool is torn down while the
    # server is still forking it dies with a traceback, so an abort waits for this too.
    readiness: list[Future[None]] = []
    try:
        for _ in range(workers):
            readiness.append(pool.submit(_ready))
        for ready in readiness:
            ready.result()
        for item in source:
            pending.append(pool.submit(fn, item))
            if len(pending) >= limit:
                break
        while pending:
            result = pending.popleft().result()
            for item in source:
                pending.append(pool.submit(fn, item))
                break
            yield result
        clean = True
    finally:
        if not clean:
            # Let tasks already running finish (at most one per worker): a worker killed
            # while it sends a result leaves a torn message that would hang the pool.
            for future in pending:
                future.cancel()
            _wait_started(readiness)
        memory.note_workers(list(getattr(pool, "_processes", None) or {}))
        pool.shutdown(wait=True, cancel_futures=True)


def _wait_started(readiness: list[Future[None]], timeout: float = 60.0) -> None:
    """Block (through further Ctrl-C) until every worker has answered, or gave up."""
    deadline = time.monotonic() + timeout
    for ready in readiness:
        while True:
            try:
                ready.exception(timeout=max(0.0, deadline - time.monotonic()))
                break
            except KeyboardInterrupt:
                continue
            except Exception:  # timed out or broken pool: nothing more to wait for
                break


def _ready() -> None:
    """A task that only proves its worker is up."""


def make_rows(job: tuple[GenerateOptions, int, int]) -> pa.Table:
    """Task of a single-file run: rows [start, stop) as a record table."""
    options, start, stop = job
    return records.make_block(options, start, stop)


def generate_tables(
    options: GenerateOptions, *, task_rows: int | None = None
) -> Iterator[pa.Table]:
    """All ``options.rows`` rows as consecutive tables, in order, on ``options.workers``."""
    workers = effective_workers(options)
    size = task_rows or task_rows_for(options.rows, workers)
    jobs = [(options, lo, hi) for lo, hi in plan_spans(0, options.rows, size)]
    return ordered_map(make_rows, jobs, workers=workers)


@dataclass(frozen=True)
class PartJob:
    """One part file of a directory output: rows [start, stop) into ``directory/name``."""

    options: GenerateOptions
    directory: str
    name: str
    start: int
    stop: int
    metadata_json: str


def part_name(index: int, fmt: str) -> str:
    """``part-00000.parquet``: zero-padded so that names sort in row order."""
    return f"part-{index:05d}{SUFFIXES[fmt]}"


def write_part(job: PartJob) -> FileEntry:
    """Task of a directory run: generate, write, and checksum one part file."""
    options = job.options
    path = Path(job.directory) / job.name
    with open_sink(
        options.format, path, batch_size=options.batch_size, metadata_json=job.metadata_json
    ) as sink:
        for lo, hi in plan_spans(job.start, job.stop, TASK_ROWS):
            sink.write(records.make_block(options, lo, hi))
    stats = sink.close()
    return FileEntry(
        name=job.name,
        rows=stats.rows,
        bytes=path.stat().st_size,
        sha256=sha256_file(path),
        sensitive_rows=stats.sensitive_rows,
        comment_rows=stats.comment_rows,
    )


def write_parts(
    options: GenerateOptions, directory: Path, *, part_rows: int, metadata_json: str
) -> Iterator[FileEntry]:
    """Write the part files of a directory output on ``options.workers``; yield their entries.

    Part ``k`` always holds rows [k * part_rows, (k + 1) * part_rows), so file names and
    contents do not depend on the number of workers. Zero rows still make one empty part,
    which carries the schema.
    """
    spans = plan_spans(0, options.rows, part_rows) or [(0, 0)]
    jobs = [
        PartJob(options, str(directory), part_name(index, options.format), lo, hi, metadata_json)
        for index, (lo, hi) in enumerate(spans)
    ]
    return ordered_map(write_part, jobs, workers=effective_workers(options))
