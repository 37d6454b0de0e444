"""``breachbench merge``: a thin shell over :func:`benchmarks.scale.merge.merge_runs`."""

from __future__ import annotations

from pathlib import Path

import click

from breachbench.benchmarks.compare import leaderboard
from breachbench.benchmarks.reports.terminal import console, leaderboard_table
from breachbench.benchmarks.scale.merge import MergeError, merge_runs


@click.command("merge")
@click.argument("runs", nargs=-1, required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--out",
    "-o",
    required=True,
    type=click.Path(path_type=Path),
    help="Where to write the merged run.",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing merged run in --out.")
def merge(runs: tuple[Path, ...], out: Path, overwrite: bool) -> None:
    """Combine bench runs of disjoint shards (RUN_DIR...) into one result.

    The merged counts, metrics and intervals are those of a single run over the union of
    the shards, and its predictions.jsonl and errors.jsonl are the shards' files in shard
    order. Runs of different datasets, detectors or options, overlapping shards or partial
    runs are refused.
    """
    try:
        results = merge_runs(list(runs), out, overwrite=overwrite)
    except MergeError as error:
        raise click.UsageError(str(error)) from error
    except OSError as error:
        raise click.ClickException(f"{error.filename or out}: {error.strerror or error}") from error
    screen = console()
    screen.print(leaderboard_table(leaderboard([(str(out), results)])))
    shard = results["shard"]
    covered = "every shard" if shard is None else f"shards {shard['indices']} of {shard['count']}"
    screen.print(f"Merged {len(runs)} runs ({covered}) into {out}", soft_wrap=True)
