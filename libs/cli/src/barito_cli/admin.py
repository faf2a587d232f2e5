"""`barito admin`: the market's operator commands, run against the local stack.

barito admin create-user --email E [--password P] [--superadmin]
barito admin republish

Each runs the market's own ``barito-market-admin`` (see
:mod:`barito_cli.market_admin`) with the local stack's addresses; a
``BARITO_`` variable in the environment wins over the stack's value.
"""

from __future__ import annotations

from collections.abc import Sequence

import click

from barito_cli.market_admin import MarketAdminError, run_market_admin
from barito_cli.stack.config import StackError, load_config
from barito_cli.suite import service_environment

__all__ = ["admin"]

MIN_PASSWORD_LENGTH = 8  # the market's own rule, checked before the prompt is forgotten


def _run(command: Sequence[str], *, stdin: str | None = None) -> None:
    try:
        stack = service_environment(load_config(), "market")
    except StackError:
        stack = {}  # outside a checkout: the BARITO_ environment alone decides
    try:
        click.echo(run_market_admin(command, stack, stdin=stdin))
    except MarketAdminError as err:
        raise click.ClickException(str(err)) from err


@click.group()
def admin() -> None:
    """Operator commands: accounts and the app registry (uses BARITO_ settings)."""


@admin.command("create-user")
@click.option("--email", required=True, help="The account's email (its login).")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="The password (prompted for when not given).",
)
@click.option("--superadmin", is_flag=True, help="Give the account every right everywhere.")
def create_user_command(email: str, password: str, superadmin: bool) -> None:
    """Create an account (the first superadmin comes from here)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.BadParameter(
            f"at least {MIN_PASSWORD_LENGTH} characters", param_hint="--password"
        )
    # On standard input, never on the command line, where `ps` would show it.
    command = ["create-user", "--email", email, "--password-stdin"]
    _run([*command, "--superadmin"] if superadmin else command, stdin=f"{password}\n")


@admin.command("republish")
def republish_command() -> None:
    """Rebuild the apps topic: publish every app's profile from the database."""
    _run(["republish"])
