"""``breachbench train``: a thin shell over :func:`breachbench.benchmarks.learned.train_model`."""

from __future__ import annotations

import click

from breachbench.benchmarks.dataset import DatasetError
from breachbench.benchmarks.learned import MODELS, TrainError, TrainSummary, train_model
from breachbench.benchmarks.protocol import DetectorLoadError
from breachbench.generator.run.progress import wants_progress


def describe(summary: TrainSummary) -> str:
    """The line printed after training: what, on how much, how long, where."""
    data = summary.document["training_data"]
    split = data.get("split") or "none"
    return (
        f"Trained {summary.model} on {summary.comments:,} comments (seed {data.get('seed')},"
        f" split {split}) in {summary.seconds:.1f} s; model in {summary.directory}."
        f" Benchmark it on another seed and --split test:"
        f" breachbench bench DATASET --detector learned:{summary.directory}"
    )


@click.command("train")
@click.argument("dataset", type=click.Path(exists=True, dir_okay=True, path_type=str))
@click.option(
    "--model",
    "-m",
    type=click.Choice(list(MODELS)),
    default="crf",
    show_default=True,
    help="crf: span tagger (20 categories); tfidf-lr: record classifier (14 sensitive).",
)
@click.option("--out", "-o", required=True, help="Model directory to write.")
@click.option("--limit", type=int, default=None, help="Train on the first N rows only.")
@click.option(
    "--hints/--no-hints",
    default=True,
    show_default=True,
    help="Read the built-in keywords/identifiers spans as features.",
)
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Seed of the training algorithm."
)
@click.option("--overwrite", is_flag=True, help="Replace an existing model directory.")
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress bar on stderr. [default: only when stderr is a terminal]",
)
def train(
    dataset: str,
    model: str,
    out: str,
    limit: int | None,
    hints: bool,
    seed: int,
    overwrite: bool,
    progress: bool | None,
) -> None:
    """Train a learned detector on DATASET and write it to --out.

    DATASET is any contract dataset (Parquet, part directory, JSON lines). Train on
    `generate --split train`, then benchmark with `bench --detector learned:DIR` on a
    dataset of another seed and `--split test`: its wording families were never seen.
    The directory holds the parameters, model.json (versions, training data fingerprint,
    seed, split, time) and MODEL_CARD.md. Needs: pip install 'breachbench[ml]'.
    """
    try:
        with _bar(wants_progress(progress)) as report:
            summary = train_model(
                dataset,
                model,
                out,
                limit=limit,
                hints=hints,
                overwrite=overwrite,
                seed=seed,
                progress=report,
            )
    except (TrainError, DatasetError, DetectorLoadError) as error:
        raise click.UsageError(str(error)) from error
    except OSError as error:
        raise click.ClickException(f"{error.filename or out}: {error.strerror or error}") from error
    click.echo(describe(summary))


class _bar:
    """A rich progress bar on stderr with one task per phase, or nothing."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.progress = None
        self.tasks: dict[str, int] = {}

    def __enter__(self):
        if not self.enabled:
            return lambda phase, done, total: None
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.progress = Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
        )
        self.progress.__enter__()

        def report(phase: str, done: int, total: int) -> None:
            if phase not in self.tasks:
                self.tasks[phase] = self.progress.add_task(phase, total=total)
            self.progress.update(self.tasks[phase], completed=done, total=total)

        return report

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.__exit__(*exc)
