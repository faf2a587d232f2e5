"""A throwaway market database on the stack's Postgres, migrated to head.

async with throwaway_database(stack) as sessions:
    async with sessions() as session: ...
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from barito_market.db import create_sessionmaker, engine_for_url
from barito_market.migrations import upgrade

__all__ = ["throwaway_database"]


def _asyncpg_url(url: str, database: str) -> str:
    return url.rsplit("/", 1)[0].replace("postgresql+asyncpg://", "postgresql://") + f"/{database}"


@asynccontextmanager
async def throwaway_database(stack: Any) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A fresh database at head; dropped afterwards."""
    name = f"market_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(_asyncpg_url(stack.postgres_url, "postgres"))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        base = stack.postgres_url.rsplit("/", 1)[0]
        if base.startswith("postgresql://"):
            base = "postgresql+asyncpg://" + base.removeprefix("postgresql://")
        url = f"{base}/{name}"
        await upgrade(url)
        engine = engine_for_url(url)
        try:
            yield create_sessionmaker(engine)
        finally:
            await engine.dispose()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
