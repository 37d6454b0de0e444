"""One benchmark session, the library call behind ``breachbench bench``.

It resolves the dataset (the cached default one when none is given), runs each requested
detector over it in turn with :func:`breachbench.benchmarks.run.run_detector`, and writes each run's
files: results.json, results.md, report.html, predictions.jsonl, errors.jsonl. One detector
writes straight into the output directory; several get one sub-directory each plus a
leaderboard (leaderboard.md, leaderboard.json) with paired tests against the leader.

A detector fault stops that detector's run, keeps its partial results, and the session
moves on to the next detector; the caller learns of every fault from the summary.

Each run writes its per-record files and checkpoints in the session's resume folder
(:mod:`breachbench.benchmarks.scale.checkpoint`) beside ``--out``; the finished files are
linked into the staged output, which is renamed over ``--out`` at the end, and only then is
the resume folder removed. ``--workers``, ``--engine dask``, ``--shard`` choose where and
which calls run (:mod:`breachbench.benchmarks.scale`), never what they give.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from breachbench.benchmarks.adapters import DetectorChoice, LabelMapping, open_choice
from breachbench.benchmarks.cache import default_dataset
from breachbench.benchmarks.compare import Comparison, LeaderboardRow, comparisons, leaderboard
from breachbench.benchmarks.dataset import Dataset, open_dataset
from breachbench.benchmarks.detectors import BUILTINS
from breachbench.benchmarks.learned.artifacts import protocol_warnings
from breachbench.benchmarks.protocol import Detector
from breachbench.benchmarks.reports import render_html, render_leaderboard_markdown, render_markdown
from breachbench.benchmarks.results import RESULTS_FILE, build_results, write_json
from breachbench.benchmarks.run import Engine, RunOptions, run_detector
from breachbench.benchmarks.scale.checkpoint import Checkpoint, ResumeFolder
from breachbench.benchmarks.scale.chunks import chunk_count, shard_chunks
from breachbench.benchmarks.scale.engines import ProcessEngine, max_workers
from breachbench.benchmarks.scale.progress import bench_progress
from breachbench.benchmarks.scoring import default_space
from breachbench.benchmarks.scoring.exposure import hundredths, load_severity
from breachbench.generator.contract.version import __version__
from breachbench.generator.output.target import OutputTarget, Staging
from breachbench.generator.run.progress import wants_progress

__all__ = [
    "DEFAULT_DETECTORS",
    "BenchError",
    "BenchRequest",
    "BenchSummary",
    "DetectorChoice",
    "RunReport",
    "run_bench",
]

DEFAULT_DETECTORS: tuple[str, ...] = (
    "keywords",
    "identifiers",
    "keywords+identifiers",
    "none",
    "all",
)
"""What ``bench`` runs with no detector: the built-ins, baselines included to anchor the scale."""
LEADERBOARD_MD = "leaderboard.md"
LEADERBOARD_JSON = "leaderboard.json"
RUN_FILES = ("results.json", "results.md", "report.html", "predictions.jsonl", "errors.jsonl")


class BenchError(ValueError):
    """A request that cannot run (existing output without overwrite...); one line."""


@dataclass(frozen=True)
class BenchRequest:
    """Everything ``breachbench bench`` was asked to do."""

    dataset: str | None = None
    detectors: tuple[str, ...] = ()
    command: str | None = None
    labels: str | None = None
    severity: str | None = None
    """A YAML of severity weights per category (default: corpora/metrics/severity.yaml)."""
    out: Path = Path("breachbench-output/bench")
    options: RunOptions = field(default_factory=RunOptions)
    overwrite: bool = False
    progress: bool | None = None
    cache_dir: Path | None = None
    workers: int | None = None
    """Detector copies: worker processes (default 1), or Dask workers of a LocalCluster
    (default: one per CPU)."""
    engine: str = "local"
    """``local`` or ``dask``."""
    scheduler: str | None = None
    """A Dask scheduler's address; without it, ``--engine dask`` starts a LocalCluster."""
    resume: bool = False
    """Continue the interrupted session on ``out`` from its checkpoints."""

    def choices(self) -> list[DetectorChoice]:
        """The detectors to run, in order; the built-ins when none was named."""
        chosen = [DetectorChoice(spec=s) for s in self.detectors]
        if self.command is not None:
            chosen.append(DetectorChoice(command=self.command))
        return chosen or [DetectorChoice(spec=s) for s in DEFAULT_DETECTORS]


@dataclass(frozen=True)
class RunReport:
    """One finished (or partial) detector run and where its files are."""

    choice: DetectorChoice
    directory: Path
    results: dict[str, Any]

    @property
    def fault(self) -> str | None:
        """The one-line fault message of a partial run."""
        return self.results["status"]["fault"]


@dataclass(frozen=True)
class BenchSummary:
    """What a session produced."""

    out: Path
    dataset: Path
    dataset_generated: bool
    runs: list[RunReport]
    leaderboard: list[LeaderboardRow]
    comparisons: list[Comparison]
    seconds: float

    @property
    def faults(self) -> list[str]:
        """Fault messages of the partial runs, in run order."""
        return [f"{r.fault} (partial results in {r.directory})" for r in self.runs if r.fault]


def _slug(text: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9+._-]+", "-", text).strip("-.")
    return slug[:60] or "detector"


def _directories(out: Path, choices: list[DetectorChoice]) -> list[Path]:
    if len(choices) == 1:
        return [out]
    names: list[str] = []
    for choice in choices:
        base = _slug(Path(choice.command.split()[-1]).stem if choice.command else choice.label)
        name, n = base, 2
        while name in names:
            name, n = f"{base}-{n}", n + 1
        names.append(name)
    return [out / name for name in names]


OWN_FILES = frozenset((*RUN_FILES, LEADERBOARD_MD, LEADERBOARD_JSON))


def _ours(directory: Path) -> bool:
    """Whether ``directory`` holds only what a bench run writes (so may be replaced whole)."""
    for entry in directory.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            if not all(child.name in RUN_FILES for child in entry.iterdir()):
                return False
        elif entry.name not in OWN_FILES:
            return False
    return True


def check_out(out: Path, overwrite: bool) -> None:
    """Refuse, before any work, an --out that this run could not replace whole."""
    here, where = Path.cwd().resolve(), out.resolve()
    if where == here or where in here.parents:
        raise BenchError(f"--out {out} is the working directory or holds it; give a new folder")
    if out.exists() and not out.is_dir():
        raise BenchError(f"{out} exists and is not a directory")
    if not out.is_dir() or not any(out.iterdir()):
        if out.is_dir() and os.path.ismount(out):
            raise BenchError(f"{out} is a mount point; give a folder inside it as --out")
        return
    if not overwrite:
        raise BenchError(f"{out} already exists and is not empty; pass --overwrite to replace it")
    if os.path.ismount(out):
        raise BenchError(f"{out} is a mount point; give a folder inside it as --out")
    if not _ours(out):
        raise BenchError(
            f"refusing to replace {out}: it holds files a bench run did not write;"
            " give another --out"
        )


def isolates(choice: DetectorChoice, isolate: bool | None) -> bool:
    """Whether a detector runs in a child process: by default, every Python detector but
    the built-ins (ours, measured in process: their speed is the reference)."""
    if choice.command is not None:
        return False  # a command is a child process already
    return isolate if isolate is not None else choice.spec not in BUILTINS


def memory_scope(choice: DetectorChoice, isolate: bool | None) -> str:
    """What the memory figure of a run measures (shown beside it in every report)."""
    if choice.command is not None:
        return "detector process tree"
    if isolates(choice, isolate):
        return "detector process (isolated)"
    return "in process: added above the harness's baseline"


def _opener(choice: DetectorChoice, options: RunOptions) -> Callable[[], Detector]:
    def opener() -> Detector:
        return open_choice(
            choice, timeout=options.timeout, isolate=isolates(choice, options.isolate)
        )

    return opener


def _engine(choice: DetectorChoice, options: RunOptions, request: BenchRequest) -> Engine | None:
    """Where this detector's calls run; None: in this process (``--workers 1``)."""
    isolate = isolates(choice, options.isolate)
    if request.engine == "dask":
        try:
            from breachbench.benchmarks.scale.dask_engine import DaskEngine
        except ImportError:
            raise BenchError(
                "--engine dask needs Dask and distributed: pip install 'breachbench[dask]'"
            ) from None
        return DaskEngine(
            choice,
            workers=request.workers,
            scheduler=request.scheduler,
            timeout=options.timeout,
            isolate=isolate,
        )
    if (request.workers or 1) > 1:
        return ProcessEngine(
            choice, workers=request.workers or 1, timeout=options.timeout, isolate=isolate
        )
    return None


def _digest_file(path: str | None) -> str | None:
    if path is None:
        return None
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _run_key(
    dataset: Dataset, choice: DetectorChoice, options: RunOptions, request: BenchRequest
) -> dict[str, Any]:
    """What a checkpoint must match to be resumed: everything that changes the result."""
    return {
        "breachbench": __version__,
        "dataset": dataset.info.fingerprint,
        "detector": {"spec": choice.spec, "command": choice.command},
        "options": options.to_json(),
        "severity": list(options.severity or ()),
        "labels": _digest_file(request.labels),
    }


def _link(source: Path, target: Path) -> None:
    """Put a finished file in the staged output: a hard link (the checkpoint keeps its own
    name until the output is in place), a copy where links are not possible."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _write_run(directory: Path, results: dict[str, Any]) -> None:
    write_json(directory / RESULTS_FILE, results)
    (directory / "results.md").write_text(render_markdown(results), encoding="utf-8")
    (directory / "report.html").write_text(render_html(results), encoding="utf-8")


def _run_one(
    dataset: Dataset,
    choice: DetectorChoice,
    directory: Path,
    request: BenchRequest,
    staged: Path,
    work: Path,
) -> RunReport:
    """Run one detector, writing its files and checkpoints in ``work``, then its results in
    ``staged`` (to become ``directory``)."""
    mapping = LabelMapping.from_yaml(request.labels) if request.labels else LabelMapping()
    weights = load_severity(request.severity, space=default_space())
    # results.json records whether this detector did run isolated (None for a command).
    isolate = None if choice.command is not None else isolates(choice, request.options.isolate)
    options = dataclasses.replace(
        request.options, severity=hundredths(weights, default_space()), isolate=isolate
    )
    total = _shard_rows(dataset, options)
    enabled = wants_progress(request.progress)
    checkpoint = Checkpoint(work, _run_key(dataset, choice, options, request))
    with bench_progress(total, enabled=enabled, label=choice.label[:30]) as advance:
        outcome = run_detector(
            dataset,
            _opener(choice, options),
            options=options,
            mapping=mapping,
            out_dir=work,
            progress=advance,
            memory_scope=memory_scope(choice, options.isolate),
            engine=_engine(choice, options, request),
            engine_name=request.engine,
            checkpoint=checkpoint,
        )
    staged.mkdir(parents=True, exist_ok=True)
    for name in ("predictions.jsonl", "errors.jsonl"):
        _link(work / name, staged / name)
    results = build_results(
        dataset=dataset.info,
        outcome=outcome,
        options=options,
        spec=choice.spec,
        command=choice.command,
        labels_file=request.labels,
        severity=weights,
        severity_file=request.severity,
    )
    # Honest protocol: a learned model scored on its own training data says so.
    results["warnings"] = protocol_warnings(choice.spec, dataset.info)
    _write_run(staged, results)
    return RunReport(choice=choice, directory=directory, results=results)


def _shard_rows(dataset: Dataset, options: RunOptions) -> int:
    """Rows this run scores: its shard's chunks of the selected rows (all of them)."""
    selected = dataset.selected_rows(limit=options.limit, sample=options.sample)
    chunks = shard_chunks(chunk_count(selected, options.read_batch_size), options.shard)
    return max(
        0,
        min(selected, chunks.stop * options.read_batch_size)
        - chunks.start * options.read_batch_size,
    )


def _check_selection(dataset: Dataset, options: RunOptions) -> None:
    """A --sample larger than what it samples from is a mistake, not a silent full run."""
    if options.sample is not None:
        available = dataset.selected_rows(limit=options.limit)
        if options.sample > available:
            within = f"the first {options.limit:,}" if options.limit is not None else "the"
            raise BenchError(
                f"--sample {options.sample:,} is larger than {within} {available:,} rows"
                f" of {dataset.info.path}"
            )


def _leaderboard_json(
    dataset: Dataset, rows: list[LeaderboardRow], paired: list[Comparison]
) -> dict[str, Any]:
    """leaderboard.json: the ranking, where each run's results are, and the paired tests."""
    return {
        "schema": "breachbench.leaderboard/1",
        "dataset": dataset.info.to_json(),
        "leaderboard": [
            {
                "name": row.name,
                "results": str(Path(row.source) / RESULTS_FILE),
                "partial": row.partial,
                "headline": row.headline,
                "comments_per_second": row.comments_per_second,
                "peak_memory_bytes": row.peak_memory_bytes,
            }
            for row in rows
        ],
        "comparisons": [{"a": c.a, "b": c.b, "differences": c.differences} for c in paired],
    }


def _check_request(request: BenchRequest) -> None:
    """Refuse, before any work, engine options that cannot go together."""
    if request.engine not in ("local", "dask"):
        raise BenchError(f"--engine {request.engine!r}: expected local or dask")
    if request.scheduler is not None and request.engine != "dask":
        raise BenchError("--scheduler needs --engine dask")
    if request.workers is not None:
        if request.workers < 1:
            raise BenchError(f"--workers must be >= 1, got {request.workers}")
        if request.scheduler is not None:
            raise BenchError(
                "--workers and --scheduler: a running cluster has its own workers; give one"
            )
        if request.engine == "local" and request.workers > max_workers():
            print(
                f"Note: --workers {request.workers} capped at {max_workers()} (2 per CPU);"
                " the results are the same.",
                file=sys.stderr,
            )
            object.__setattr__(request, "workers", max_workers())


def run_bench(request: BenchRequest) -> BenchSummary:
    """Run every requested detector on the dataset and write all reports.

    Raises :class:`BenchError`, :class:`~breachbench.benchmarks.dataset.DatasetError`,
    :class:`~breachbench.benchmarks.adapters.LabelMappingError` or
    :class:`~breachbench.benchmarks.protocol.DetectorLoadError` before or instead of a run; detector
    faults do not raise (see :attr:`BenchSummary.faults`).
    """
    started = time.perf_counter()
    choices = request.choices()
    for choice in choices:
        if choice.command is not None and not choice.command.strip():
            raise BenchError("--detector-cmd is empty: give the program to run")
    out = request.out
    directories = _directories(out, choices)
    _check_request(request)
    # --resume replaces what the interrupted session (or an earlier one) left, if ours.
    check_out(out, request.overwrite or request.resume)
    if request.labels:
        LabelMapping.from_yaml(request.labels)  # fail on a bad mapping before any work
    load_severity(request.severity, space=default_space())  # likewise a bad weight file
    generated = False
    if request.dataset is None:
        path, generated = default_dataset(request.cache_dir, progress=request.progress)
    else:
        path = Path(request.dataset)
    dataset = open_dataset(path)
    _check_selection(dataset, request.options)
    # Every file of the session is written in a hidden folder beside --out, renamed over it
    # at the end: a failure (bad row, full disk, Ctrl-C, SIGTERM) leaves the previous
    # output as it was, never a mix of two runs.
    target = OutputTarget(path=out, is_directory=True, format="bench")
    with (
        ResumeFolder(out, resume=request.resume) as folder,
        Staging(target, overwrite=True) as staging,
    ):
        runs = [
            _run_one(
                dataset,
                choice,
                directory,
                request,
                staging.path / directory.relative_to(out),
                folder.run_directory(directory.relative_to(out)),
            )
            for choice, directory in zip(choices, directories, strict=True)
        ]
        rows = leaderboard([(str(r.directory), r.results) for r in runs])
        by_source = {str(r.directory): r for r in runs}
        ranked = [(row.name, by_source[row.source].results) for row in rows]
        paired = comparisons(ranked, only_first=True) if len(runs) > 1 else []
        if len(runs) > 1:
            (staging.path / LEADERBOARD_MD).write_text(
                render_leaderboard_markdown(rows, paired), encoding="utf-8"
            )
            write_json(staging.path / LEADERBOARD_JSON, _leaderboard_json(dataset, rows, paired))
        staging.commit()
        folder.remove()
    return BenchSummary(
        out=out,
        dataset=path,
        dataset_generated=generated,
        runs=runs,
        leaderboard=rows,
        comparisons=paired,
        seconds=time.perf_counter() - started,
    )
