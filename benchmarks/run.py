"""The run loop: dataset chunks -> detector -> answers -> label mapping -> counts.

The detector sees only record ids and comment texts: the gold columns stay in the harness.
Records without a comment are not sent (there is nothing to find and, by the protocol, no
offset can point into an empty text); they are scored as "found nothing" at the detector's
level. The selected rows are cut into chunks of ``read_batch_size`` rows by position
(:mod:`breachbench.benchmarks.scale.chunks`); each chunk's comments are sent in calls of
``batch_size`` texts, the unit of the latency figures and of a command detector's timeout,
then the chunk is scored as one batch, because scoring is vectorised and cheaper on large
batches.

Where the calls run is an engine's business (:mod:`breachbench.benchmarks.scale.engines`):
this process, N worker processes, or Dask workers. Answers come back in call order, and
everything after them (the detector's mode, label mapping, scoring, the per-record files)
happens here, in that order, so every engine gives the same counts and files.

Timing keeps apart what a detector author needs apart: loading the detector, each copy's
first call (warm-up: imports, JIT, caches), the steady-state calls (comments/s, chars/s,
latency percentiles), and the harness's own work (reading, scoring, writing the per-record
files).

A :class:`~benchmarks.protocol.DetectorFault` stops the run: the rows answered before the
failing call are scored, so the counts are exact for what was scored, and the outcome is
marked partial with the fault's one-line message.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
from breachbench.benchmarks.adapters import LabelMapping
from breachbench.benchmarks.adapters.command import MAX_TIMEOUT
from breachbench.benchmarks.dataset import Dataset
from breachbench.benchmarks.outputs import RunFiles
from breachbench.benchmarks.protocol import Answer, Detector, DetectorFault, Mode
from breachbench.benchmarks.scale.checkpoint import Checkpoint, save_seconds
from breachbench.benchmarks.scale.chunks import Chunk, Shard, chunk_count, iter_chunks, shard_chunks
from breachbench.benchmarks.scale.engines import EngineReport, InlineEngine, Task, TaskResult
from breachbench.benchmarks.scoring import (
    Counts,
    Predictions,
    ScoringConfig,
    default_space,
    score_batch,
)
from breachbench.benchmarks.scoring.labels import CategorySpace
from breachbench.benchmarks.scoring.predictions import LEVEL_CATEGORIES, LEVEL_FLAG, LEVEL_SPANS

__all__ = [
    "Engine",
    "ModeKeeper",
    "RunOptions",
    "RunOutcome",
    "Throughput",
    "run_detector",
    "to_predictions",
]

DEFAULT_BATCH_SIZE = 256
DEFAULT_READ_BATCH_SIZE = 16_384
"""Rows per chunk: the unit of scoring, of checkpoints (``--resume``) and of shards."""
DEFAULT_BOOTSTRAP = 1000


@dataclass(frozen=True)
class RunOptions:
    """Knobs of one run; recorded in results.json.

    ``seed`` seeds ``sample``; ``bootstrap_seed`` seeds the bootstrap and must be equal in
    two runs for a paired comparison. ``read_batch_size`` is the chunk size (``--chunk-rows``):
    shards and checkpoints are made of whole chunks, so runs to be merged must share it.
    """

    batch_size: int = DEFAULT_BATCH_SIZE
    read_batch_size: int = DEFAULT_READ_BATCH_SIZE
    timeout: float = 30.0
    limit: int | None = None
    sample: int | None = None
    seed: int = 0
    bootstrap: int = DEFAULT_BOOTSTRAP
    bootstrap_seed: int = 0
    isolate: bool | None = None
    """Run Python detectors in a child process; None: only those that are not built in."""
    severity: tuple[int, ...] | None = None
    """Severity weights per category id (hundredths) for the severity leak's interval."""
    shard: Shard | None = None
    """Only this shard of the chunks (``--shard I/N``)."""

    def __post_init__(self) -> None:
        for name in ("batch_size", "read_batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(
                    f"{name.replace('_', '-')} must be >= 1, got {getattr(self, name)}"
                )
        if not 0 < self.timeout <= MAX_TIMEOUT:  # also refuses nan
            raise ValueError(
                f"timeout must be a number of seconds in (0, {MAX_TIMEOUT:g}], got {self.timeout}"
            )
        for name in ("limit", "sample"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} must be >= 0, got {value}")
        if self.seed < 0:
            raise ValueError(f"seed must be >= 0, got {self.seed}")
        if self.bootstrap < 0:
            raise ValueError(f"bootstrap must be >= 0, got {self.bootstrap}")

    def to_json(self) -> dict[str, Any]:
        """The ``options`` block of results.json."""
        return {
            "batch_size": self.batch_size,
            "read_batch_size": self.read_batch_size,
            "timeout": self.timeout,
            "limit": self.limit,
            "sample": self.sample,
            "seed": self.seed,
            "bootstrap": self.bootstrap,
            "bootstrap_seed": self.bootstrap_seed,
            "isolate": self.isolate,
            "shard": None if self.shard is None else str(self.shard),
        }


def _percentile(values: np.ndarray, q: float) -> float | None:
    return float(np.percentile(values, q)) if len(values) else None


THROUGHPUT_NOTE = (
    "comments_per_second is one detector copy's steady speed: comments over the detector"
    " seconds summed across copies, each copy's first call excluded as warm-up."
    " wall_comments_per_second is what the run achieved: every comment over the wall"
    " seconds from the end of loading to the last answer, all copies together."
)


@dataclass
class Throughput:
    """Timings of one run; :meth:`to_json` turns them into the ``throughput`` block."""

    memory_scope: str = "process"
    load_seconds: float = 0.0
    reading_seconds: float = 0.0
    scoring_seconds: float = 0.0
    writing_seconds: float = 0.0
    wall_seconds: float = 0.0
    detection_wall_seconds: float = 0.0
    """From the end of loading to the last answer, summed over the sessions of a resumed run."""
    scored_records: int = 0
    peak_memory_bytes: int | None = None
    peak_memory_bytes_total: int | None = None
    copies: int = 1
    engine: str = "local"
    sessions: int = 1
    calls: list[tuple[int, int, float, int]] = field(default_factory=list)
    """(comments, chars, seconds, copy) of every detector call, in order; ``copy`` is unique
    per copy and session, so each copy's first call is its warm-up."""

    def add_call(self, comments: int, chars: int, seconds: float, copy: int = 0) -> None:
        """Record one detector call."""
        self.calls.append((comments, chars, seconds, copy))

    def to_json(self) -> dict[str, Any]:
        """Comments/s and chars/s without the warm-ups, latency percentiles, time shares."""
        calls = np.asarray(self.calls, dtype=np.float64).reshape(-1, 4)
        first: dict[float, int] = {}
        for row, copy in enumerate(calls[:, 3].tolist()):
            first.setdefault(copy, row)
        warm = np.zeros(len(calls), dtype=bool)
        if len(calls) > len(first):  # never every call: a one-call run keeps its only call
            warm[list(first.values())] = True
        warmup, steady = calls[warm], calls[~warm]
        seconds = float(steady[:, 2].sum())
        comments, chars = int(steady[:, 0].sum()), int(steady[:, 1].sum())
        latency_ms = steady[:, 2] * 1e3
        detector_seconds = float(calls[:, 2].sum())
        wall = self.wall_seconds
        total = int(calls[:, 0].sum())
        detection = self.detection_wall_seconds
        return {
            "comments": total,
            "chars": int(calls[:, 1].sum()),
            "batches": len(calls),
            "warmup_excluded": bool(warm.any()),
            "warmup_calls": int(warm.sum()),
            "warmup_seconds": float(warmup[:, 2].sum()),
            "comments_per_second": comments / seconds if seconds > 0 else None,
            "chars_per_second": chars / seconds if seconds > 0 else None,
            "wall_comments_per_second": total / detection if detection > 0 else None,
            "steady_comments": comments,
            "steady_chars": chars,
            "steady_seconds": seconds,
            "latency_ms": {
                "p50": _percentile(latency_ms, 50),
                "p95": _percentile(latency_ms, 95),
                "p99": _percentile(latency_ms, 99),
                "max": float(latency_ms.max()) if len(latency_ms) else None,
            },
            "load_seconds": self.load_seconds,
            "detector_seconds": detector_seconds,
            "detection_wall_seconds": detection,
            "reading_seconds": self.reading_seconds,
            "scoring_seconds": self.scoring_seconds,
            "scoring_records_per_second": (
                self.scored_records / self.scoring_seconds if self.scoring_seconds > 0 else None
            ),
            "writing_seconds": self.writing_seconds,
            "wall_seconds": wall,
            "scoring_share": self.scoring_seconds / wall if wall > 0 else None,
            "peak_memory_bytes": self.peak_memory_bytes,
            "peak_memory_bytes_total": self.peak_memory_bytes_total,
            "memory_scope": self.memory_scope,
            "copies": self.copies,
            "engine": self.engine,
            "sessions": self.sessions,
            "note": THROUGHPUT_NOTE,
        }

    def state(self) -> dict[str, Any]:
        """What a checkpoint keeps of the timings (the calls, the summed seconds)."""
        return {
            "calls": self.calls,
            "reading_seconds": self.reading_seconds,
            "scoring_seconds": self.scoring_seconds,
            "writing_seconds": self.writing_seconds,
            "wall_seconds": self.wall_seconds,
            "detection_wall_seconds": self.detection_wall_seconds,
            "load_seconds": self.load_seconds,
            "scored_records": self.scored_records,
            "sessions": self.sessions,
        }

    def restore(self, saved: dict[str, Any]) -> None:
        """Continue the timings of an interrupted run (one more session)."""
        self.calls = [tuple(c) for c in saved["calls"]]  # type: ignore[misc]
        for name in (
            "reading_seconds",
            "scoring_seconds",
            "writing_seconds",
            "wall_seconds",
            "detection_wall_seconds",
            "load_seconds",
        ):
            setattr(self, name, float(saved[name]))
        self.scored_records = int(saved["scored_records"])
        self.sessions = int(saved["sessions"]) + 1


@dataclass(frozen=True)
class RunOutcome:
    """What one detector run produced: counts, timings, and whether it finished."""

    detector_name: str
    detector_version: str | None
    mode: str | None
    counts: Counts
    throughput: Throughput
    records_read: int
    records_scored: int
    error_records: int
    labels: dict[str, dict[str, int]]
    fault: DetectorFault | None = None

    @property
    def partial(self) -> bool:
        """True when a detector fault stopped the run before the end of the dataset (or
        its ``close()`` failed once every answer was in)."""
        return self.fault is not None


class Engine(Protocol):
    """Where the calls run (see :mod:`breachbench.benchmarks.scale.engines`)."""

    name: str
    version: str | None
    load_seconds: float
    copies: int

    def start(self) -> None: ...

    def run(self, tasks: Iterator[Task]) -> Iterator[TaskResult]: ...

    def finish(self) -> EngineReport: ...

    def terminate(self) -> None: ...


def _empty_for(mode: Mode) -> Answer:
    if mode == "spans":
        return Answer(spans=[], categories=None)
    if mode == "categories":
        return Answer(spans=None, categories=frozenset())
    return Answer(spans=None, categories=None, sensitive=False)


def _kind(answer: Answer) -> Mode | None:
    if answer.spans is not None and answer.categories is not None:
        return None
    if answer.spans is not None:
        return "spans"
    return "categories" if answer.categories is not None else "bool"


def _is_empty(answer: Answer) -> bool:
    return not answer.spans and not answer.categories and not answer.sensitive


class ModeKeeper:
    """The detector's mode as one copy answering every call in order would have it.

    A copy fixes its mode at its own first non-empty answer; a copy that started later in
    the data (another worker, a resumed run, a shard) may answer "nothing found" before it
    knows the mode that earlier calls fixed. Replayed in call order here, such undecided
    empty answers take the run's mode, and an answer in another mode is the fault one copy
    would have raised. (The one case this cannot tell apart: an *empty* answer given
    explicitly in another mode, which one copy would fault and this takes as empty.)
    """

    def __init__(self, mode: Mode | None = None) -> None:
        self.mode: Mode | None = mode

    def apply(
        self, ids: Sequence[str], answers: list[Answer]
    ) -> tuple[list[Answer], DetectorFault | None]:
        """The answers as in one copy, up to the first mode fault (returned with them)."""
        out: list[Answer] = []
        for record_id, answer in zip(ids, answers, strict=False):
            kind = _kind(answer)
            if kind is None or (self.mode is not None and kind != self.mode and _is_empty(answer)):
                out.append(answer if self.mode is None else _empty_for(self.mode))
                continue
            if self.mode is None:
                self.mode = kind
            elif kind != self.mode:
                return out, DetectorFault(
                    record_id,
                    f"answered in {kind} mode after {self.mode} mode; a detector must keep one",
                )
            out.append(answer)
        return out, None


def to_predictions(
    n_records: int,
    positions: Sequence[int],
    answers: Sequence[Answer],
    mode: str | None,
    space: CategorySpace,
    index: dict[str, int] | None = None,
) -> Predictions:
    """Scoring arrays for a batch of ``n_records`` rows from the (mapped) answers.

    ``answers[k]`` is the answer for row ``positions[k]``; the other rows (no comment) found
    nothing. Every row is read at the detector's ``mode`` (``None``, nothing found yet,
    reads as spans), and span order within a record is the detector's.
    """
    index = index or {name: i for i, name in enumerate(space.categories)}
    empty = np.zeros(0, dtype=np.int32)
    flag = np.zeros(n_records, dtype=bool)
    rec: list[int] = []
    start: list[int] = []
    end: list[int] = []
    cat: list[int] = []
    if mode == "bool":
        level = LEVEL_FLAG
        for pos, answer in zip(positions, answers, strict=True):
            flag[pos] = bool(answer.sensitive)
    elif mode == "categories":
        level = LEVEL_CATEGORIES
        for pos, answer in zip(positions, answers, strict=True):
            if answer.categories:
                ids = sorted({index[c] for c in answer.categories})
                rec.extend([pos] * len(ids))
                cat.extend(ids)
    else:
        level = LEVEL_SPANS
        for pos, answer in zip(positions, answers, strict=True):
            if answer.spans:
                for span in answer.spans:
                    rec.append(pos)
                    start.append(span.start)
                    end.append(span.end)
                    cat.append(index[span.label])
    levels = np.full(n_records, level, dtype=np.int8)
    categories = np.asarray(cat, dtype=np.int16)
    records = np.asarray(rec, dtype=np.int32)
    spans = level == LEVEL_SPANS
    return Predictions(
        level=levels,
        span_record=records if spans else empty,
        span_start=np.asarray(start, dtype=np.int32),
        span_end=np.asarray(end, dtype=np.int32),
        span_category=categories if spans else empty.astype(np.int16),
        cat_record=empty if spans else records,
        cat_category=empty.astype(np.int16) if spans else categories,
        flag=flag,
    )


_warm = False


def _warm_up_scoring(dataset: Dataset, space: CategorySpace) -> None:
    """Score an empty batch once per process, so that one-time imports (pyarrow.compute
    imports pandas, when installed, on its first call: about 0.2 s) are not billed as
    scoring time."""
    global _warm
    if not _warm:
        empty = dataset.schema.empty_table().to_batches()
        batch = empty[0] if empty else pa.RecordBatch.from_pylist([], schema=dataset.schema)
        score_batch(batch, to_predictions(0, [], [], None, space), space=space)
        _warm = True


def _tasks(chunks: Iterator[Chunk], batch_size: int, timing: Throughput) -> Iterator[Task]:
    """The calls of each chunk, in order; ``rows`` of a task (for progress) run to its last
    comment, the chunk's last task to the chunk's end."""
    seq = 0
    while True:
        tick = time.perf_counter()
        chunk = next(chunks, None)
        timing.reading_seconds += time.perf_counter() - tick
        if chunk is None:
            return
        positions = chunk.positions
        if not positions:
            yield Task(seq, chunk, [], [], True, chunk.batch.num_rows)
            seq += 1
            continue
        through = 0
        for lo in range(0, len(positions), batch_size):
            part = positions[lo : lo + batch_size]
            last = lo + batch_size >= len(positions)
            end = chunk.batch.num_rows if last else part[-1] + 1
            ids = [chunk.ids[i] for i in part]
            yield Task(seq, chunk, ids, [chunk.texts[i] for i in part], last, end - through)
            through = end
            seq += 1


def _fault_json(fault: DetectorFault | None) -> dict[str, Any] | None:
    if fault is None:
        return None
    message = str(fault)
    where = message[len("detector fault at ") : message.rindex(": " + fault.reason)]
    return {"record_id": fault.record_id, "reason": fault.reason, "where": where}


def _fault_from_json(data: dict[str, Any] | None) -> DetectorFault | None:
    if data is None:
        return None
    return DetectorFault(data["record_id"], data["reason"], where=data["where"])


@dataclass
class _Progress:
    """Rows and comments so far, for the bar and the checkpoint."""

    rows: int = 0
    comments: int = 0


def run_detector(
    dataset: Dataset,
    open_detector: Callable[[], Detector] | None = None,
    *,
    options: RunOptions | None = None,
    mapping: LabelMapping | None = None,
    out_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    memory_scope: str = "process",
    engine: Engine | None = None,
    engine_name: str = "local",
    checkpoint: Checkpoint | None = None,
) -> RunOutcome:
    """Run one detector over ``dataset`` (or its shard) and score it; never raises on a
    detector fault.

    ``open_detector`` is called here (by the default in-process engine) so that its load
    time is measured apart; ``engine`` runs the calls elsewhere instead. With ``out_dir``,
    predictions.jsonl and errors.jsonl are streamed there. ``progress`` is called with the
    rows and comments done as answers come in. With ``checkpoint``, the run saves its state
    as it goes and continues from a saved one (``--resume``). Dataset errors
    (:class:`~breachbench.benchmarks.dataset.DatasetError`) and load errors propagate.
    """
    options = options or RunOptions()
    mapping = mapping or LabelMapping()
    space = default_space()
    index = {name: i for i, name in enumerate(space.categories)}
    config = ScoringConfig(
        bootstrap_seed=options.bootstrap_seed,
        bootstrap_replicates=options.bootstrap,
        severity=options.severity,
    )
    counts = Counts.empty(
        space=space,
        bootstrap_seed=options.bootstrap_seed,
        bootstrap_replicates=options.bootstrap,
        severity=options.severity,
    )
    timing = Throughput(memory_scope=memory_scope, engine=engine_name)
    wall_start = time.perf_counter()
    keeper = ModeKeeper()
    done = _Progress()
    read = 0
    error_records = 0
    selected = dataset.selected_rows(limit=options.limit, sample=options.sample)
    wanted = shard_chunks(chunk_count(selected, options.read_batch_size), options.shard)
    next_chunk = wanted.start
    resume_at: tuple[int, int] | None = None
    state = checkpoint.load() if checkpoint is not None else None
    interval = save_seconds() if checkpoint is not None else 0.0
    if state is not None:
        counts = Counts.from_json(state["counts"])
        timing.restore(state["timing"])
        keeper.mode = state["mode"]
        read, done.rows, done.comments = state["read"], state["scored"], state["comments"]
        error_records = state["error_records"]
        next_chunk = state["next_chunk"]
        resume_at = (state["predictions_bytes"], state["errors_bytes"])
        mapping.unmapped.update(state["labels"]["unmapped"])
        mapping.ignored.update(state["labels"]["ignored"])
        if progress is not None:
            getattr(progress, "resume", progress)(done.rows, done.comments)
        if state["done"]:  # finished (or stopped by a fault) before the interruption
            timing.sessions -= 1
            extra = state["throughput"]
            timing.peak_memory_bytes = extra["peak_memory_bytes"]
            timing.peak_memory_bytes_total = extra["peak_memory_bytes_total"]
            timing.copies, timing.engine = extra["copies"], extra["engine"]
            timing.memory_scope = extra["memory_scope"]
            return RunOutcome(
                detector_name=state["detector"][0],
                detector_version=state["detector"][1],
                mode=keeper.mode,
                counts=counts,
                throughput=timing,
                records_read=read,
                records_scored=done.rows,
                error_records=error_records,
                labels=mapping.report(),
                fault=_fault_from_json(state["fault"]),
            )
    if engine is None:
        if open_detector is None:
            raise ValueError("run_detector needs open_detector or engine")
        engine = InlineEngine(open_detector)
    _warm_up_scoring(dataset, space)
    engine.start()
    timing.load_seconds += engine.load_seconds
    timing.copies = engine.copies
    copy_base = (timing.sessions - 1) * 10_000
    prior_wall, prior_detection = timing.wall_seconds, timing.detection_wall_seconds
    session_start = time.perf_counter()
    fault: DetectorFault | None = None
    files = RunFiles(out_dir, resume_at=resume_at) if out_dir is not None else None
    last_save = time.perf_counter()

    def save(finished: bool, report: EngineReport | None = None) -> None:
        assert checkpoint is not None
        nonlocal last_save
        sizes = files.sync() if files is not None else (0, 0)
        peaks = [p for p in (report.peak_memory_bytes if report else []) if p is not None]
        timing_now = timing.state()
        now = time.perf_counter()
        timing_now["wall_seconds"] = prior_wall + now - wall_start
        timing_now["detection_wall_seconds"] = prior_detection + now - session_start
        checkpoint.save(
            {
                "next_chunk": next_chunk,
                "done": finished,
                "fault": _fault_json(fault),
                "predictions_bytes": sizes[0],
                "errors_bytes": sizes[1],
                "counts": counts.to_json(),
                "timing": timing_now,
                "mode": keeper.mode,
                "read": read,
                "scored": done.rows,
                "comments": done.comments,
                "error_records": files.error_records if files is not None else error_records,
                "labels": mapping.report(),
                "detector": [engine.name, engine.version],
                "throughput": {
                    "peak_memory_bytes": max(peaks) if peaks else None,
                    "peak_memory_bytes_total": sum(peaks) if peaks else None,
                    "copies": timing.copies,
                    "engine": timing.engine,
                    "memory_scope": timing.memory_scope,
                },
            }
        )
        last_save = time.perf_counter()

    if files is not None:
        files.error_records = error_records
    chunks = iter_chunks(
        dataset,
        options.read_batch_size,
        range(next_chunk, wanted.stop),
        limit=options.limit,
        sample=options.sample,
        seed=options.seed,
    )
    answers: list[Answer] = []
    try:
        for result in engine.run(_tasks(chunks, options.batch_size, timing)):
            task = result.task
            chunk: Chunk = task.chunk
            if result.seconds is not None:
                chars = sum(map(len, task.texts))
                timing.add_call(len(task.ids), chars, result.seconds, copy_base + result.copy)
            fixed, mode_fault = keeper.apply(task.ids, result.answers)
            answers.extend(fixed)
            fault = mode_fault or result.fault
            if progress is not None and fault is None:
                progress(task.rows, len(task.ids))
            if fault is None and not task.last:
                continue
            batch, positions = chunk.batch, chunk.positions
            read += batch.num_rows
            if fault is not None:  # score only the rows before the failing call
                cut = positions[len(answers)] if len(answers) < len(positions) else batch.num_rows
                batch = batch.slice(0, cut)
                positions = positions[: len(answers)]
            mapped = [mapping.apply(answer) for answer in answers]

            tick = time.perf_counter()
            preds = to_predictions(batch.num_rows, positions, mapped, keeper.mode, space, index)
            counts = counts + score_batch(batch, preds, space=space, config=config)
            timing.scoring_seconds += time.perf_counter() - tick
            done.rows += batch.num_rows
            done.comments += len(positions)
            timing.scored_records = done.rows

            if files is not None:
                tick = time.perf_counter()
                files.write(
                    batch,
                    positions,
                    [chunk.ids[i] for i in positions],
                    [chunk.texts[i] for i in positions],
                    answers,
                    mapped,
                )
                timing.writing_seconds += time.perf_counter() - tick
            answers = []
            if fault is not None:
                break
            next_chunk = chunk.index + 1
            if checkpoint is not None and time.perf_counter() - last_save >= interval:
                save(False)
    except KeyboardInterrupt:  # Ctrl-C, SIGTERM, SIGHUP: a child detector stops at once
        engine.terminate()
        if files is not None:
            files.close()
        raise
    except BaseException:
        try:
            engine.finish()
        finally:
            if files is not None:
                files.close()
        raise
    timing.detection_wall_seconds = prior_detection + time.perf_counter() - session_start
    report = engine.finish()
    peaks = [p for p in report.peak_memory_bytes if p is not None]
    timing.peak_memory_bytes = max(peaks) if peaks else None
    timing.peak_memory_bytes_total = sum(peaks) if peaks else None
    if fault is None and report.close_fault is not None:
        fault = report.close_fault
    if files is not None and fault is not None:
        files.mark_partial(str(fault), fault.record_id)
    if checkpoint is not None:
        next_chunk = wanted.stop if fault is None else next_chunk
        save(True, report)
    timing.wall_seconds = prior_wall + time.perf_counter() - wall_start
    if files is not None:
        error_records = files.error_records
        files.close()
    return RunOutcome(
        detector_name=engine.name,
        detector_version=engine.version,
        mode=keeper.mode,
        counts=counts,
        throughput=timing,
        records_read=read,
        records_scored=done.rows,
        error_records=error_records,
        labels=mapping.report(),
        fault=fault,
    )
