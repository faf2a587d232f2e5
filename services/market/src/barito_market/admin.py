"""``barito-market-admin``: operator commands on the market's database and topics.

    barito-market-admin [--database-url URL] [--kafka-bootstrap-servers HOSTS]
                        [--kafka-topic-prefix PREFIX] [--data-dir DIR] COMMAND

    create-user --email E [--password P | --password-stdin] [--superadmin]
    republish
    first-admin --credentials-file FILE

Each option overrides one of the market's own settings; what no option names
comes from the ``BARITO_`` environment, as for the market itself, so inside
the market's container ``barito-market-admin create-user --email you@example.com
--superadmin`` needs nothing else. ``barito admin`` runs this command with the
local stack's addresses. Exit status: 0 done, 1 refused or the database out
of reach (the message on stderr says why), 2 bad arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import secrets
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from barito_common.errors import ApiError
from barito_market.accounts import users
from barito_market.database_failures import DatabaseUnreachable
from barito_market.database_tls import DatabaseTlsError
from barito_market.db import create_engine, create_sessionmaker
from barito_market.migrations import upgrade_engine
from barito_market.registry.publisher import Publisher
from barito_market.registry.sync import republish_all
from barito_market.settings import MarketSettings

__all__ = [
    "FIRST_ADMIN_EMAIL",
    "MIN_PASSWORD_LENGTH",
    "AdminError",
    "FirstAdmin",
    "admin_settings",
    "create_user",
    "ensure_first_admin",
    "main",
    "republish",
]

FIRST_ADMIN_EMAIL = "admin@barito.local"
MIN_PASSWORD_LENGTH = 8


class AdminError(RuntimeError):
    """An admin command could not do what it was asked; the message says why."""


def admin_settings(
    *,
    database_url: str | None = None,
    kafka_bootstrap_servers: str | None = None,
    kafka_topic_prefix: str | None = None,
    data_dir: str | None = None,
) -> MarketSettings:
    """The market's settings: the arguments given, the ``BARITO_`` environment for the rest."""
    overrides: dict[str, Any] = {}
    if database_url is not None:
        overrides["database"] = {"url": database_url}
    kafka = {"bootstrap_servers": kafka_bootstrap_servers, "topic_prefix": kafka_topic_prefix}
    if kafka := {key: value for key, value in kafka.items() if value is not None}:
        overrides["kafka"] = kafka
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    return MarketSettings(**overrides)


@asynccontextmanager
async def _database(settings: MarketSettings) -> AsyncIterator[AsyncSession]:
    """A session on the market's database, migrated first as the market would at start."""
    engine = create_engine(settings)
    try:
        await upgrade_engine(engine)
        async with create_sessionmaker(engine)() as session:
            yield session
    finally:
        await engine.dispose()


async def create_user(
    settings: MarketSettings, *, email: str, password: str, superadmin: bool
) -> None:
    """Create an account; :class:`AdminError` when its email is taken."""
    async with _database(settings) as session:
        try:
            await users.create_user(session, email=email, password=password, superadmin=superadmin)
        except ApiError as err:
            raise AdminError(err.message) from err
        await session.commit()


async def republish(settings: MarketSettings) -> int:
    """Publish every app's profile from the database again; returns how many."""
    publisher = Publisher(settings.kafka, timeout_s=settings.kafka_timeout_s)
    await publisher.start()
    try:
        async with _database(settings) as session:
            try:
                return await republish_all(session, publisher, settings)
            except ApiError as err:
                raise AdminError(err.message) from err
    finally:
        await publisher.stop()


@dataclass(frozen=True)
class FirstAdmin:
    email: str
    password: str | None  # None: the account exists but its password was not kept here
    created: bool


def ensure_first_admin(settings: MarketSettings, credentials_file: Path) -> FirstAdmin:
    """The installation's first superadmin, created once; later runs return the same one.

    The password is generated on the first run and kept (mode 0600) in
    ``credentials_file``, so every `barito up` can print it again.
    """
    known = credentials_file.exists()
    if known:
        email, password = credentials_file.read_text().splitlines()[:2]
    else:
        email, password = FIRST_ADMIN_EMAIL, secrets.token_urlsafe(12)
    try:
        asyncio.run(create_user(settings, email=email, password=password, superadmin=True))
    except AdminError:
        # It exists already, made by an earlier run (or by hand).
        return FirstAdmin(email, password if known else None, created=False)
    credentials_file.parent.mkdir(parents=True, exist_ok=True)
    credentials_file.touch(mode=0o600)
    credentials_file.write_text(f"{email}\n{password}\n")
    return FirstAdmin(email, password, created=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="barito-market-admin",
        description="Operator commands on the market's database and topics. Options not "
        "given come from the market's BARITO_ environment.",
    )
    parser.add_argument("--database-url", help="The market's database (BARITO_DATABASE__URL).")
    parser.add_argument(
        "--kafka-bootstrap-servers", help="Kafka's addresses (BARITO_KAFKA__BOOTSTRAP_SERVERS)."
    )
    parser.add_argument(
        "--kafka-topic-prefix", help="The installation's topic prefix (BARITO_KAFKA__TOPIC_PREFIX)."
    )
    parser.add_argument(
        "--data-dir", help="The embedded SQLite's folder, without a database URL (BARITO_DATA_DIR)."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-user", help="Create an account (the first superadmin).")
    create.add_argument("--email", required=True, help="The account's email (its login).")
    given = create.add_mutually_exclusive_group()
    given.add_argument("--password", help="The password (asked for when not given).")
    given.add_argument(
        "--password-stdin", action="store_true", help="Read the password from standard input."
    )
    create.add_argument(
        "--superadmin", action="store_true", help="Give the account every right everywhere."
    )
    commands.add_parser(
        "republish", help="Rebuild the apps topic: every app's profile from the database."
    )
    first = commands.add_parser(
        "first-admin", help="Create the installation's first superadmin once; print it."
    )
    first.add_argument(
        "--credentials-file", required=True, type=Path, help="Where its password is kept (0600)."
    )
    return parser


def _password(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str:
    if args.password is not None:
        password: str = args.password
    elif args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat for confirmation: ") != password:
            parser.error("the two passwords differ")
    if len(password) < MIN_PASSWORD_LENGTH:
        parser.error(f"--password: at least {MIN_PASSWORD_LENGTH} characters")
    return password


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str:
    settings = admin_settings(
        database_url=args.database_url,
        kafka_bootstrap_servers=args.kafka_bootstrap_servers,
        kafka_topic_prefix=args.kafka_topic_prefix,
        data_dir=args.data_dir,
    )
    if args.command == "create-user":
        password = _password(parser, args)
        asyncio.run(
            create_user(settings, email=args.email, password=password, superadmin=args.superadmin)
        )
        return f"created {'superadmin' if args.superadmin else 'user'} {args.email.strip().lower()}"
    if args.command == "republish":
        count = asyncio.run(republish(settings))
        return f"republished {count} app profile{'' if count == 1 else 's'}"
    admin = ensure_first_admin(settings, args.credentials_file)
    if admin.password is None:
        return (
            f"superadmin {admin.email} exists, but its password is not in "
            f"{args.credentials_file}; set one with create-user"
        )
    return f"superadmin {admin.email} password {admin.password}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; 0 when done, 1 when refused (the reason on stderr)."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        print(_run(parser, args))
    except (AdminError, DatabaseUnreachable, DatabaseTlsError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
