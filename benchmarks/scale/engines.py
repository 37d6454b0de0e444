"""Where the detector's calls run: in this process, or in N worker processes.

An engine loads the detector (once per copy), answers :class:`Task` s (one detector call
each) and yields the :class:`TaskResult` s *in task order*, whichever copy answered first,
so the harness scores and writes exactly what one process would. A fault stops nothing by
itself: the result carries it, and the harness stops consuming at the first one in order.

- :class:`InlineEngine`: the detector in this process (or the child process an isolated
  detector or a command already is): ``--workers 1``.
- :class:`ProcessEngine`: N worker processes, each loading its own copy (a Python detector
  in the worker, an isolated one or a command in a child of the worker), at most
  :data:`IN_FLIGHT` calls queued per copy. A worker that dies (a detector calling
  ``os._exit`` or segfaulting in process) is a fault naming the first record of the call
  it was answering.

Answers cross process boundaries as plain tuples (:func:`encode_answers`), never pickled
dataclasses.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

from breachbench.benchmarks.adapters import DetectorChoice, PythonDetector, open_choice
from breachbench.benchmarks.adapters.memory import InProcessMemory
from breachbench.benchmarks.protocol import (
    Answer,
    Detector,
    DetectorFault,
    DetectorLoadError,
    PredictedSpan,
)

__all__ = [
    "IN_FLIGHT",
    "EngineReport",
    "InlineEngine",
    "ProcessEngine",
    "Task",
    "TaskResult",
    "decode_answers",
    "encode_answers",
    "max_workers",
]

IN_FLIGHT = 2
"""Calls queued per copy: one answering, one waiting, so a copy never idles on the pipe."""
STOP_SECONDS = 10.0
"""How long a worker may take to close its detector before it is killed."""


@dataclass
class Task:
    """One detector call: ``ids`` and ``texts`` of chunk ``chunk`` (``last``: its last call).

    A chunk without any comment still gets one task with no text, so the harness sees every
    chunk come back in order; engines answer it without calling the detector.
    """

    seq: int
    chunk: Any
    ids: list[str]
    texts: list[str]
    last: bool
    rows: int = 0
    """Rows of the chunk this task accounts for, for the progress bar."""


@dataclass
class TaskResult:
    """The answers to a task (those before the failing call's, with a fault: none)."""

    task: Task
    answers: list[Answer]
    seconds: float | None
    """The detector's own time for the call (None for an empty task)."""
    copy: int = 0
    """Which copy answered (0..N-1), so each copy's first call counts as its warm-up."""
    fault: DetectorFault | None = None


@dataclass
class EngineReport:
    """What the copies said when they were closed."""

    peak_memory_bytes: list[int | None] = field(default_factory=list)
    close_fault: DetectorFault | None = None


def max_workers() -> int:
    """The most workers worth starting: 2 per CPU, as ``generate`` caps them."""
    return 2 * (os.cpu_count() or 1)


def encode_answers(answers: list[Answer]) -> list[tuple[Any, ...]]:
    """Answers as plain tuples, cheap to pickle and independent of the dataclass layout."""
    out: list[tuple[Any, ...]] = []
    for a in answers:
        if a.spans is not None and a.categories is not None:
            out.append(("u",))
        elif a.spans is not None:
            out.append(("s", [tuple(s) for s in a.spans]))
        elif a.categories is not None:
            out.append(("c", sorted(a.categories)))
        else:
            out.append(("b", bool(a.sensitive)))
    return out


def decode_answers(encoded: list[tuple[Any, ...]]) -> list[Answer]:
    """Inverse of :func:`encode_answers`."""
    out: list[Answer] = []
    for item in encoded:
        kind = item[0]
        if kind == "u":
            out.append(Answer(spans=[], categories=frozenset()))
        elif kind == "s":
            out.append(Answer(spans=[PredictedSpan(*s) for s in item[1]], categories=None))
        elif kind == "c":
            out.append(Answer(spans=None, categories=frozenset(item[1])))
        else:
            out.append(Answer(spans=None, categories=None, sensitive=bool(item[1])))
    return out


class InlineEngine:
    """The detector in this process: the reference every other engine must equal."""

    copies = 1

    def __init__(self, opener: Any) -> None:
        self._opener = opener
        self._detector: Detector | None = None
        self._memory = InProcessMemory()
        self._in_process = False
        self.load_seconds = 0.0
        self.name = ""
        self.version: str | None = None

    def start(self) -> None:
        """Load the detector (its load time and memory measured apart)."""
        tick = time.perf_counter()
        self._memory.before_load()
        detector = self._opener()
        self._memory.after_load()
        self.load_seconds = time.perf_counter() - tick
        self._detector = detector
        self._in_process = isinstance(detector, PythonDetector)
        self.name, self.version = detector.name, detector.version

    def run(self, tasks: Iterable[Task]) -> Iterator[TaskResult]:
        """Answer each task in turn; a fault ends the stream with a result carrying it."""
        detector = self._detector
        assert detector is not None
        for task in tasks:
            if not task.texts:
                yield TaskResult(task, [], None)
                continue
            if self._in_process:
                self._memory.before_call()
            tick = time.perf_counter()
            try:
                answers = detector(task.ids, task.texts)
            except DetectorFault as fault:
                yield TaskResult(task, [], None, fault=fault)
                return
            seconds = time.perf_counter() - tick
            if self._in_process:
                self._memory.after_call()
            # An isolated detector reports its own time: the pipe is not the detector's.
            own = getattr(detector, "last_call_seconds", None)
            yield TaskResult(task, answers, seconds if own is None else own)

    def finish(self) -> EngineReport:
        """Close the detector; a ``close()`` that raises is a fault at close()."""
        detector = self._detector
        if detector is None:
            return EngineReport()
        peak = self._memory.peak_bytes() if self._in_process else detector.peak_memory_bytes()
        report = EngineReport(peak_memory_bytes=[peak])
        try:
            detector.close()
        except Exception as error:
            report.close_fault = close_fault(f"{type(error).__name__}: {error}")
        return report

    def terminate(self) -> None:
        """Stop a child detector at once (Ctrl-C, SIGTERM)."""
        terminate = getattr(self._detector, "terminate", None)
        if callable(terminate):
            terminate()


def close_fault(error: str) -> DetectorFault:
    """The fault of a detector whose ``close()`` raised once every answer was in."""
    return DetectorFault(
        None,
        f"the detector's close() raised {error} (every answer before it was scored)",
        where="close()",
    )


def _context() -> Any:
    """A plain fork when this process runs no other Python thread (fast: the worker starts
    with the harness already imported), else a fork server, else spawn."""
    methods = multiprocessing.get_all_start_methods()
    if sys.platform == "linux" and "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _read_tasks(
    tasks: Connection, inbox: queue.SimpleQueue[Any], holder: list[Detector | None]
) -> None:
    """Drain the task pipe as fast as it fills, so the harness never blocks sending while
    this worker blocks sending an answer (a deadlock with two full pipes).

    At EOF the harness is gone (``kill -9``): the main thread is told, and if it is stuck in
    a call (a hung detector) the copy's child is killed and the worker exits anyway, so no
    orphan outlives the harness by more than :data:`ORPHAN_SECONDS`.
    """
    try:
        while True:
            message = tasks.recv()
            inbox.put(message)
            if message is None:
                return
    except (EOFError, OSError):
        inbox.put(_ORPHANED)
    time.sleep(ORPHAN_SECONDS)
    terminate = getattr(holder[0], "terminate", None)
    if callable(terminate):
        with contextlib.suppress(Exception):
            terminate()
    os._exit(1)


ORPHAN_SECONDS = 1.0


_ORPHANED = "orphaned"


def _worker_main(
    tasks: Connection,
    results: Connection,
    choice: DetectorChoice,
    timeout: float,
    isolate: bool,
    others: list[Connection],
) -> None:
    """A worker: load one copy, answer calls until told to stop (None) or orphaned (EOF).

    Ctrl-C reaches the whole process group; the harness alone decides, and stops its
    workers with SIGTERM, on which the copy's own child (if any) is killed too. ``others``
    are the harness's ends of the pipes (its own and its siblings'), inherited by a fork:
    closed at once, or a worker would never see the harness go.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _interrupt)
    for conn in others:
        with contextlib.suppress(OSError):
            conn.close()
    detector: Detector | None = None
    try:
        memory = InProcessMemory()
        tick = time.perf_counter()
        memory.before_load()
        try:
            detector = open_choice(choice, timeout=timeout, isolate=isolate)
        except (DetectorLoadError, ValueError) as error:
            results.send(("load_error", str(error)))
            return
        memory.after_load()
        in_process = isinstance(detector, PythonDetector)
        results.send(("hello", detector.name, detector.version, time.perf_counter() - tick))
        inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        holder: list[Detector | None] = [detector]
        threading.Thread(target=_read_tasks, args=(tasks, inbox, holder), daemon=True).start()
        while True:
            message = inbox.get()
            if message is None:
                break
            if message == _ORPHANED:  # the harness is gone (kill -9): stop, killing our child
                raise KeyboardInterrupt
            seq, ids, texts = message
            if in_process:
                memory.before_call()
            tick = time.perf_counter()
            try:
                answers = detector(ids, texts)
            except DetectorFault as fault:
                results.send(("fault", seq, fault.record_id, fault.reason))
                continue
            seconds = time.perf_counter() - tick
            if in_process:
                memory.after_call()
            own = getattr(detector, "last_call_seconds", None)
            encoded = encode_answers(answers)
            results.send(("answers", seq, encoded, seconds if own is None else own))
        peak = memory.peak_bytes() if in_process else detector.peak_memory_bytes()
        error: str | None = None
        try:
            detector.close()
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
        detector = None
        results.send(("closed", peak, error))
    except (KeyboardInterrupt, OSError):
        terminate = getattr(detector, "terminate", None)
        if callable(terminate):
            terminate()
    finally:
        # From here the worker only exits: a late SIGTERM from the harness ends it quietly
        # instead of raising KeyboardInterrupt in multiprocessing's bootstrap.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        for conn in (tasks, results):
            with contextlib.suppress(OSError):
                conn.close()


@dataclass
class _Worker:
    process: Any
    conn: Connection
    """Answers from the worker."""
    tasks: Connection
    """Calls to the worker."""
    queued: deque[Task] = field(default_factory=deque)
    alive: bool = True
    closed: tuple[int | None, str | None] | None = None


class ProcessEngine:
    """N worker processes, each with its own copy of the detector (see the module doc)."""

    def __init__(
        self, choice: DetectorChoice, *, workers: int, timeout: float, isolate: bool
    ) -> None:
        self.choice = choice
        self.copies = workers
        self.timeout = timeout
        self.isolate = isolate
        self.load_seconds = 0.0
        self.name = ""
        self.version: str | None = None
        self._workers: list[_Worker] = []

    def start(self) -> None:
        """Start the workers; they load their copies side by side. A copy that cannot load
        stops them all with its one-line :class:`DetectorLoadError`."""
        context = _context()
        tick = time.perf_counter()
        try:
            for _ in range(self.copies):
                others = [c for w in self._workers for c in (w.conn, w.tasks)]
                task_out, task_in = context.Pipe(duplex=False)
                answer_out, answer_in = context.Pipe(duplex=False)
                process = context.Process(
                    target=_worker_main,
                    args=(
                        task_out,
                        answer_in,
                        self.choice,
                        self.timeout,
                        self.isolate,
                        [*others, task_in, answer_out],
                    ),
                    name="breachbench-detector",
                )
                process.start()
                task_out.close()
                answer_in.close()
                self._workers.append(_Worker(process, answer_out, task_in))
            for k, worker in enumerate(self._workers):
                try:
                    hello = worker.conn.recv()
                except (EOFError, OSError):
                    worker.process.join(1.0)
                    raise DetectorLoadError(
                        f"detector {self.choice.label!r}: worker {k + 1} died while loading"
                        f" it (exit code {worker.process.exitcode})"
                    ) from None
                if hello[0] == "load_error":
                    raise DetectorLoadError(hello[1])
                if k == 0:
                    self.name, self.version = hello[1], hello[2]
        except BaseException:
            self.terminate()
            raise
        self.load_seconds = time.perf_counter() - tick

    def _receive(self, worker: _Worker, copy: int, done: dict[int, TaskResult]) -> None:
        """Read what ``worker`` says, or learn it died (a fault on each call it held)."""
        try:
            message = worker.conn.recv()
        except (EOFError, OSError):
            worker.alive = False
            worker.process.join(1.0)
            code = worker.process.exitcode
            for task in worker.queued:
                done[task.seq] = TaskResult(
                    task,
                    [],
                    None,
                    copy,
                    DetectorFault(
                        task.ids[0],
                        f"the worker process running the detector died (exit code {code})"
                        f" while answering the batch of {len(task.ids)} records starting here",
                    ),
                )
            worker.queued.clear()
            return
        kind = message[0]
        if kind == "closed":
            worker.closed = (message[1], message[2])
            return
        task = worker.queued.popleft()
        assert task.seq == message[1]
        if kind == "answers":
            done[task.seq] = TaskResult(task, decode_answers(message[2]), message[3], copy)
        else:
            done[task.seq] = TaskResult(task, [], None, copy, DetectorFault(message[2], message[3]))

    def run(self, tasks: Iterable[Task]) -> Iterator[TaskResult]:
        """Send tasks to the least busy copies; yield the results in task order."""
        source = iter(tasks)
        exhausted = False
        order: deque[Task] = deque()
        done: dict[int, TaskResult] = {}
        capacity = IN_FLIGHT * self.copies
        while True:
            while not exhausted and len(order) < 2 * capacity:
                live = [w for w in self._workers if w.alive]
                if not live or min(len(w.queued) for w in live) >= IN_FLIGHT:
                    break
                task = next(source, None)
                if task is None:
                    exhausted = True
                    break
                order.append(task)
                if not task.texts:
                    done[task.seq] = TaskResult(task, [], None)
                    continue
                worker = min(live, key=lambda w: len(w.queued))
                worker.queued.append(task)
                # If it died, the receive below reports it on this task.
                with contextlib.suppress(OSError):
                    worker.tasks.send((task.seq, task.ids, task.texts))
            while order and order[0].seq in done:
                yield done.pop(order.popleft().seq)
            if not order:
                if exhausted:
                    return
                continue
            waiting = {w.conn: (k, w) for k, w in enumerate(self._workers) if w.queued}
            if not waiting:
                continue
            for conn in wait(list(waiting)):
                k, worker = waiting[conn]  # type: ignore[index]
                self._receive(worker, k, done)

    def finish(self) -> EngineReport:
        """Tell every copy to close; collect peaks and the first ``close()`` error."""
        report = EngineReport()
        deadline = time.monotonic() + STOP_SECONDS + self.timeout
        for worker in self._workers:
            if worker.alive:
                with contextlib.suppress(OSError):
                    worker.tasks.send(None)
        for k, worker in enumerate(self._workers):
            while worker.alive and worker.closed is None:
                left = deadline - time.monotonic()
                if left <= 0 or not worker.conn.poll(left):
                    break
                self._receive(worker, k, {})
            if worker.closed is not None:
                worker.process.join(1.0)  # it is exiting: let it, rather than signal it
                report.peak_memory_bytes.append(worker.closed[0])
                if worker.closed[1] is not None and report.close_fault is None:
                    report.close_fault = close_fault(worker.closed[1])
        self.terminate()
        return report

    def terminate(self) -> None:
        """Stop every worker (SIGTERM: each kills its copy's child), then reap them."""
        for worker in self._workers:
            if worker.process.is_alive():
                with contextlib.suppress(OSError):
                    worker.process.terminate()
        for worker in self._workers:
            worker.process.join(STOP_SECONDS)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            for conn in (worker.conn, worker.tasks):
                with contextlib.suppress(OSError):
                    conn.close()
            worker.alive = False
