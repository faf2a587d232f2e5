"""The market's production database: a real Postgres from the local stack."""

from __future__ import annotations

import asyncpg
import pytest

pytestmark = pytest.mark.stack


async def test_a_row_written_through_asyncpg_reads_back_in_a_fresh_database(
    stack, unique_name
) -> None:
    database = unique_name.replace("-", "_")
    admin = await asyncpg.connect(stack.postgres_url.rsplit("/", 1)[0] + "/postgres")
    try:
        await admin.execute(f'CREATE DATABASE "{database}"')
        connection = await asyncpg.connect(stack.postgres_url.rsplit("/", 1)[0] + f"/{database}")
        try:
            await connection.execute(
                "CREATE TABLE apps (id serial PRIMARY KEY, slug text UNIQUE NOT NULL, tps int)"
            )
            await connection.execute(
                "INSERT INTO apps (slug, tps) VALUES ($1, $2)", "checkout", 500
            )
            row = await connection.fetchrow(
                "SELECT slug, tps FROM apps WHERE slug = $1", "checkout"
            )
            assert dict(row) == {"slug": "checkout", "tps": 500}
            with pytest.raises(asyncpg.UniqueViolationError):
                await connection.execute("INSERT INTO apps (slug, tps) VALUES ('checkout', 1)")
        finally:
            await connection.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}"')
        await admin.close()
