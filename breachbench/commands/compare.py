"""``breachbench compare``: a thin shell over :func:`benchmarks.compare.compare_files`."""

from __future__ import annotations

import click

from breachbench.benchmarks.compare import compare_files
from breachbench.benchmarks.reports.terminal import comparisons_table, console, leaderboard_table
from breachbench.benchmarks.results import ResultsError


@click.command("compare")
@click.argument("results", nargs=-1, required=True, type=click.Path(dir_okay=False))
def compare(results: tuple[str, ...]) -> None:
    """Leaderboard of several results.json; paired tests for runs on the same dataset.

    Two runs on the same dataset (same fingerprint, records and bootstrap seed) get a
    paired bootstrap test of their differences in sensitive-record F1, span F1 and leak
    rates: each replicate resamples the same records in both runs.
    """
    try:
        rows, paired = compare_files(list(results))
    except ResultsError as error:
        raise click.UsageError(str(error)) from error
    out = console()
    out.print(leaderboard_table(rows))
    if paired:
        out.print(comparisons_table(paired))
    elif len(rows) > 1:
        out.print("No pair of runs on the same records: no paired test.")
