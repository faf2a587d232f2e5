"""The market's database: the engine, its sessions and its readiness probe.

Postgres (asyncpg) in production, over TLS as ``database.ssl_mode`` says
(:mod:`barito_market.database_tls`); embedded SQLite (aiosqlite) when no URL
is set. A connection that cannot be opened raises
:class:`~barito_market.database_failures.DatabaseUnreachable`, naming why.
Routes get a session as ``SessionDep`` (:mod:`barito_market.dependencies`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from barito_common.settings import DatabaseSettings
from barito_market.database_failures import explain_connect_failures
from barito_market.database_tls import tls_connect_args
from barito_market.settings import MarketSettings

__all__ = [
    "DatabaseProbe",
    "create_engine",
    "create_sessionmaker",
    "database_url",
    "engine_for_url",
]


def database_url(settings: MarketSettings) -> str:
    if settings.database.url:
        return settings.database.url.get_secret_value()
    data_dir = Path(settings.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite+aiosqlite:///{(data_dir / 'market.db').resolve()}"


def _enforce_sqlite_foreign_keys(dbapi_connection: Any, _: Any) -> None:
    # SQLite ignores foreign keys (and so ON DELETE CASCADE) unless asked per connection.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_engine(settings: MarketSettings) -> AsyncEngine:
    return engine_for_url(database_url(settings), settings.database)


def engine_for_url(url: str, tls: DatabaseSettings | None = None) -> AsyncEngine:
    """The engine of the database at ``url``, with ``tls``' ssl_mode and ssl_cafile.

    Raises :class:`~barito_market.database_tls.DatabaseTlsError` when they
    cannot apply (TLS for SQLite, a CA file that cannot be read).
    """
    tls = tls or DatabaseSettings()
    connect_args = tls_connect_args(url, tls)
    if url.startswith("sqlite"):
        # SQLite has one writer: a second one waits for it (up to 30 s)
        # instead of failing at once with "database is locked".
        connect_args["timeout"] = 30
    # pool_pre_ping replaces connections that died while Postgres restarted.
    engine = create_async_engine(url, pool_pre_ping=True, connect_args=connect_args)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _enforce_sqlite_foreign_keys)
    else:
        explain_connect_failures(engine, tls)
    return engine


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # Objects stay readable after commit, so a route can answer with what it saved.
    return async_sessionmaker(engine, expire_on_commit=False)


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
