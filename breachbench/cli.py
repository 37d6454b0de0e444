"""The ``breachbench`` command: a Click group whose commands live in ``breachbench.commands``.

Each command is a thin shell over one library call. To add one, write
``breachbench/commands/<name>.py`` exposing a ``click.Command`` and list it in
:data:`COMMANDS` with its one-line help: commands are imported only when they run (see
``breachbench.lazy``), so ``generate`` never loads the benchmark harness. Every error a
user can cause prints one line on stderr: usage errors exit 2, other failures 1, Ctrl-C
130; no traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import click

from breachbench import __version__
from breachbench.lazy import LazyCommand, LazyGroup

COMMANDS: dict[str, LazyCommand] = {
    "generate": LazyCommand(
        "breachbench.commands.generate:generate",
        "Generate synthetic French patient records with labelled comments.",
    ),
    "bench": LazyCommand(
        "breachbench.commands.bench:bench",
        "Benchmark detectors on DATASET: accuracy with intervals, leak rate, throughput.",
    ),
    "compare": LazyCommand(
        "breachbench.commands.compare:compare",
        "Leaderboard of several results.json; paired tests for runs on the same dataset.",
    ),
    "train": LazyCommand(
        "breachbench.commands.train:train",
        "Train a learned detector on DATASET and write it to --out.",
    ),
    "describe": LazyCommand(
        "breachbench.commands.describe:describe",
        "Print what DATASET is made of: shares, label counts, lengths, forms, diversity.",
    ),
}


class OneLineErrorGroup(LazyGroup):
    """A group that reports errors as a single ``Error: ...`` line instead of usage + hint."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.ClickException as error:
            message = " ".join(error.format_message().split())
            click.echo(f"Error: {message}", err=True)
            sys.exit(error.exit_code)
        except click.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(130)
        sys.exit(code if isinstance(code, int) else 0)


@click.group(
    cls=OneLineErrorGroup,
    lazy_subcommands=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="breachbench")
def main() -> None:
    """Synthetic French patient records with labelled comments, and a detector benchmark."""
