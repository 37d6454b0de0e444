"""``breachbench check``: a thin shell over :func:`benchmarks.check.check_dataset`."""

from __future__ import annotations

import json
import sys

import click

from breachbench.benchmarks.dataset import DatasetError


@click.command("check")
@click.argument("dataset", type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@click.option(
    "--max-per-1000",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="Exit 1 when more comments than this per 1,000 contradict their row.",
)
@click.option(
    "--examples",
    type=click.IntRange(min=0),
    default=3,
    show_default=True,
    help="Examples shown per rule.",
)
@click.option(
    "--limit", type=click.IntRange(min=0), default=None, help="Read only the first N rows."
)
def check(
    dataset: str, as_json: bool, max_per_1000: float, examples: int, limit: int | None
) -> None:
    """Count contradictions between each comment and its own row, per rule and per 1,000.

    Rules: title and sex, the patient's name, phone, email and NIR, dates against birth
    and creation, anachronisms, facts impossible for the sex or age, unlabelled same-sex
    partners, repeated clauses, unreadable spans, joins no one writes. Exits 1 when the
    share of contradicting comments is above --max-per-1000 (default 0: any
    contradiction).
    """
    from breachbench.benchmarks.check import check_dataset, format_report, within_threshold

    try:
        info = check_dataset(dataset, limit=limit, examples=examples)
    except DatasetError as error:
        raise click.UsageError(str(error)) from error
    info["max_per_1000"] = max_per_1000
    info["passed"] = within_threshold(info, max_per_1000)
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False, indent=2))
    else:
        from rich.console import Console

        console = Console(width=max(Console().width, 140), soft_wrap=True)
        console.print(format_report(info, max_per_1000=max_per_1000))
    if not info["passed"]:
        sys.exit(1)
