"""``breachbench blind make|score``: thin shells over :mod:`benchmarks.blind`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from breachbench.benchmarks.blind import (
    BlindError,
    make_kit,
    score_html,
    score_kit,
    score_rows,
    verdict_line,
)
from breachbench.benchmarks.blind.sheet import sheet_id
from breachbench.commands import write_text_atomically
from breachbench.generator.options import DIFFICULTIES


@click.group("blind")
def blind() -> None:
    """A blind test: can a reader tell generated notes from hand-written ones? (make, score)"""


@blind.command("make")
@click.option(
    "--handwritten",
    required=True,
    type=click.Path(path_type=Path),
    help="Hand-written notes: a contract dataset (JSON lines, Parquet, CSV).",
)
@click.option(
    "--generated",
    type=click.Path(path_type=Path),
    help="Draw the generated notes from this dataset instead of generating them.",
)
@click.option(
    "--rows",
    type=click.IntRange(min=1),
    default=2000,
    show_default=True,
    help="Records to generate when no --generated dataset is given.",
)
@click.option(
    "--difficulty",
    type=click.Choice(DIFFICULTIES),
    default="realistic",
    show_default=True,
    help="Difficulty of the generated records (no --generated).",
)
@click.option("--notes", type=int, default=40, show_default=True, help="Notes from each source.")
@click.option(
    "--seed",
    type=int,
    default=7,
    show_default=True,
    help="Seed of the draws and the order (and of the generated records).",
)
@click.option(
    "--lang",
    type=click.Choice(["fr", "en"]),
    default="fr",
    show_default=True,
    help="Language of the sheet.",
)
@click.option(
    "--match-length",
    is_flag=True,
    help="Draw generated notes with the word counts of the drawn hand-written ones.",
)
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Kit directory.")
@click.option("--overwrite", is_flag=True, help="Replace an existing kit.")
@click.pass_context
def make(
    ctx: click.Context,
    handwritten: Path,
    generated: Path | None,
    rows: int,
    difficulty: str,
    notes: int,
    seed: int,
    lang: str,
    match_length: bool,
    out: Path,
    overwrite: bool,
) -> None:
    """Make a blind test in --out: sheet.html (print on A4), sheet.md, answers.csv (the
    blank form) and, for the organiser only, key.json (which number is which).
    """
    if generated is not None:
        for name in ("rows", "difficulty"):
            if ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT:
                raise click.UsageError(f"--{name} generates notes: it cannot go with --generated")
    try:
        kit = make_kit(
            handwritten,
            out,
            generated=generated,
            rows=rows,
            difficulty=difficulty,
            notes=notes,
            seed=seed,
            lang=lang,
            match_length=match_length,
            overwrite=overwrite,
        )
    except BlindError as error:
        raise click.UsageError(str(error)) from error
    except OSError as error:
        raise click.ClickException(f"{error.filename or out}: {error.strerror}") from error
    click.echo(
        f"Sheet {sheet_id(kit.digest)} of {len(kit.notes)} notes in"
        f" {kit.root}: print sheet.html; keep key.json away from the reader."
    )


@blind.command("score")
@click.argument("kit", type=click.Path(file_okay=False, path_type=Path))
@click.argument("answers", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="HTML report to write (default: KIT/report-<ANSWERS name>.html).",
)
def score(kit: Path, answers: Path, as_json: bool, report: Path | None) -> None:
    """Score a reader's filled ANSWERS (answers.csv of KIT) against KIT's key: accuracy
    with a 95% interval, p-value against guessing, sure and unsure, per source.
    """
    try:
        figures = score_kit(kit, answers)
    except BlindError as error:
        raise click.UsageError(str(error)) from error
    report = report or kit / f"report-{answers.stem}.html"
    try:
        write_text_atomically(report, score_html(figures, answers=str(answers), kit=str(kit)))
    except OSError as error:
        raise click.ClickException(f"{error.filename or report}: {error.strerror}") from error
    if as_json:
        click.echo(json.dumps(figures, indent=2))
        return
    from rich.table import Table

    from breachbench.benchmarks.reports.terminal import console

    table = Table(title=f"Blind test, sheet {figures['sheet_id']}", title_justify="left")
    for header in ("Figure", "Right / answered", "Value [95% interval]"):
        table.add_column(header, justify="left" if header == "Figure" else "right")
    for row in score_rows(figures):
        table.add_row(*row)
    console().print(table)
    click.echo(verdict_line(figures))
    click.echo(f"Report: {report}")
