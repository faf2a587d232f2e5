"""`barito admin create-user` / `republish` and the first superadmin of `barito up`,
against the real Postgres and Kafka of the local stack."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from barito_cli.main import cli
from barito_cli.market_admin import ensure_first_admin, market_settings
from barito_common.kafka import Topics
from barito_common.schemas import AppProfile, from_bytes, hash_secret
from barito_common.settings import KafkaSettings
from barito_testing.market import apps_topic_values, postgres_database, running_market
from barito_testing.market import market_settings as in_process_settings

pytestmark = pytest.mark.stack


@pytest.fixture
async def database(stack: Any) -> AsyncIterator[str]:
    async with postgres_database(stack.postgres_url) as url:
        yield url


def environment(stack: Any, database: str, prefix: str) -> dict[str, str]:
    return {
        "BARITO_DATABASE__URL": database,
        "BARITO_KAFKA__BOOTSTRAP_SERVERS": stack.kafka_bootstrap,
        "BARITO_KAFKA__TOPIC_PREFIX": prefix,
    }


def test_create_user_makes_a_superadmin_who_can_log_in_and_refuses_a_duplicate(
    stack: Any, database: str
) -> None:
    env = environment(stack, database, f"c{uuid.uuid4().hex[:8]}.")
    args = ["admin", "create-user", "--email", "Root@Example.test", "--password", "s3cret-pass"]
    created = CliRunner().invoke(cli, [*args, "--superadmin"], env=env)
    assert created.exit_code == 0, created.output
    assert "created superadmin root@example.test" in created.output

    again = CliRunner().invoke(cli, args, env=env)
    assert again.exit_code == 1
    assert "already exists" in again.output

    short = CliRunner().invoke(
        cli, ["admin", "create-user", "--email", "x@example.test", "--password", "short"], env=env
    )
    assert short.exit_code == 2


async def test_the_superadmin_from_the_cli_logs_in_to_the_market(stack: Any, database: str) -> None:
    env = environment(stack, database, f"c{uuid.uuid4().hex[:8]}.")
    args = ["admin", "create-user", "--email", "ops@example.test", "--password", "s3cret-pass"]
    # The CLI runs its own event loop, so it gets a thread of its own here.
    created = await asyncio.to_thread(CliRunner().invoke, cli, [*args, "--superadmin"], env=env)
    assert created.exit_code == 0, created.output
    settings = in_process_settings(kafka_bootstrap=stack.kafka_bootstrap, database_url=database)
    async with (
        running_market(settings) as market,
        market.logged_in_as("ops@example.test", "s3cret-pass") as browser,
    ):
        me = await browser.get("/api/v1/auth/me")
        assert me.json()["is_superadmin"] is True


async def test_republish_rebuilds_the_apps_topic_from_the_database(
    stack: Any, database: str
) -> None:
    settings = in_process_settings(kafka_bootstrap=stack.kafka_bootstrap, database_url=database)
    async with running_market(settings) as market:
        owner = await market.create_user()
        registered = await market.client.post(
            "/api/v1/apps", headers=owner.headers, json={"name": "api", "new_group": "ops"}
        )
        app = registered.json()
    # An empty apps topic under a fresh prefix stands for a lost one.
    fresh = f"c{uuid.uuid4().hex[:8]}."
    result = await asyncio.to_thread(
        CliRunner().invoke, cli, ["admin", "republish"], env=environment(stack, database, fresh)
    )
    assert result.exit_code == 0, result.output
    assert "republished 1 app profile" in result.output
    values = await apps_topic_values(stack.kafka_bootstrap, fresh)
    profiles = [from_bytes(AppProfile, value) for value in values]
    assert [(p.slug, p.secret_hashes) for p in profiles] == [
        (app["slug"], [hash_secret(app["secret"])])
    ]
    assert profiles[0].topic == Topics(fresh).logs(app["slug"])


def test_the_first_superadmin_is_created_once_and_printed_the_same_every_time(
    stack: Any, database: str, tmp_path: Path
) -> None:
    settings = market_settings(environment(stack, database, f"c{uuid.uuid4().hex[:8]}."))
    assert settings.kafka == KafkaSettings(
        bootstrap_servers=stack.kafka_bootstrap, topic_prefix=settings.kafka.topic_prefix
    )
    credentials = tmp_path / "market" / "first-admin"
    first = ensure_first_admin(settings, credentials)
    second = ensure_first_admin(settings, credentials)
    assert first.created and not second.created
    assert (first.email, first.password) == (second.email, second.password)
    assert first.password
    assert credentials.stat().st_mode & 0o077 == 0

    # Credentials lost but the account kept: say so rather than print a wrong password.
    credentials.unlink()
    lost = ensure_first_admin(settings, credentials)
    assert (lost.email, lost.password, lost.created) == (first.email, None, False)
