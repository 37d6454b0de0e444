"""``breachbench generate``: a thin shell over :func:`generator.api.generate_dataset`."""

from __future__ import annotations

import click

from breachbench.generator.api import GenerationSummary, generate_dataset
from breachbench.generator.options import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_COMMENT_RATE,
    DEFAULT_DIFFICULTY,
    DEFAULT_HARD_NEGATIVE_RATE,
    DEFAULT_ROWS,
    DEFAULT_SEED,
    DEFAULT_SENSITIVE_RATE,
    DIFFICULTIES,
    FORMATS,
    SPLITS,
    GenerateOptions,
    OptionError,
    cap_workers,
    default_workers,
)
from breachbench.generator.output.target import SUFFIXES, OutputError, format_for_suffix
from breachbench.generator.run.runner import BLOCK_ROWS, DEFAULT_PART_ROWS

DEFAULT_OUT_DIR = "breachbench-output"
DEFAULT_STEM = "patients"


def resolve_format(out: str | None, fmt: str | None) -> str:
    """``--format`` if given, else what ``--out``'s suffix announces, else Parquet."""
    if fmt is not None:
        return fmt
    return (format_for_suffix(out) if out else None) or "parquet"


def describe(summary: GenerationSummary) -> str:
    """The line printed after a run: where, what, how fast."""
    files = f"{len(summary.files)} file{'s' if len(summary.files) != 1 else ''}"
    return (
        f"Wrote {summary.rows:,} rows to {summary.path} ({summary.format}, {files}, "
        f"{summary.bytes / 1e6:,.1f} MB) in {summary.seconds:.2f} s, "
        f"{summary.rows_per_second:,.0f} rows/s; {summary.sensitive_share:.1%} sensitive, "
        f"{summary.comment_share:.1%} with a comment."
    )


@click.command("generate")
@click.option(
    "--rows",
    "-n",
    type=int,
    default=DEFAULT_ROWS,
    show_default=True,
    help="Number of patient records.",
)
@click.option(
    "--seed",
    "-s",
    type=int,
    default=DEFAULT_SEED,
    show_default=True,
    help="Seed; the same seed and options give the same rows.",
)
@click.option(
    "--out",
    "-o",
    type=str,
    default=None,
    help=f"Output file, or directory (see below). "
    f"[default: {DEFAULT_OUT_DIR}/{DEFAULT_STEM}.<format>]",
)
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="Output format. [default: from the --out suffix, else parquet]",
)
@click.option(
    "--workers",
    "-w",
    type=int,
    default=None,
    help="Worker processes (at most 2 per CPU); never changes the rows. [default: CPUs, at most 8]",
)
@click.option(
    "--comment-rate",
    type=float,
    default=DEFAULT_COMMENT_RATE,
    show_default=True,
    help="Share of records with an administrative comment, in [0, 1].",
)
@click.option(
    "--sensitive-rate",
    type=float,
    default=DEFAULT_SENSITIVE_RATE,
    show_default=True,
    help="Share of comments holding sensitive content, in [0, 1].",
)
@click.option(
    "--difficulty",
    type=click.Choice(DIFFICULTIES),
    default=DEFAULT_DIFFICULTY,
    show_default=True,
    help="Noise and template mix: easy (clean), realistic, hard (noisy, implicit forms).",
)
@click.option(
    "--hard-negative-rate",
    type=float,
    default=DEFAULT_HARD_NEGATIVE_RATE,
    show_default=True,
    help="Share of non-sensitive notes that look sensitive but are not, in [0, 1].",
)
@click.option(
    "--batch-size",
    type=int,
    default=DEFAULT_BATCH_SIZE,
    show_default=True,
    help="Rows per Parquet row group / write batch; never changes the rows.",
)
@click.option(
    "--part-rows",
    type=int,
    default=DEFAULT_PART_ROWS,
    show_default=True,
    help=f"Rows per part file of a directory output (rounded up to {BLOCK_ROWS}).",
)
@click.option(
    "--real-email-domains",
    is_flag=True,
    help="Opt in to real email domains (default: reserved domains only); recorded in the metadata.",
)
@click.option(
    "--split",
    type=click.Choice(SPLITS),
    default=None,
    help="Draw only the wording families of this split (none shared with the others)."
    " [default: every family]",
)
@click.option(
    "--split-fraction",
    type=str,
    default="0.7,0.15,0.15",
    show_default=True,
    help="Shares of the families in train,dev,test; only with --split.",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace an existing output (the default --out is always replaced).",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress bar on stderr. [default: only when stderr is a terminal]",
)
def generate(
    rows: int,
    seed: int,
    out: str | None,
    fmt: str | None,
    workers: int | None,
    comment_rate: float,
    sensitive_rate: float,
    difficulty: str,
    hard_negative_rate: float,
    batch_size: int,
    part_rows: int,
    real_email_domains: bool,
    split: str | None,
    split_fraction: str,
    overwrite: bool,
    progress: bool | None,
) -> None:
    """Generate synthetic French patient records with labelled comments.

    With no options, writes 100,000 records to breachbench-output/patients.parquet.

    \b
    Output rule:
      --out x.parquet|x.jsonl|x.csv   one file (the suffix sets the format)
      --out DIR/ or a suffix-less path, or an existing directory:
                                      DIR/part-00000.<ext>, ... plus DIR/manifest.json
                                      (rows, options, versions, sha256 of each part)
    Parquet files record the generator and taxonomy versions, the seed and every option in
    their metadata; a single JSON-lines or CSV file gets <file>.manifest.json beside it.
    In CSV, the nested columns categories and spans are JSON strings.

    The output appears only when complete (written under a temporary name, then renamed);
    an existing output is kept unless --overwrite is given (the default --out, a scratch
    location, is replaced).
    """
    fmt = resolve_format(out, fmt)
    if out is None:
        # The default location is breachbench's own scratch space: a rerun replaces it.
        out = f"{DEFAULT_OUT_DIR}/{DEFAULT_STEM}{SUFFIXES[fmt]}"
        overwrite = True
    if part_rows < 1:
        raise click.UsageError(f"part-rows must be >= 1, got {part_rows}")
    note = None
    if workers is not None and workers >= 1:
        workers, note = cap_workers(workers)
    try:
        options = GenerateOptions(
            rows=rows,
            seed=seed,
            comment_rate=comment_rate,
            sensitive_rate=sensitive_rate,
            difficulty=difficulty,  # type: ignore[arg-type]
            hard_negative_rate=hard_negative_rate,
            real_email_domains=real_email_domains,
            format=fmt,  # type: ignore[arg-type]
            workers=default_workers() if workers is None else workers,
            batch_size=batch_size,
            split=split,  # type: ignore[arg-type]
            split_fraction=split_fraction,  # type: ignore[arg-type]
        )
        if note:
            click.echo(note, err=True)
        summary = generate_dataset(
            out, options, overwrite=overwrite, progress=progress, part_rows=part_rows
        )
    except (OptionError, OutputError) as error:
        raise click.UsageError(str(error)) from error
    except OSError as error:
        raise click.ClickException(f"cannot write {out}: {error.strerror or error}") from error
    click.echo(describe(summary))
