"""A Click group that imports a sub-command only when it runs (Click's "LazyGroup" pattern).

``breachbench generate`` must not pay for importing the benchmark harness (detectors,
reports, scoring: about a second), nor ``breachbench bench`` for the generator's. Each
sub-command is named by ``module:attribute`` and imported by :meth:`LazyGroup.get_command`.
The group's own ``--help`` lists every command with a one-line help kept beside its
import path, so that listing them imports none (Click's default would import them all to
read their docstrings); ``tests/test_readme.py`` checks those lines against the commands.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from gettext import gettext as _
from typing import Any

import click


@dataclass(frozen=True)
class LazyCommand:
    """Where a sub-command lives, and the line ``--help`` shows for it."""

    target: str  # "package.module:attribute"
    short_help: str  # the first sentence of the command's docstring

    def load(self) -> click.Command:
        module, _, attribute = self.target.partition(":")
        command = getattr(importlib.import_module(module), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.target} is not a click command")
        return command


class LazyGroup(click.Group):
    """A group whose ``lazy_subcommands`` are imported on first use, by name."""

    def __init__(
        self, *args: Any, lazy_subcommands: Mapping[str, LazyCommand] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_subcommands: dict[str, LazyCommand] = dict(lazy_subcommands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_subcommands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy_subcommands:
            self.add_command(self.lazy_subcommands[cmd_name].load(), cmd_name)
        return super().get_command(ctx, cmd_name)

    def help_line(self, ctx: click.Context, cmd_name: str, limit: int) -> str | None:
        """A command's line in the group's help, without importing a lazy one."""
        if cmd_name not in self.commands and cmd_name in self.lazy_subcommands:
            # A stand-in command shortens the line exactly as Click shortens a docstring.
            stand_in = click.Command(cmd_name, help=self.lazy_subcommands[cmd_name].short_help)
            return stand_in.get_short_help_str(limit)
        command = self.get_command(ctx, cmd_name)
        if command is None or command.hidden:
            return None
        return command.get_short_help_str(limit)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Click's listing of the commands, with the lines of :meth:`help_line`."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = [
            (name, line) for name in names if (line := self.help_line(ctx, name, limit)) is not None
        ]
        if rows:
            with formatter.section(_("Commands")):  # as Click words it
                formatter.write_dl(rows)
