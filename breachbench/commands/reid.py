"""``breachbench reid``: a thin shell over :func:`breachbench.benchmarks.reid.run_reid`."""

from __future__ import annotations

from pathlib import Path

import click

from breachbench.benchmarks.reid import ReidError, run_reid
from breachbench.benchmarks.reports.fmt import pct


@click.command("reid")
@click.argument("dataset", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--out",
    "-o",
    default="breachbench-output/reid",
    show_default=True,
    type=click.Path(path_type=Path),
    help="Output directory (reid.html, reid.md, reid.json).",
)
@click.option("--limit", type=int, default=None, help="Only the first N rows.")
def reid(dataset: Path, out: Path, limit: int | None) -> None:
    """Re-identification on DATASET: uniqueness, k-anonymity, generalisation; HTML report.

    Reads sex, birth_date, postcode and insee_code (and, when labelled, the identifiers
    still readable in the comments: run it on a redact output to see what a redaction
    left). DATASET is a Parquet file or a directory of part-*.parquet.
    """
    if limit is not None and limit < 0:
        raise click.UsageError(f"--limit must be >= 0, got {limit}")
    try:
        summary = run_reid(dataset, out, limit=limit)
    except ReidError as error:
        raise click.UsageError(str(error)) from error
    except OSError as error:
        raise click.ClickException(f"{error.filename or out}: {error.strerror or error}") from error
    f = summary.figures
    click.echo(f"{f['records']:,} records in {summary.seconds:.1f} s.")
    for item in f["quasi_identifier_sets"]:
        click.echo(f"  unique on {item['name']}: {pct(item['unique_share'])}")
    if f["comments"]:
        for item in f["comments"]["sets"]:
            click.echo(
                f"  unique on {item['name']} + identifiers readable in comments:"
                f" {pct(item['unique_share_with'])}"
            )
    click.echo(f"Report: {out / 'reid.html'}")
