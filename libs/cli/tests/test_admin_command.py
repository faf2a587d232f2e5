"""`barito admin`: the market's barito-market-admin run as a child process, the local
stack's addresses as its arguments unless the BARITO_ environment gives them."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from click.testing import CliRunner

from barito_cli.main import cli
from barito_cli.market_admin import market_admin_arguments
from barito_testing.market import postgres_database

STACK = {
    "BARITO_PORT": "18080",
    "BARITO_DATABASE__URL": "postgresql+asyncpg://barito@127.0.0.1:15432/barito",
    "BARITO_KAFKA__BOOTSTRAP_SERVERS": "127.0.0.1:19092",
    "BARITO_DATA_DIR": "/stack/market",
}


def test_the_stack_addresses_become_arguments_unless_the_environment_sets_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("BARITO_DATABASE__URL", raising=False)
    monkeypatch.delenv("BARITO_DATA_DIR", raising=False)
    monkeypatch.setenv("BARITO_KAFKA__BOOTSTRAP_SERVERS", "kafka.example.test:9092")

    assert market_admin_arguments(STACK) == [
        "--database-url",
        STACK["BARITO_DATABASE__URL"],
        "--data-dir",
        "/stack/market",
    ]


@pytest.fixture
async def database(stack: Any) -> AsyncIterator[str]:
    async with postgres_database(stack.postgres_url) as url:
        yield url


async def test_create_user_and_republish_reach_the_database_the_environment_names(
    stack: Any, database: str
) -> None:
    env = {
        "BARITO_DATABASE__URL": database,
        "BARITO_KAFKA__BOOTSTRAP_SERVERS": stack.kafka_bootstrap,
        "BARITO_KAFKA__TOPIC_PREFIX": f"c{uuid.uuid4().hex[:8]}.",
    }
    create = ["admin", "create-user", "--email", "Root@Example.test", "--password", "s3cret-pass"]

    def invoke(args: list[str]) -> Any:
        return CliRunner().invoke(cli, args, env=env)

    # Each runs a child process; a thread keeps this test's event loop free meanwhile.
    created = await asyncio.to_thread(invoke, [*create, "--superadmin"])
    again = await asyncio.to_thread(invoke, create)
    short = await asyncio.to_thread(
        invoke, ["admin", "create-user", "--email", "x@example.test", "--password", "short"]
    )
    republished = await asyncio.to_thread(invoke, ["admin", "republish"])

    assert created.exit_code == 0, created.output
    assert "created superadmin root@example.test" in created.output
    assert again.exit_code == 1
    assert "already exists" in again.output
    assert short.exit_code == 2
    assert republished.exit_code == 0, republished.output
    assert "republished 0 app profiles" in republished.output
