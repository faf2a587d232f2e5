"""Fixtures of the market's own tests: a migrated SQLite database per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from barito_market.db import create_sessionmaker, engine_for_url
from barito_market.migrations import upgrade


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on a fresh SQLite database, migrated the way the market migrates at start."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'market.db'}"
    await upgrade(url)
    engine = engine_for_url(url)
    try:
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()
