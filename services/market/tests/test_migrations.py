"""The market's migrations take an empty database to the newest schema and back.

Run against both databases the market supports: Postgres (production) and
SQLite (the embedded default).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from barito_market.migrations import downgrade, upgrade
from barito_market.models import Base
from barito_testing.market import postgres_database


@pytest.fixture(params=["postgres", "sqlite"])
async def empty_database(
    request: pytest.FixtureRequest, stack: Any, tmp_path: Path
) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'market.db'}"
        return
    async with postgres_database(stack.postgres_url) as url:
        yield url


async def inspect_database(url: str) -> tuple[set[str], list[Any]]:
    """The tables present, and how the schema differs from the models (empty: it does not)."""

    def look(connection: Connection) -> tuple[set[str], list[Any]]:
        tables = set(inspect(connection).get_table_names())
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        return tables, differences

    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(look)
    finally:
        await engine.dispose()


async def test_upgrade_builds_every_table_of_the_models_and_downgrade_removes_them(
    empty_database: str,
) -> None:
    await upgrade(empty_database)
    tables, differences = await inspect_database(empty_database)
    assert set(Base.metadata.tables) <= tables
    assert differences == []

    await downgrade(empty_database)
    tables, _ = await inspect_database(empty_database)
    assert tables <= {"alembic_version"}

    # And up again: a downgrade leaves nothing behind that blocks a fresh upgrade.
    await upgrade(empty_database)
    tables, differences = await inspect_database(empty_database)
    assert set(Base.metadata.tables) <= tables
    assert differences == []


async def test_replicas_starting_together_on_an_empty_postgres_all_come_up(stack: Any) -> None:
    # Market replicas deployed at once each upgrade at start: one builds the
    # schema, the others wait for it and find nothing left to do. Separate
    # processes, as replicas are (Alembic's context is global to a process).
    script = "import asyncio, sys; from barito_market.migrations import upgrade; "
    script += "asyncio.run(upgrade(sys.argv[1]))"
    async with postgres_database(stack.postgres_url) as url:
        replicas = [
            await asyncio.create_subprocess_exec(
                sys.executable, "-c", script, url, stderr=asyncio.subprocess.PIPE
            )
            for _ in range(3)
        ]
        failures = []
        for replica in replicas:
            _, stderr = await replica.communicate()
            if replica.returncode != 0:
                failures.append(stderr.decode()[-400:])
        assert failures == []

        tables, differences = await inspect_database(url)
    assert set(Base.metadata.tables) <= tables
    assert differences == []
