"""``breachbench redact``: a thin shell over :func:`benchmarks.redact.redact_dataset`."""

from __future__ import annotations

from pathlib import Path

import click

from breachbench.benchmarks.adapters import LabelMappingError
from breachbench.benchmarks.protocol import DetectorFault, DetectorLoadError
from breachbench.benchmarks.redact import MODES, RedactError, RedactRequest, redact_dataset
from breachbench.benchmarks.reports.fmt import ci


@click.command("redact")
@click.argument("dataset", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--detector",
    "-d",
    default=None,
    metavar="NAME|module:attr",
    help="Detector whose spans are redacted. [default: keywords+identifiers]",
)
@click.option("--detector-cmd", "command", metavar="'CMD ARGS'", help="A JSON-lines program.")
@click.option("--labels", type=click.Path(exists=True, dir_okay=False), help="Label mapping YAML.")
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path), help="Output dir.")
@click.option(
    "--mode",
    type=click.Choice(MODES),
    default="mask",
    show_default=True,
    help="mask: █ per character (offsets kept); tag: [NOM], [SÉROLOGIE]...;"
    " pseudonym: coherent fake names, phones, e-mails, addresses.",
)
@click.option(
    "--keep-labels/--drop-labels",
    default=True,
    show_default=True,
    help="Keep the residual labels (what stays readable, moved) or drop the label columns.",
)
@click.option(
    "--lang",
    type=click.Choice(["fr", "en"]),
    default="fr",
    show_default=True,
    help="Language of the tags.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the pseudonyms.")
@click.option("--limit", type=int, default=None, help="Only the first N rows.")
@click.option("--bootstrap", type=int, default=200, show_default=True, help="Replicates.")
@click.option("--overwrite", is_flag=True, help="Replace an existing redacted.parquet.")
def redact(
    dataset: Path,
    detector: str | None,
    command: str | None,
    labels: str | None,
    out: Path,
    mode: str,
    keep_labels: bool,
    lang: str,
    seed: int,
    limit: int | None,
    bootstrap: int,
    overwrite: bool,
) -> None:
    """Redact DATASET's comments with a detector; measure what still leaks.

    Writes OUT/redacted.parquet (same columns, comments redacted, residual labels) and
    OUT/residual.json and residual.md: the exposure figures of the redaction against the
    labels (record protection, linked disclosure, character and severity-weighted leak).
    """
    if detector and command:
        raise click.UsageError("give --detector or --detector-cmd, not both")
    if limit is not None and limit < 0:
        raise click.UsageError(f"--limit must be >= 0, got {limit}")
    request = RedactRequest(
        dataset=dataset,
        out=out,
        detector=None if command else (detector or "keywords+identifiers"),
        command=command,
        labels=labels,
        mode=mode,
        keep_labels=keep_labels,
        lang=lang,
        seed=seed,
        limit=limit,
        bootstrap=bootstrap,
        overwrite=overwrite,
    )
    try:
        summary = redact_dataset(request)
    except (RedactError, LabelMappingError, DetectorLoadError) as error:
        raise click.UsageError(str(error)) from error
    except DetectorFault as error:
        raise click.ClickException(str(error)) from error
    except OSError as error:
        raise click.ClickException(f"{error.filename or out}: {error.strerror or error}") from error
    click.echo(
        f"Redacted {summary.rows:,} rows ({summary.comments:,} comments,"
        f" {summary.spans_redacted:,} spans) in {summary.seconds:.1f} s"
        f" ({summary.rows_per_second:,.0f} rows/s) -> {summary.files[0]}"
    )
    if summary.metrics and summary.metrics.get("exposure"):
        h = summary.metrics["headline"]
        for name, label in (
            ("linked_disclosure", "linked disclosure"),
            ("protection_sensitive", "records with every sensitive span masked"),
            ("severity_leak", "severity-weighted leak"),
        ):
            click.echo(f"  {label}: {ci(h.get(name))}")
    click.echo(f"Residual leak: {out / 'residual.md'}")
