"""``breachbench exercise create|grade``: thin shells over :mod:`benchmarks.exercise`."""

from __future__ import annotations

from pathlib import Path

import click

from breachbench.benchmarks.dataset import DatasetError
from breachbench.benchmarks.exercise import ExerciseError, create_exercise, grade_submissions
from breachbench.benchmarks.exercise.grade import (
    class_csv,
    class_html,
    class_markdown,
    student_html,
)
from breachbench.benchmarks.reports.fmt import pct
from breachbench.commands import write_text_atomically


@click.group("exercise")
def exercise() -> None:
    """Make a class exercise from a synthetic breach (create), and grade submissions."""


@exercise.command("create")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--lang",
    type=click.Choice(["fr", "en"]),
    default="fr",
    show_default=True,
    help="Language of the handouts and solution sheets.",
)
@click.option("--groups", "-k", type=int, default=1, show_default=True, help="Variants.")
@click.option("--rows", type=int, default=2000, show_default=True, help="Records per group.")
@click.option("--seed", type=int, default=2026, show_default=True, help="Seed of group 1.")
@click.option("--overwrite", is_flag=True, help="Replace an existing kit.")
def create(directory: Path, lang: str, groups: int, rows: int, seed: int, overwrite: bool) -> None:
    """Build a class kit in DIRECTORY: per group a leaked dump (CSV, Parquet), a handout
    (Markdown, HTML), and for the teacher the answer key, a solution sheet and the seeds.
    """
    try:
        kit = create_exercise(
            directory, lang=lang, groups=groups, rows=rows, seed=seed, overwrite=overwrite
        )
    except ExerciseError as error:
        raise click.UsageError(str(error)) from error
    except OSError as error:
        raise click.ClickException(f"{error.filename or directory}: {error.strerror}") from error
    click.echo(f"Kit for {len(kit.groups)} group(s) in {kit.root}: see {kit.root / 'README.md'}")


@exercise.command("grade")
@click.argument("key", type=click.Path(exists=True, path_type=Path))
@click.argument("submissions", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "-o", default="grades", show_default=True, type=click.Path(path_type=Path))
@click.option("--bootstrap", type=int, default=200, show_default=True, help="Replicates.")
def grade(key: Path, submissions: tuple[Path, ...], out: Path, bootstrap: int) -> None:
    """Grade SUBMISSIONS (CSV of patient_id,category, or JSON lines of spans) against KEY.

    Writes OUT/class.html, class.md, class.csv and OUT/students/<name>.html. A malformed
    submission is reported with its line and not graded; the others still are. Exit code
    1 when any submission was rejected.
    """
    try:
        grades = grade_submissions(key, list(submissions), bootstrap=bootstrap)
    except DatasetError as error:
        raise click.UsageError(f"answer key: {error}") from error
    (out / "students").mkdir(parents=True, exist_ok=True)
    write_text_atomically(out / "class.html", class_html(grades, key))
    write_text_atomically(out / "class.md", class_markdown(grades))
    write_text_atomically(out / "class.csv", class_csv(grades))
    for g in grades:
        write_text_atomically(out / "students" / f"{g.name}.html", student_html(g))
    for g in grades:
        if g.error is None:
            click.echo(f"{g.rank:>3}. {g.name}: category F1 {pct(g.value('category_f1'))}")
        else:
            click.echo(f"  -  {g.name}: not graded: {g.error}")
    click.echo(f"Class table: {out / 'class.html'}")
    rejected = [g for g in grades if g.error]
    if rejected:
        raise click.ClickException(f"{len(rejected)} submission(s) rejected: {rejected[0].error}")
