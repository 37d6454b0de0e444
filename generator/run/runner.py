"""Who makes which rows: block-aligned spans, a process pool, results in row order.

Rows depend only on (version, content options, row index) because ``make_block`` does; the
runner only decides how the index range is cut and who computes each piece. Spans are
aligned on ``BLOCK_ROWS`` (``make_block``'s fast path), computed by long-lived worker
processes (a fresh process spends about half a second importing numpy, pyarrow and the
generator, and a tenth loading the corpora: never one process per span), and consumed
strictly in order. At most ``in_flight`` spans are queued or held at a time,
so memory stays flat whatever the row count.

Three shapes of work:
- :func:`generate_encoded` yields the rows of a single output file, encoded and counted by
  the workers (encoding costs as much CPU as generating); the caller (the parent process)
  only appends their bytes to the file.
- :func:`generate_tables` yields them as Arrow tables, for the parent to encode: the way
  left for Parquet row groups too large, or not aligned enough, to be cut between tasks.
- :func:`write_parts` has each worker write whole part files of a directory output and
  yields what it wrote.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import multiprocessing
import os
import signal
import sys
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pyarrow as pa
from breachbench.generator import block
from breachbench.generator.options import GenerateOptions
from breachbench.generator.output.counts import DatasetStats
from breachbench.generator.output.manifest import FileEntry
from breachbench.generator.output.target import SUFFIXES
from breachbench.generator.output.writers import EncodedRows, encode_rows, open_sink
from breachbench.generator.run import memory

BLOCK_ROWS = block.BLOCK_ROWS
#: Rows per task of a single-file run: big enough to amortise the hand-off between
#: processes, small enough that ``in_flight`` of them stay in the tens of MB.
TASK_ROWS = -(-65_536 // BLOCK_ROWS) * BLOCK_ROWS
#: Largest task of a single-file run whose rows the workers encode: a Parquet task must hold
#: whole row groups and whole blocks, so its size is a multiple of both.
MAX_ENCODED_TASK_ROWS = 4 * BLOCK_ROWS
#: Smallest Parquet row group that workers encode: the writing process reads each piece's
#: footer in Python, about half a millisecond per row group, so smaller groups are left to
#: pyarrow's writer in that process.
MIN_ENCODED_ROW_GROUP_ROWS = 8_192
#: Rows per part file of a directory output (the last part may be shorter).
DEFAULT_PART_ROWS = -(-1_048_576 // BLOCK_ROWS) * BLOCK_ROWS
#: Below this many rows (two tasks) a run stays in-process: starting workers (spawn,
#: imports, corpora) costs about as much as it saves.
POOL_MIN_ROWS = 2 * TASK_ROWS

T = TypeVar("T")
R = TypeVar("R")


def align_up(value: int, multiple: int = BLOCK_ROWS) -> int:
    """Smallest multiple of ``multiple`` that is >= ``value`` (and >= ``multiple``)."""
    return max(multiple, -(-value // multiple) * multiple)


def iter_spans(start: int, stop: int, span_rows: int) -> Iterator[tuple[int, int]]:
    """Cut [start, stop) into spans of ``span_rows`` (rounded up to whole blocks), lazily.

    Lazily because ``--rows`` may be astronomically large: a list of every span of
    10**13 rows is 150 million tuples, gigabytes before the first row is written.
    ``start`` must be block-aligned (checked now, not at the first ``next``); every span
    but the last then starts and ends on a block boundary.
    """
    if start % BLOCK_ROWS:
        raise ValueError(f"start {start} is not a multiple of {BLOCK_ROWS}")
    step = align_up(span_rows)
    return ((lo, min(lo + step, stop)) for lo in range(start, stop, step))


def plan_spans(start: int, stop: int, span_rows: int) -> list[tuple[int, int]]:
    """:func:`iter_spans` as a list, for small ranges (a part file's tasks, tests)."""
    return list(iter_spans(start, stop, span_rows))


def task_rows_for(rows: int, workers: int) -> int:
    """Task size: ``TASK_ROWS``, or less so that a small run still feeds every worker."""
    return min(TASK_ROWS, align_up(-(-rows // max(1, workers))))


def effective_workers(options: GenerateOptions) -> int:
    """``options.workers``, or 1 for a run too small to repay starting a pool."""
    return options.workers if options.rows >= POOL_MIN_ROWS else 1


def _start_worker() -> None:
    """Worker initializer: Ctrl-C and a hang-up (sent to the whole terminal's process group)
    are the parent's to handle (it cancels and cleans up); the corpora load here, once per
    worker, not once per task. SIGTERM keeps its default: the pool itself stops broken
    workers with it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    block.warm_up()


def _context() -> multiprocessing.context.BaseContext:
    """How workers start, the fastest way that is safe here.

    - A plain fork, on Linux, when this process runs no other Python thread: the workers
      are copies of a process that has already imported the generator and loaded the
      corpora (see :func:`ordered_map`), ready in milliseconds. The native threads of
      numpy's BLAS and of pyarrow's allocator are idle pools that re-arm themselves after
      a fork (``pthread_atfork``).
    - Otherwise, a fork server that has done both (:mod:`generator.run.worker_boot`): a thread
      of the caller could hold a lock at the instant of a plain fork, and the copy would
      wait on it forever. It costs the server's start, about a second.
    - Where neither exists, spawn: slower, same rows.
    """
    methods = multiprocessing.get_all_start_methods()
    if sys.platform == "linux" and "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" not in methods:
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["breachbench.generator.run.worker_boot"])
    return context


def ordered_map(
    fn: Callable[[T], R], items: Iterable[T], *, workers: int, in_flight: int | None = None
) -> Iterator[R]:
    """``map(fn, items)`` on ``workers`` processes, in order, with bounded look-ahead.

    With one worker (or one item) it runs in this process: no start-up cost. ``fn`` must be
    a module-level function: workers may come from a fork server (see :func:`_context`).
    ``items`` is consumed lazily, at most ``in_flight`` ahead of what was yielded, so an
    endless plan costs no memory; only the first ``workers`` are looked at up front, to
    start no more processes than there are items.
    """
    source = iter(items)
    head = list(itertools.islice(source, max(1, workers)))
    if workers <= 1 or len(head) <= 1:
        yield from map(fn, itertools.chain(head, source))
        return
    workers = min(workers, len(head))
    limit = in_flight or 2 * workers
    pending: deque[Future[R]] = deque()
    source = itertools.chain(head, source)
    pool: ProcessPoolExecutor | None = None
    try:
        # Start every worker before real work: a worker whose pool is torn down while the
        # server is still forking it dies with a traceback, so Ctrl-C waits until all are up
        # (and is raised when this block ends, with the pool ready to be shut down).
        with _sigint_deferred():
            context = _context()
            if context.get_start_method() == "fork":
                block.warm_up()  # once here, rather than in every worker
            pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker)
            with warnings.catch_warnings():
                # Python 3.12+ warns on any fork of a process with native threads; see
                # _context for why these ones are safe (Python threads are excluded).
                warnings.filterwarnings("ignore", "This process .* is multi-threaded")
                _start_all(pool, workers)
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
    finally:
        # On an abort, tasks already running finish (at most one per worker): a worker killed
        # while it sends a result leaves a torn message that would hang the pool.
        for future in pending:
            future.cancel()
        if pool is not None:
            memory.note_workers(list(getattr(pool, "_processes", None) or {}))
            pool.shutdown(wait=True, cancel_futures=True)


@contextlib.contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Hold Ctrl-C until the block ends, then raise it as the handler in place would.

    Blocking the signal is not enough: any thread (pyarrow's among them) may receive it,
    and Python still interrupts the main thread. So the handler itself is swapped for one
    that only takes note. Outside the main thread, where handlers cannot be set, no-op.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        if callable(previous):
            previous(signal.SIGINT, None)
        elif previous == signal.SIG_DFL:
            raise KeyboardInterrupt


def _start_all(pool: ProcessPoolExecutor, workers: int, timeout: float = 120.0) -> None:
    """Return once each of the ``workers`` processes has run a task (so has started).

    One quick worker could run every probe while another is still being forked, so probes
    go out until ``workers`` distinct processes have answered.
    """
    deadline = time.monotonic() + timeout
    seen: set[int] = set()
    while len(seen) < workers:
        probes = [pool.submit(_ready) for _ in range(workers)]
        seen.update(probe.result(timeout=max(0.0, deadline - time.monotonic())) for probe in probes)


def _ready() -> int:
    """A task that proves its worker is up: its process id, after a pause short enough not
    to matter and long enough that one worker cannot answer every probe alone."""
    time.sleep(0.01)
    return os.getpid()


def make_rows(job: tuple[GenerateOptions, int, int]) -> pa.Table:
    """Task of a single-file run: rows [start, stop) as a record table."""
    options, start, stop = job
    return block.make_block(options, start, stop)


def encoded_task_rows(options: GenerateOptions) -> int | None:
    """Rows per task when workers encode a single file's rows, or None when they cannot.

    JSON lines and CSV can be cut anywhere. Parquet row groups never straddle two tasks, so
    a task is a common multiple of the row-group size and ``BLOCK_ROWS``; when the smallest
    one is larger than ``MAX_ENCODED_TASK_ROWS``, or the row groups are smaller than
    ``MIN_ENCODED_ROW_GROUP_ROWS``, the parent encodes instead.
    """
    if options.format != "parquet":
        return TASK_ROWS
    step = math.lcm(options.batch_size, BLOCK_ROWS)
    if step > MAX_ENCODED_TASK_ROWS or options.batch_size < MIN_ENCODED_ROW_GROUP_ROWS:
        return None
    return max(1, TASK_ROWS // step) * step


@dataclass(frozen=True)
class EncodeJob:
    """Rows [start, stop) of a single-file run, to generate, encode and count."""

    options: GenerateOptions
    start: int
    stop: int
    metadata_json: str


def encode_span(job: EncodeJob) -> EncodedRows:
    """Task of a single-file run where workers encode: the bytes go back through the pool's
    result pipe (handing them over through files was measured no faster)."""
    options = job.options
    table = block.make_block(options, job.start, job.stop)
    return encode_rows(
        table, options.format, batch_size=options.batch_size, metadata_json=job.metadata_json
    )


def generate_encoded(options: GenerateOptions, *, metadata_json: str) -> Iterator[EncodedRows]:
    """All ``options.rows`` rows, encoded in ``options.format`` by the workers, in order.

    Only when :func:`encoded_task_rows` gives a size. The bytes do not depend on how the
    rows are cut: JSON lines and CSV rows are concatenated, and Parquet tasks hold whole
    row groups.
    """
    step = encoded_task_rows(options)
    if step is None:
        raise ValueError(f"row groups of {options.batch_size} rows cannot be cut into tasks")
    workers = effective_workers(options)
    size = step if options.format == "parquet" else task_rows_for(options.rows, workers)
    spans = iter_spans(0, options.rows, size)
    jobs = (EncodeJob(options, lo, hi, metadata_json) for lo, hi in spans)
    return ordered_map(encode_span, jobs, workers=workers)


def generate_tables(
    options: GenerateOptions, *, task_rows: int | None = None
) -> Iterator[pa.Table]:
    """All ``options.rows`` rows as consecutive tables, in order, on ``options.workers``."""
    workers = effective_workers(options)
    size = task_rows or task_rows_for(options.rows, workers)
    jobs = ((options, lo, hi) for lo, hi in iter_spans(0, options.rows, size))
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


def part_name(index: int, fmt: str, width: int = 5) -> str:
    """``part-00000.parquet``: zero-padded so that names sort in row order."""
    return f"part-{index:0{width}d}{SUFFIXES[fmt]}"


def part_count(rows: int, part_rows: int) -> int:
    """Parts of a directory output: one per ``part_rows`` (rounded up to whole blocks), and
    at least one, which holds the schema when there is no row."""
    return max(1, -(-rows // align_up(part_rows)))


def part_width(rows: int, part_rows: int) -> int:
    """Digits of the part numbers: 5, or more when a huge run makes more than 100,000
    parts (``part-100000`` would otherwise sort before ``part-99999``)."""
    return max(5, len(str(part_count(rows, part_rows) - 1)))


@dataclass(frozen=True)
class WrittenFile:
    """A data file as written: its manifest entry, and the counts of its rows."""

    entry: FileEntry
    counts: DatasetStats

    @classmethod
    def of(cls, name: str, path: Path, sha256: str, counts: DatasetStats) -> WrittenFile:
        entry = FileEntry(
            name=name,
            rows=counts.rows,
            bytes=path.stat().st_size,
            sha256=sha256,
            sensitive_rows=counts.sensitive_rows,
            comment_rows=counts.comment_rows,
        )
        return cls(entry, counts)


def write_part(job: PartJob) -> WrittenFile:
    """Task of a directory run: generate, write, count and checksum one part file."""
    options = job.options
    path = Path(job.directory) / job.name
    with open_sink(
        options.format, path, batch_size=options.batch_size, metadata_json=job.metadata_json
    ) as sink:
        for lo, hi in iter_spans(job.start, job.stop, TASK_ROWS):
            sink.write(block.make_block(options, lo, hi))
    counts = sink.close()
    return WrittenFile.of(job.name, path, sink.sha256, counts)


def part_jobs(
    options: GenerateOptions,
    directory: Path,
    *,
    part_rows: int,
    metadata_json: str,
    indices: Iterable[int] | None = None,
) -> Iterator[PartJob]:
    """The jobs of the parts ``indices`` (default: all, in order) of a directory output.

    Part ``k`` always holds rows [k * part_rows, (k + 1) * part_rows) and has the same name,
    so file names and contents depend neither on the number of workers nor on which machine
    (``--shard``), engine or resumed run writes it. Zero rows still make one empty part,
    which carries the schema. Lazy: an astronomical run plans its parts as they are written.
    """
    step = align_up(part_rows)
    width = part_width(options.rows, part_rows)
    fmt, folder = options.format, str(directory)
    for index in range(part_count(options.rows, part_rows)) if indices is None else indices:
        lo = index * step
        hi = min(lo + step, options.rows)
        yield PartJob(options, folder, part_name(index, fmt, width), lo, hi, metadata_json)


def write_parts(
    options: GenerateOptions,
    directory: Path,
    *,
    part_rows: int,
    metadata_json: str,
    indices: Iterable[int] | None = None,
) -> Iterator[WrittenFile]:
    """Write the parts ``indices`` (default: all) of a directory output on
    ``options.workers`` local processes; yield them in order (see :func:`part_jobs`)."""
    jobs = part_jobs(
        options, directory, part_rows=part_rows, metadata_json=metadata_json, indices=indices
    )
    return ordered_map(write_part, jobs, workers=effective_workers(options))
