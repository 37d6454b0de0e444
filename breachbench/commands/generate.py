"""``breachbench generate``: a thin shell over :func:`generator.api.generate_dataset`."""

from __future__ import annotations

from pathlib import Path

import click

from breachbench.generator.api import (
    ENGINES,
    GenerationSummary,
    MergeResult,
    generate_dataset,
    merge_shards,
)
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
    Shard,
    cap_workers,
    default_workers,
    parse_shard,
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
    """The line printed after a run: where, what, how fast (and, for a shard, whether the
    dataset is now whole)."""
    if summary.nothing_to_do is not None:
        line = f"Nothing to do: {summary.nothing_to_do}."
    else:
        files = f"{len(summary.files)} file{'s' if len(summary.files) != 1 else ''}"
        kept = (
            f", {summary.resumed_rows:,} of them kept from the interrupted run"
            if summary.resumed_rows
            else ""
        )
        line = (
            f"Wrote {summary.rows:,} rows to {summary.path} ({summary.format}, {files}, "
            f"{summary.bytes / 1e6:,.1f} MB{kept}) in {summary.seconds:.2f} s, "
            f"{summary.rows_per_second:,.0f} rows/s; {summary.sensitive_share:.1%} sensitive, "
            f"{summary.comment_share:.1%} with a comment."
        )
    if summary.merged is not None:
        line += " " + describe_merge(summary.merged)
    return line


def describe_merge(merged: MergeResult) -> str:
    """Whether the shards make a whole dataset yet."""
    if merged.missing:
        shown = ", ".join(str(index) for index in merged.missing[:10])
        more = ", ..." if len(merged.missing) > 10 else ""
        return (
            f"{len(merged.missing)} of {merged.count} shards still missing ({shown}{more}):"
            " the last one to finish writes manifest.json."
        )
    return (
        f"All {merged.count} shards are in: wrote {merged.directory / 'manifest.json'}"
        f" ({merged.rows:,} rows in {len(merged.files)} parts, {merged.bytes / 1e6:,.1f} MB)."
    )


def _shard(ctx: click.Context, param: click.Parameter, value: str | None) -> Shard | None:
    if value is None:
        return None
    try:
        return parse_shard(value)
    except OptionError as error:
        raise click.BadParameter(str(error), ctx=ctx, param=param) from None


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
    "--shard",
    metavar="I/N",
    callback=_shard,
    default=None,
    help="Write only shard I of N (I from 0) of a directory output: its part files and a"
    " shard manifest; the last shard in writes manifest.json.",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Directory output: keep the finished parts if interrupted, and continue an"
    " interrupted --resume run from them.",
)
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default="local",
    show_default=True,
    help="Who writes the part files of a directory output: local processes, or Dask tasks.",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    default=None,
    help="Dask scheduler (tcp://host:8786 or a scheduler file) for --engine dask."
    " [default: a local cluster of --workers processes]",
)
@click.option(
    "--merge-manifests",
    "merge_dir",
    metavar="DIR",
    default=None,
    help="Generate nothing: write DIR/manifest.json (and the card) from the shard manifests"
    " of shards copied into DIR.",
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
    shard: Shard | None,
    resume: bool,
    engine: str,
    scheduler: str | None,
    merge_dir: str | None,
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

    \b
    Past one machine (directory outputs):
      --shard I/N --out DIR/     each machine writes its shard into DIR (shared, or copied
                                 together then --merge-manifests DIR); the union is the
                                 single-machine dataset, file for file
      --resume                   an interrupted run continues from its finished parts
      --engine dask              parts written as Dask tasks ([--scheduler ADDRESS])
    """
    if merge_dir is not None:
        _merge(merge_dir)
        return
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
            out,
            options,
            overwrite=overwrite,
            progress=progress,
            part_rows=part_rows,
            shard=shard,
            resume=resume,
            engine=engine,  # type: ignore[arg-type]
            scheduler=scheduler,
        )
    except (OptionError, OutputError) as error:
        raise click.UsageError(str(error)) from error
    except OSError as error:
        raise click.ClickException(f"cannot write {out}: {error.strerror or error}") from error
    except KeyboardInterrupt:
        if resume or shard is not None:
            click.echo("Finished parts kept: the same command with --resume continues.", err=True)
        raise
    click.echo(describe(summary))


def _merge(directory: str) -> None:
    """``--merge-manifests DIR``: one line, exit 0 when whole, 2 when shards are missing."""
    try:
        merged = merge_shards(Path(directory))
    except OutputError as error:
        raise click.UsageError(str(error)) from error
    except OSError as error:
        raise click.ClickException(
            f"cannot write {directory}: {error.strerror or error}"
        ) from error
    if merged.missing:
        shown = ", ".join(str(index) for index in merged.missing[:10])
        more = ", ..." if len(merged.missing) > 10 else ""
        raise click.UsageError(
            f"{directory}: {len(merged.missing)} of {merged.count} shards missing"
            f" ({shown}{more}); copy their part files and manifest.shard-*.json in, then merge"
        )
    click.echo(describe_merge(merged))
