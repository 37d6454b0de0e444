"""The run loop: dataset batches -> detector -> answers -> label mapping -> counts.

The detector sees only record ids and comment texts: the gold columns stay in the harness.
Records without a comment are not sent (there is nothing to find and, by the protocol, no
offset can point into an empty text); they are scored as "found nothing" at the detector's
level. Each dataset batch (``read_batch_size`` rows) is sent in calls of ``batch_size``
texts, the unit of the latency figures and of a command detector's timeout, then scored as
one batch, because scoring is vectorised and cheaper on large batches.

Timing keeps apart what a detector author needs apart: loading the detector, its first call
(warm-up: imports, JIT, caches), the steady-state calls (comments/s, chars/s, latency
percentiles), and the harness's own work (reading, scoring, writing the per-record files).

A :class:`~benchmarks.protocol.DetectorFault` stops the run: the rows answered before the
failing call are scored, so the counts are exact for what was scored, and the outcome is
marked partial with the fault's one-line message.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from breachbench.benchmarks.adapters import LabelMapping, PythonDetector
from breachbench.benchmarks.adapters.command import MAX_TIMEOUT
from breachbench.benchmarks.adapters.memory import InProcessMemory
from breachbench.benchmarks.dataset import Dataset
from breachbench.benchmarks.outputs import RunFiles
from breachbench.benchmarks.protocol import Answer, Detector, DetectorFault
from breachbench.benchmarks.scoring import (
    Counts,
    Predictions,
    ScoringConfig,
    default_space,
    score_batch,
)
from breachbench.benchmarks.scoring.labels import CategorySpace
from breachbench.benchmarks.scoring.predictions import LEVEL_CATEGORIES, LEVEL_FLAG, LEVEL_SPANS

__all__ = ["RunOptions", "RunOutcome", "Throughput", "run_detector", "to_predictions"]

DEFAULT_BATCH_SIZE = 256
DEFAULT_READ_BATCH_SIZE = 65_536
DEFAULT_BOOTSTRAP = 1000


@dataclass(frozen=True)
class RunOptions:
    """Knobs of one run; recorded in results.json.

    ``seed`` seeds ``sample``; ``bootstrap_seed`` seeds the bootstrap and must be equal in
    two runs for a paired comparison.
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
        }


def _percentile(values: np.ndarray, q: float) -> float | None:
    return float(np.percentile(values, q)) if len(values) else None


@dataclass
class Throughput:
    """Timings of one run; :meth:`to_json` turns them into the ``throughput`` block."""

    memory_scope: str = "process"
    load_seconds: float = 0.0
    reading_seconds: float = 0.0
    scoring_seconds: float = 0.0
    writing_seconds: float = 0.0
    wall_seconds: float = 0.0
    scored_records: int = 0
    peak_memory_bytes: int | None = None
    calls: list[tuple[int, int, float]] = field(default_factory=list)
    """(comments, chars, seconds) of every detector call, in order."""

    def add_call(self, comments: int, chars: int, seconds: float) -> None:
        """Record one detector call."""
        self.calls.append((comments, chars, seconds))

    def to_json(self) -> dict[str, Any]:
        """Comments/s and chars/s without the warm-up call, latency percentiles, time shares."""
        calls = np.asarray(self.calls, dtype=np.float64).reshape(-1, 3)
        warmup = calls[:1] if len(calls) > 1 else calls[:0]
        steady = calls[1:] if len(calls) > 1 else calls
        seconds = float(steady[:, 2].sum())
        comments, chars = int(steady[:, 0].sum()), int(steady[:, 1].sum())
        latency_ms = steady[:, 2] * 1e3
        detector_seconds = float(calls[:, 2].sum())
        wall = self.wall_seconds
        return {
            "comments": int(calls[:, 0].sum()),
            "chars": int(calls[:, 1].sum()),
            "batches": len(calls),
            "warmup_excluded": len(warmup) == 1,
            "warmup_seconds": float(warmup[:, 2].sum()),
            "comments_per_second": comments / seconds if seconds > 0 else None,
            "chars_per_second": chars / seconds if seconds > 0 else None,
            "latency_ms": {
                "p50": _percentile(latency_ms, 50),
                "p95": _percentile(latency_ms, 95),
                "p99": _percentile(latency_ms, 99),
                "max": float(latency_ms.max()) if len(latency_ms) else None,
            },
            "load_seconds": self.load_seconds,
            "detector_seconds": detector_seconds,
            "reading_seconds": self.reading_seconds,
            "scoring_seconds": self.scoring_seconds,
            "scoring_records_per_second": (
                self.scored_records / self.scoring_seconds if self.scoring_seconds > 0 else None
            ),
            "writing_seconds": self.writing_seconds,
            "wall_seconds": wall,
            "scoring_share": self.scoring_seconds / wall if wall > 0 else None,
            "peak_memory_bytes": self.peak_memory_bytes,
            "memory_scope": self.memory_scope,
        }


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


def run_detector(
    dataset: Dataset,
    open_detector: Callable[[], Detector],
    *,
    options: RunOptions | None = None,
    mapping: LabelMapping | None = None,
    out_dir: Path | None = None,
    progress: Callable[[int], None] | None = None,
    memory_scope: str = "process",
) -> RunOutcome:
    """Run one detector over ``dataset`` and score it; never raises on a detector fault.

    ``open_detector`` is called here so that its load time is measured apart. With
    ``out_dir``, predictions.jsonl and errors.jsonl are streamed there. ``progress`` is
    called with the number of rows scored after each batch. Dataset errors
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
    timing = Throughput(memory_scope=memory_scope)
    wall_start = time.perf_counter()
    _warm_up_scoring(dataset, space)
    memory = InProcessMemory()
    memory.before_load()
    detector = open_detector()
    in_process = isinstance(detector, PythonDetector)
    memory.after_load()
    timing.load_seconds = time.perf_counter() - wall_start
    fault: DetectorFault | None = None
    read = scored = 0
    files = RunFiles(out_dir) if out_dir is not None else None
    try:
        batches = dataset.batches(
            options.read_batch_size, limit=options.limit, sample=options.sample, seed=options.seed
        )
        while fault is None:
            tick = time.perf_counter()
            batch = next(batches, None)
            if batch is None:
                break
            ids_all = batch.column("patient_id").to_pylist()
            texts_all = batch.column("admin_comment").to_pylist()
            positions = [i for i, text in enumerate(texts_all) if text]
            timing.reading_seconds += time.perf_counter() - tick
            read += batch.num_rows

            answers: list[Answer] = []
            for lo in range(0, len(positions), options.batch_size):
                chunk = positions[lo : lo + options.batch_size]
                ids = [ids_all[i] for i in chunk]
                texts = [texts_all[i] for i in chunk]
                if in_process:
                    memory.before_call()
                tick = time.perf_counter()
                try:
                    got = detector(ids, texts)
                except DetectorFault as error:
                    fault = error
                    break
                seconds = time.perf_counter() - tick
                if in_process:
                    memory.after_call()
                # An isolated detector reports its own time: the pipe is not the detector's.
                own = getattr(detector, "last_call_seconds", None)
                timing.add_call(len(chunk), sum(map(len, texts)), seconds if own is None else own)
                answers.extend(got)
            if fault is not None:  # score only the rows before the failing call
                cut = positions[len(answers)] if len(answers) < len(positions) else batch.num_rows
                batch = batch.slice(0, cut)
                positions = positions[: len(answers)]
            mapped = [mapping.apply(answer) for answer in answers]

            tick = time.perf_counter()
            preds = to_predictions(batch.num_rows, positions, mapped, detector.mode, space, index)
            counts = counts + score_batch(batch, preds, space=space, config=config)
            timing.scoring_seconds += time.perf_counter() - tick
            scored += batch.num_rows

            if files is not None:
                tick = time.perf_counter()
                files.write(
                    batch,
                    positions,
                    [ids_all[i] for i in positions],
                    [texts_all[i] for i in positions],
                    answers,
                    mapped,
                )
                timing.writing_seconds += time.perf_counter() - tick
            if progress is not None:
                progress(batch.num_rows)
    except KeyboardInterrupt:  # Ctrl-C, SIGTERM, SIGHUP: a child detector stops at once
        terminate = getattr(detector, "terminate", None)
        if callable(terminate):
            terminate()
        raise
    finally:
        timing.peak_memory_bytes = (
            memory.peak_bytes() if in_process else detector.peak_memory_bytes()
        )
        try:
            detector.close()
        except Exception as error:  # the answers are all in: keep them, report the fault
            if fault is None:
                fault = DetectorFault(
                    None,
                    f"the detector's close() raised {type(error).__name__}: {error}"
                    " (every answer before it was scored)",
                    where="close()",
                )
        finally:
            if files is not None:
                if fault is not None:
                    files.mark_partial(str(fault), fault.record_id)
                files.close()
    timing.wall_seconds = time.perf_counter() - wall_start
    timing.scored_records = scored
    return RunOutcome(
        detector_name=detector.name,
        detector_version=detector.version,
        mode=detector.mode,
        counts=counts,
        throughput=timing,
        records_read=read,
        records_scored=scored,
        error_records=files.error_records if files is not None else 0,
        labels=mapping.report(),
        fault=fault,
    )
