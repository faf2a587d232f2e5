"""The click group every `barito` command group uses."""

from __future__ import annotations

import click

from barito_cli.stack.config import StackError

__all__ = ["CliGroup"]


class CliGroup(click.Group):
    """Turns a StackError into a one-line message and exit code 1, not a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except StackError as err:
            raise click.ClickException(str(err)) from err
