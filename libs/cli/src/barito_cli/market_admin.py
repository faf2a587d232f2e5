"""What `barito admin` and `barito up` do to the market's database and topics.

They run in the CLI's process, on the market's own settings: the ``BARITO_``
environment when it is set, else the local stack's (the same values
``barito up`` gives the market process).
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from barito_common.errors import ApiError
from barito_market import accounts
from barito_market.db import create_engine, create_sessionmaker
from barito_market.migrations import upgrade_engine
from barito_market.registry.publisher import Publisher
from barito_market.registry.sync import republish_all
from barito_market.settings import MarketSettings

__all__ = [
    "FIRST_ADMIN_EMAIL",
    "AdminError",
    "FirstAdmin",
    "create_user",
    "ensure_first_admin",
    "market_settings",
    "republish",
]

FIRST_ADMIN_EMAIL = "admin@barito.local"


class AdminError(RuntimeError):
    """An admin command could not do what it was asked; the message says why."""


def market_settings(defaults: Mapping[str, str]) -> MarketSettings:
    """The market's settings: BARITO_ variables first, then ``defaults``."""
    saved = dict(os.environ)
    try:
        for key, value in defaults.items():
            if key != "BARITO_PORT":
                os.environ.setdefault(key, value)
        return MarketSettings()
    finally:
        os.environ.clear()
        os.environ.update(saved)


async def create_user(
    settings: MarketSettings, *, email: str, password: str, superadmin: bool
) -> None:
    engine = create_engine(settings)
    try:
        await upgrade_engine(engine)
        async with create_sessionmaker(engine)() as session:
            try:
                await accounts.create_user(
                    session, email=email, password=password, superadmin=superadmin
                )
            except ApiError as err:
                raise AdminError(err.message) from err
            await session.commit()
    finally:
        await engine.dispose()


async def republish(settings: MarketSettings) -> int:
    """Publish every app's profile from the database again; returns how many."""
    engine = create_engine(settings)
    publisher = Publisher(settings.kafka, timeout_s=settings.kafka_timeout_s)
    await publisher.start()
    try:
        await upgrade_engine(engine)
        async with create_sessionmaker(engine)() as session:
            try:
                return await republish_all(session, publisher, settings)
            except ApiError as err:
                raise AdminError(err.message) from err
    finally:
        await publisher.stop()
        await engine.dispose()


@dataclass(frozen=True)
class FirstAdmin:
    email: str
    password: str | None  # None: the account exists but its password was not kept here
    created: bool


def ensure_first_admin(settings: MarketSettings, credentials_file: Path) -> FirstAdmin:
    """The installation's first superadmin, created once; later runs return the same one.

    The password is generated on the first run and kept (mode 0600) in the
    stack's state directory, so every `barito up` can print it again.
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
