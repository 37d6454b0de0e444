"""One benchmark session, the library call behind ``breachbench bench``.

It resolves the dataset (the cached default one when none is given), runs each requested
detector over it in turn with :func:`breachbench.benchmarks.run.run_detector`, and writes each run's
files: results.json, results.md, report.html, predictions.jsonl, errors.jsonl. One detector
writes straight into the output directory; several get one sub-directory each plus a
leaderboard (leaderboard.md, leaderboard.json) with paired tests against the leader.

A detector fault stops that detector's run, keeps its partial results, and the session
moves on to the next detector; the caller learns of every fault from the summary.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from breachbench.benchmarks.adapters import LabelMapping, open_detector
from breachbench.benchmarks.cache import default_dataset
from breachbench.benchmarks.compare import Comparison, LeaderboardRow, comparisons, leaderboard
from breachbench.benchmarks.dataset import Dataset, open_dataset
from breachbench.benchmarks.learned.artifacts import protocol_warnings
from breachbench.benchmarks.protocol import Detector
from breachbench.benchmarks.reports import render_html, render_leaderboard_markdown, render_markdown
from breachbench.benchmarks.results import RESULTS_FILE, build_results, write_json
from breachbench.benchmarks.run import RunOptions, run_detector
from breachbench.generator.run.progress import row_progress, wants_progress

__all__ = [
    "DEFAULT_DETECTORS",
    "BenchError",
    "BenchRequest",
    "BenchSummary",
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
class DetectorChoice:
    """One detector to run: a Python/built-in spec or a command line."""

    spec: str | None = None
    command: str | None = None

    @property
    def label(self) -> str:
        """What the user typed, for directory names and messages."""
        return self.spec if self.spec is not None else str(self.command)


@dataclass(frozen=True)
class BenchRequest:
    """Everything ``breachbench bench`` was asked to do."""

    dataset: str | None = None
    detectors: tuple[str, ...] = ()
    command: str | None = None
    labels: str | None = None
    out: Path = Path("breachbench-output/bench")
    options: RunOptions = field(default_factory=RunOptions)
    overwrite: bool = False
    progress: bool | None = None
    cache_dir: Path | None = None

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


def _check_out(directories: list[Path], out: Path, overwrite: bool) -> None:
    taken = [d / RESULTS_FILE for d in directories if (d / RESULTS_FILE).exists()]
    if (out / LEADERBOARD_JSON).exists():
        taken.append(out / LEADERBOARD_JSON)
    if taken and not overwrite:
        raise BenchError(f"{taken[0]} already exists; pass --overwrite to replace it")


def _opener(choice: DetectorChoice, timeout: float) -> Callable[[], Detector]:
    if choice.command is not None:
        command = choice.command
        return lambda: open_detector(command=command, timeout=timeout)
    spec = choice.spec
    return lambda: open_detector(spec)


def _write_run(directory: Path, results: dict[str, Any]) -> None:
    write_json(directory / RESULTS_FILE, results)
    (directory / "results.md").write_text(render_markdown(results), encoding="utf-8")
    (directory / "report.html").write_text(render_html(results), encoding="utf-8")


def _run_one(
    dataset: Dataset, choice: DetectorChoice, directory: Path, request: BenchRequest
) -> RunReport:
    mapping = LabelMapping.from_yaml(request.labels) if request.labels else LabelMapping()
    options = request.options
    total = dataset.selected_rows(limit=options.limit, sample=options.sample)
    enabled = wants_progress(request.progress)
    bar = row_progress(total, enabled=enabled, label=choice.label[:30]) if enabled else None
    with bar if bar is not None else nullcontext(lambda rows: None) as advance:
        outcome = run_detector(
            dataset,
            _opener(choice, options.timeout),
            options=options,
            mapping=mapping,
            out_dir=directory,
            progress=advance,
            memory_scope=(
                "detector process tree" if choice.command else "harness process (in-process)"
            ),
        )
    results = build_results(
        dataset=dataset.info,
        outcome=outcome,
        options=options,
        spec=choice.spec,
        command=choice.command,
        labels_file=request.labels,
    )
    # Honest protocol: a learned model scored on its own training data says so.
    results["warnings"] = protocol_warnings(choice.spec, dataset.info)
    _write_run(directory, results)
    return RunReport(choice=choice, directory=directory, results=results)


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


def run_bench(request: BenchRequest) -> BenchSummary:
    """Run every requested detector on the dataset and write all reports.

    Raises :class:`BenchError`, :class:`~breachbench.benchmarks.dataset.DatasetError`,
    :class:`~breachbench.benchmarks.adapters.LabelMappingError` or
    :class:`~breachbench.benchmarks.protocol.DetectorLoadError` before or instead of a run; detector
    faults do not raise (see :attr:`BenchSummary.faults`).
    """
    started = time.perf_counter()
    choices = request.choices()
    directories = _directories(request.out, choices)
    _check_out(directories, request.out, request.overwrite)
    if request.labels:
        LabelMapping.from_yaml(request.labels)  # fail on a bad mapping before any work
    generated = False
    if request.dataset is None:
        path, generated = default_dataset(request.cache_dir, progress=request.progress)
    else:
        path = Path(request.dataset)
    dataset = open_dataset(path)
    runs = [
        _run_one(dataset, choice, directory, request)
        for choice, directory in zip(choices, directories, strict=True)
    ]
    rows = leaderboard([(str(r.directory), r.results) for r in runs])
    by_source = {str(r.directory): r for r in runs}
    ranked = [(row.name, by_source[row.source].results) for row in rows]
    paired = comparisons(ranked, only_first=True) if len(runs) > 1 else []
    if len(runs) > 1:
        (request.out / LEADERBOARD_MD).write_text(
            render_leaderboard_markdown(rows, paired), encoding="utf-8"
        )
        write_json(request.out / LEADERBOARD_JSON, _leaderboard_json(dataset, rows, paired))
    return BenchSummary(
        out=request.out,
        dataset=path,
        dataset_generated=generated,
        runs=runs,
        leaderboard=rows,
        comparisons=paired,
        seconds=time.perf_counter() - started,
    )
