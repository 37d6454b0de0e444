"""``breachbench bench``: a thin shell over :func:`breachbench.benchmarks.suite.run_bench`."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from breachbench.benchmarks.adapters import LabelMappingError
from breachbench.benchmarks.dataset import DatasetError
from breachbench.benchmarks.protocol import DetectorLoadError
from breachbench.benchmarks.reports.terminal import comparisons_table, console, leaderboard_table
from breachbench.benchmarks.run import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_BOOTSTRAP,
    DEFAULT_READ_BATCH_SIZE,
    RunOptions,
)
from breachbench.benchmarks.scale.checkpoint import ResumeError
from breachbench.benchmarks.scale.chunks import parse_shard
from breachbench.benchmarks.scoring.exposure import SeverityError
from breachbench.benchmarks.suite import (
    DEFAULT_DETECTORS,
    BenchError,
    BenchRequest,
    BenchSummary,
    run_bench,
)

DEFAULT_OUT = "breachbench-output/bench"


def show(summary: BenchSummary, out: Console) -> None:
    """The compact table, then where every report is."""
    for run in summary.runs:
        for warning in run.results.get("warnings") or ():
            out.print(f"[bold yellow]Warning:[/] {warning}", soft_wrap=True)
    out.print(leaderboard_table(summary.leaderboard))
    if summary.comparisons:
        out.print(comparisons_table(summary.comparisons))
    made = " (generated and cached)" if summary.dataset_generated else ""
    out.print(f"Dataset: {summary.dataset}{made}", soft_wrap=True)
    for run in summary.runs:
        out.print(f"Report: {run.directory / 'report.html'}", soft_wrap=True)
    if len(summary.runs) > 1:
        out.print(f"Leaderboard: {summary.out / 'leaderboard.md'}", soft_wrap=True)
    out.print(f"Done in {summary.seconds:.1f} s.")


@click.command("bench")
@click.argument("dataset", required=False, type=click.Path(dir_okay=True, path_type=str))
@click.option(
    "--detector",
    "-d",
    "detectors",
    multiple=True,
    metavar="NAME|module:attr",
    help=f"Detector to run (repeatable). [default: {', '.join(DEFAULT_DETECTORS)}]",
)
@click.option(
    "--detector-cmd",
    "command",
    metavar="'CMD ARGS'",
    help="A program speaking JSON lines on stdin/stdout (see the README's protocol).",
)
@click.option("--labels", type=click.Path(exists=True, dir_okay=False), help="Label mapping YAML.")
@click.option(
    "--severity",
    type=click.Path(exists=True, dir_okay=False),
    help="Severity weights per category (YAML) for the severity-weighted leak.",
)
@click.option(
    "--out",
    "-o",
    default=None,
    help=f"Output directory. [default: {DEFAULT_OUT}, replaced on each run]",
)
@click.option(
    "--batch-size",
    type=int,
    default=DEFAULT_BATCH_SIZE,
    show_default=True,
    help="Texts per detector call (the unit of latency and of --timeout).",
)
@click.option(
    "--timeout",
    type=float,
    default=30.0,
    show_default=True,
    help="Seconds a detector in a child process (command or isolated) may take per batch.",
)
@click.option(
    "--isolate/--no-isolate",
    default=None,
    help="Run Python detectors in a child process, where --timeout reaches them and a crash"
    " is reported. [default: on, except for the built-in detectors]",
)
@click.option("--limit", type=int, default=None, help="Only the first N rows.")
@click.option("--sample", type=int, default=None, help="A seeded uniform sample of N rows.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of --sample.")
@click.option(
    "--bootstrap",
    type=int,
    default=DEFAULT_BOOTSTRAP,
    show_default=True,
    help="Bootstrap replicates for the 95% intervals (0: none).",
)
@click.option(
    "--chunk-rows",
    type=int,
    default=DEFAULT_READ_BATCH_SIZE,
    show_default=True,
    help="Rows per chunk: the unit of scoring, of checkpoints (--resume) and of --shard.",
)
@click.option(
    "--workers",
    type=int,
    default=None,
    help="Detector copies, each loaded once in its own process; never changes the results."
    " [default: 1; with --engine dask, one per CPU]",
)
@click.option(
    "--shard",
    metavar="I/N",
    default=None,
    help="Score only shard I of N (consecutive chunks by position); combine with"
    " `breachbench merge`.",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Continue the interrupted run on --out from its last checkpoint (same arguments).",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="Where the detector copies run: worker processes here, or Dask workers"
    " (pip install 'breachbench[dask]').",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    default=None,
    help="A Dask scheduler (tcp://host:8786); without it, --engine dask starts a LocalCluster.",
)
@click.option("--overwrite", is_flag=True, help="Replace existing results in an --out you gave.")
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress bar on stderr. [default: only when stderr is a terminal]",
)
def bench(
    dataset: str | None,
    detectors: tuple[str, ...],
    command: str | None,
    labels: str | None,
    severity: str | None,
    out: str | None,
    batch_size: int,
    timeout: float,
    isolate: bool | None,
    limit: int | None,
    sample: int | None,
    seed: int,
    bootstrap: int,
    chunk_rows: int,
    workers: int | None,
    shard: str | None,
    resume: bool,
    engine: str,
    scheduler: str | None,
    overwrite: bool,
    progress: bool | None,
) -> None:
    """Benchmark detectors on DATASET: accuracy with intervals, leak rate, throughput.

    DATASET is a Parquet file, a directory of part-*.parquet files, or a JSON-lines file
    with the contract columns (patient_id, admin_comment, sensitive, categories, spans).
    Without it, a default dataset (20,000 records, seed 0) is generated once and reused
    from $BREACHBENCH_CACHE (default ~/.cache/breachbench).

    Without --detector or --detector-cmd, runs the built-in detectors one after another,
    writing one sub-directory each and a leaderboard. Each run writes results.json,
    results.md, report.html, predictions.jsonl and errors.jsonl.

    A detector that misbehaves stops its run with a one-line message naming the record;
    the partial results are kept and marked partial, and the exit code is 1.

    --workers N runs N copies of the detector side by side, --engine dask on Dask workers,
    --shard I/N one part of the rows (merge the parts with `breachbench merge`); none of
    them changes a count. An interrupted run continues with --resume.
    """
    if out is None:  # breachbench's own scratch space: a rerun replaces it
        out, overwrite = DEFAULT_OUT, True
    try:
        request = BenchRequest(
            dataset=dataset,
            detectors=detectors,
            command=command,
            labels=labels,
            severity=severity,
            out=Path(out),
            options=RunOptions(
                batch_size=batch_size,
                timeout=timeout,
                isolate=isolate,
                limit=limit,
                sample=sample,
                seed=seed,
                bootstrap=bootstrap,
                read_batch_size=chunk_rows,
                shard=parse_shard(shard) if shard is not None else None,
            ),
            overwrite=overwrite,
            progress=progress,
            workers=workers,
            engine=engine,
            scheduler=scheduler,
            resume=resume,
        )
        summary = run_bench(request)
    except (
        BenchError,
        DatasetError,
        LabelMappingError,
        DetectorLoadError,
        SeverityError,
        ResumeError,
        ValueError,
    ) as error:
        raise click.UsageError(str(error)) from error
    except OSError as error:
        raise click.ClickException(f"{error.filename or out}: {error.strerror or error}") from error
    show(summary, console())
    if summary.faults:
        raise click.ClickException(summary.faults[0])
