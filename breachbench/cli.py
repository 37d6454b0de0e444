"""The ``breachbench`` command: a Click group whose commands live in ``breachbench.commands``.

Each command is a thin shell over one library call. To add one, write
``breachbench/commands/<name>.py`` exposing a ``click.Command`` and list it in
:data:`COMMANDS` with its one-line help: commands are imported only when they run (see
``breachbench.lazy``), so ``generate`` never loads the benchmark harness. Every error a
user can cause prints one line on stderr: usage errors exit 2, other failures 1, Ctrl-C
130, SIGTERM 143 and SIGHUP 129 (both cleaned up exactly like Ctrl-C); no traceback.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import click
from click.exceptions import NoArgsIsHelpError

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
    "merge": LazyCommand(
        "breachbench.commands.merge:merge",
        "Combine bench runs of disjoint shards (RUN_DIR...) into one result.",
    ),
    "redact": LazyCommand(
        "breachbench.commands.redact:redact",
        "Redact DATASET's comments with a detector; measure what still leaks.",
    ),
    "reid": LazyCommand(
        "breachbench.commands.reid:reid",
        "Re-identification on DATASET: uniqueness, k-anonymity, generalisation; HTML report.",
    ),
    "exercise": LazyCommand(
        "breachbench.commands.exercise:exercise",
        "Make a class exercise from a synthetic breach (create), and grade submissions.",
    ),
    "blind": LazyCommand(
        "breachbench.commands.blind:blind",
        "A blind test: can a reader tell generated notes from hand-written ones? (make, score)",
    ),
    "train": LazyCommand(
        "breachbench.commands.train:train",
        "Train a learned detector on DATASET and write it to --out.",
    ),
    "describe": LazyCommand(
        "breachbench.commands.describe:describe",
        "Print what DATASET is made of: shares, label counts, lengths, forms, diversity.",
    ),
    "check": LazyCommand(
        "breachbench.commands.check:check",
        "Count contradictions between each comment and its own row, per rule and per 1,000.",
    ),
}


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised where Ctrl-C would be so the same cleanup runs.

    A KeyboardInterrupt on purpose: every ``except KeyboardInterrupt``/``finally`` that
    removes temporary output for Ctrl-C removes it for a ``kill`` or a closed terminal too.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _terminate(signum: int, frame: object) -> None:
    raise Terminated(signum)


_REDELIVER_SECONDS = 0.05


def _redeliver(previous: Any) -> Any:
    """An unraisable-exception hook that sends a lost interruption again.

    A signal whose handler runs while a finaliser does (a generator being closed, a
    ``__del__``) raises there, where CPython prints "Exception ignored" and goes on: the
    ``kill`` would be lost and the run would go on. The hook sends the same signal again a
    moment later, from a timer thread, so that it lands once the finaliser is over (sent
    at once, it would land in the hook itself, which drops it the same way).
    """

    def hook(unraisable: Any) -> None:
        error = unraisable.exc_value
        if not isinstance(error, KeyboardInterrupt):
            previous(unraisable)
            return
        signum = error.signum if isinstance(error, Terminated) else signal.SIGINT
        timer = threading.Timer(_REDELIVER_SECONDS, os.kill, (os.getpid(), signum))
        timer.daemon = True
        timer.start()

    return hook


@contextlib.contextmanager
def signals_as_interrupts() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into :class:`Terminated` while the block runs (in the main
    thread only), and send again an interruption a finaliser swallowed (:func:`_redeliver`);
    then put back the handlers there were (a host calling ``main`` keeps its own)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signum = getattr(signal, name)
            previous[signum] = signal.signal(signum, _terminate)
    previous_hook = sys.unraisablehook
    sys.unraisablehook = _redeliver(previous_hook)
    try:
        yield
    finally:
        sys.unraisablehook = previous_hook
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _interrupted(error: BaseException) -> int:
    """Exit code of an interruption: 128 + the signal number (130 for Ctrl-C)."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, Terminated):
            return 128 + cause.signum
        cause = cause.__cause__ or cause.__context__
    return 130


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(code - 128).name
    except ValueError:
        return f"signal {code - 128}"


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
            with signals_as_interrupts():
                code = super().main(args, prog_name, complete_var, False, **extra)
        except NoArgsIsHelpError as error:  # plain `breachbench`: the help, as Click prints it
            click.echo(error.ctx.get_help() if error.ctx else error.format_message(), err=True)
            sys.exit(error.exit_code)
        except click.ClickException as error:
            message = " ".join(error.format_message().split())
            click.echo(f"Error: {message}", err=True)
            sys.exit(error.exit_code)
        except (click.Abort, KeyboardInterrupt) as error:
            code = _interrupted(error)
            click.echo("Aborted." if code == 130 else f"Aborted ({_signal_name(code)}).", err=True)
            sys.exit(code)
        sys.exit(code if isinstance(code, int) else 0)


@click.group(
    cls=OneLineErrorGroup,
    lazy_subcommands=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="breachbench")
def main() -> None:
    """Synthetic French patient records with labelled comments, and a detector benchmark."""
