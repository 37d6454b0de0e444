"""``breachbench describe``: a thin shell over :func:`benchmarks.describe.describe_dataset`."""

from __future__ import annotations

import json

import click

from breachbench.benchmarks.dataset import DatasetError
from breachbench.benchmarks.describe import describe_dataset, format_description


@click.command("describe")
@click.argument("dataset", type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print the description as JSON.")
@click.option(
    "--limit", type=click.IntRange(min=0), default=None, help="Read only the first N rows."
)
def describe(dataset: str, as_json: bool, limit: int | None) -> None:
    """Print what DATASET is made of: shares, label counts, lengths, forms, diversity.

    DATASET is any contract dataset: a Parquet file, a directory of part files, or a
    JSON-lines file.
    """
    try:
        info = describe_dataset(dataset, limit=limit)
    except DatasetError as error:
        raise click.UsageError(str(error)) from error
    click.echo(
        json.dumps(info, ensure_ascii=False, indent=2) if as_json else format_description(info)
    )
