"""`barito admin`: operator commands on the market's database and topics.

barito admin create-user --email E --password P [--superadmin]
barito admin republish
"""

from __future__ import annotations

import asyncio

import click

from barito_cli.market_admin import AdminError, create_user, market_settings, republish
from barito_cli.stack.config import StackError, load_config
from barito_cli.suite import service_environment
from barito_market.settings import MarketSettings

__all__ = ["admin"]


def _settings() -> MarketSettings:
    try:
        defaults = service_environment(load_config(), "market")
    except StackError:
        defaults = {}  # outside a checkout: the BARITO_ environment alone decides
    return market_settings(defaults)


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
    if len(password) < 8:
        raise click.BadParameter("at least 8 characters", param_hint="--password")
    try:
        asyncio.run(create_user(_settings(), email=email, password=password, superadmin=superadmin))
    except AdminError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"created {'superadmin' if superadmin else 'user'} {email.strip().lower()}")


@admin.command("republish")
def republish_command() -> None:
    """Rebuild the apps topic: publish every app's profile from the database."""
    try:
        count = asyncio.run(republish(_settings()))
    except AdminError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"republished {count} app profile{'' if count == 1 else 's'}")
