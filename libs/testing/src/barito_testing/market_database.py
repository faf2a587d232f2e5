"""A market database migrated to head: a throwaway one on the stack's Postgres, or any URL.

async with throwaway_database(stack) as sessions:
    async with sessions() as session: ...

async with migrated_sessions(f"sqlite+aiosqlite:///{tmp_path / 'market.db'}") as sessions: ...

tls = DatabaseSettings(ssl_mode="verify-full", ssl_cafile=...)
async with migrated_sessions(url, tls=tls) as sessions: ...
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from barito_common.settings import DatabaseSettings
from barito_market.db import create_sessionmaker, engine_for_url
from barito_market.migrations import upgrade
from barito_testing.market import postgres_database

__all__ = ["migrated_sessions", "throwaway_database"]


@asynccontextmanager
async def migrated_sessions(
    url: str, *, tls: DatabaseSettings | None = None
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on the database at ``url``, migrated the way the market migrates at start.

    ``tls``: its ssl_mode and ssl_cafile, as the market would dial ``url``.
    """
    await upgrade(url, tls=tls)
    engine = engine_for_url(url, tls)
    try:
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()


@asynccontextmanager
async def throwaway_database(stack: Any) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A fresh database on the stack's Postgres at head; dropped afterwards."""
    async with postgres_database(stack.postgres_url) as url, migrated_sessions(url) as sessions:
        yield sessions
