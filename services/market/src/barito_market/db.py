"""The market's database engine: Postgres in production, embedded SQLite by default."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from barito_market.settings import MarketSettings

__all__ = ["DatabaseProbe", "create_engine", "database_url"]


def database_url(settings: MarketSettings) -> str:
    if settings.database.url:
        return settings.database.url
    data_dir = Path(settings.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite+aiosqlite:///{(data_dir / 'market.db').resolve()}"


def create_engine(settings: MarketSettings) -> AsyncEngine:
    # pool_pre_ping replaces connections that died while Postgres restarted.
    return create_async_engine(database_url(settings), pool_pre_ping=True)


class DatabaseProbe:
    """Answers /readyz: one round trip to the database."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @property
    def name(self) -> str:
        return (
            "postgres" if self._engine.dialect.name == "postgresql" else self._engine.dialect.name
        )

    async def check(self) -> None:
        async with self._engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
