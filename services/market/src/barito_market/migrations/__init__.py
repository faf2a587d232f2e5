"""The market's schema migrations (Alembic), run from code: no alembic.ini.

The market upgrades to head at start-up; tests and the CLI call the same
functions::

    await upgrade("postgresql+asyncpg://.../market")
    await downgrade("sqlite+aiosqlite:///market.db")   # to an empty schema
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from barito_common.settings import DatabaseSettings
from barito_market.database_failures import explain_connect_failures
from barito_market.database_tls import tls_connect_args

__all__ = ["alembic_config", "downgrade", "upgrade", "upgrade_engine"]

_HERE = Path(__file__).resolve().parent
# A fixed 64-bit key of the Postgres advisory lock that serialises upgrades
# ("barito-m" in ASCII); the storage check (barito_market.storage.checks) takes another key.
_MIGRATION_LOCK_KEY = 0x62617269746F2D6D


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_HERE))
    # The connection travels in attributes, so env.py never opens its own and
    # migrations run inside the caller's event loop.
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    command.upgrade(alembic_config(connection), revision)


def _downgrade(connection: Connection, revision: str) -> None:
    command.downgrade(alembic_config(connection), revision)


async def upgrade_engine(engine: AsyncEngine, revision: str = "head") -> None:
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Replicas starting together would each build the schema and all but
            # one crash on it; this lock, held until the transaction ends, makes
            # the others wait and then find the schema already at ``revision``.
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY}
            )
        await connection.run_sync(_upgrade, revision)


def _migration_engine(url: str, tls: DatabaseSettings | None) -> AsyncEngine:
    # The engine migrations have always run on, not db.engine_for_url's: that
    # SQLite enforces foreign keys, which a batch migration's table rebuild
    # (dropping the old table) may trip over.
    tls = tls or DatabaseSettings()
    engine = create_async_engine(url, connect_args=tls_connect_args(url, tls))
    if engine.dialect.name != "sqlite":
        explain_connect_failures(engine, tls)
    return engine


async def upgrade(url: str, revision: str = "head", *, tls: DatabaseSettings | None = None) -> None:
    """Bring the database at ``url`` up to ``revision`` (default: the newest).

    ``tls``: its ssl_mode and ssl_cafile, as the market would dial ``url``.
    """
    engine = _migration_engine(url, tls)
    try:
        await upgrade_engine(engine, revision)
    finally:
        await engine.dispose()


async def downgrade(
    url: str, revision: str = "base", *, tls: DatabaseSettings | None = None
) -> None:
    """Take the database at ``url`` down to ``revision`` (default: no tables at all)."""
    engine = _migration_engine(url, tls)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_downgrade, revision)
    finally:
        await engine.dispose()
