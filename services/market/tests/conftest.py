"""Fixtures of the market's own tests.

* ``sessions`` — a migrated SQLite database per test (no engine needed).
* ``market_on_each_database`` — a running market, once on a throwaway
  Postgres database and once on embedded SQLite, one per test module.
* ``users`` — one account per role a test plays (owner, admin, member,
  outsider, superadmin) on the test module's own ``market``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from barito_testing.market import (
    Market,
    MarketUser,
    market_on_postgres,
    market_settings,
    running_market,
)
from barito_testing.market_database import migrated_sessions


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on a fresh SQLite database, migrated the way the market migrates at start."""
    async with migrated_sessions(f"sqlite+aiosqlite:///{tmp_path / 'market.db'}") as made:
        yield made


@pytest.fixture(scope="module", params=["postgres", "sqlite"])
async def market_on_each_database(
    request: pytest.FixtureRequest, stack: Any, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Market]:
    """The market on Postgres, then on embedded SQLite; three failed logins are throttled."""
    overrides = {"login_max_failures": 3}
    if request.param == "postgres":
        async with market_on_postgres(stack, **overrides) as market:
            yield market
        return
    data_dir = tmp_path_factory.mktemp("market")
    settings = market_settings(
        kafka_bootstrap=stack.kafka_bootstrap,
        database_url=None,
        data_dir=str(data_dir),
        **overrides,
    )
    async with running_market(settings) as market:
        assert (Path(data_dir) / "market.db").exists()
        yield market


@pytest.fixture(scope="module")
async def market(stack: Any) -> AsyncIterator[Market]:
    """A market on a fresh Postgres database of the stack, for the whole module."""
    async with market_on_postgres(stack) as market:
        yield market


@pytest.fixture(scope="module")
async def users(market: Market) -> dict[str, MarketUser]:
    """An owner, an admin, a member, an outsider and a superadmin of the module's market."""
    people = {role: await market.create_user() for role in ("owner", "admin", "member", "outsider")}
    people["superadmin"] = await market.create_user(superadmin=True)
    return people
