"""``barito-market-admin``: create-user, republish and the first superadmin of `barito up`,
with its settings from its arguments, against the real Postgres and Kafka of the local stack."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from barito_common.kafka import Topics
from barito_common.schemas import AppProfile, from_bytes, hash_secret
from barito_common.settings import KafkaSettings
from barito_market.admin import admin_settings, ensure_first_admin, main
from barito_testing.market import (
    apps_topic_values,
    market_settings,
    postgres_database,
    running_market,
)


@pytest.fixture
async def database(stack: Any) -> AsyncIterator[str]:
    async with postgres_database(stack.postgres_url) as url:
        yield url


def arguments(stack: Any, database: str, prefix: str) -> list[str]:
    return [
        "--database-url",
        database,
        "--kafka-bootstrap-servers",
        stack.kafka_bootstrap,
        "--kafka-topic-prefix",
        prefix,
    ]


def test_create_user_makes_a_superadmin_who_can_log_in_and_refuses_a_duplicate(
    stack: Any, database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    given = [*arguments(stack, database, f"c{uuid.uuid4().hex[:8]}."), "create-user"]
    user = ["--email", "Root@Example.test", "--password", "s3cret-pass"]

    assert main([*given, *user, "--superadmin"]) == 0
    assert "created superadmin root@example.test" in capsys.readouterr().out

    assert main([*given, *user]) == 1
    assert "already exists" in capsys.readouterr().err

    with pytest.raises(SystemExit) as short:
        main([*given, "--email", "x@example.test", "--password", "short"])
    assert short.value.code == 2


async def test_the_superadmin_from_the_command_logs_in_to_the_market(
    stack: Any, database: str
) -> None:
    given = arguments(stack, database, f"c{uuid.uuid4().hex[:8]}.")
    create = ["create-user", "--email", "ops@example.test", "--password", "s3cret-pass"]
    # The command runs its own event loop, so it gets a thread of its own here.
    assert await asyncio.to_thread(main, [*given, *create, "--superadmin"]) == 0
    settings = market_settings(kafka_bootstrap=stack.kafka_bootstrap, database_url=database)
    async with (
        running_market(settings) as market,
        market.logged_in_as("ops@example.test", "s3cret-pass") as browser,
    ):
        me = await browser.get("/api/v1/auth/me")
        assert me.json()["is_superadmin"] is True


async def test_republish_rebuilds_the_apps_topic_from_the_database(
    stack: Any, database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = market_settings(kafka_bootstrap=stack.kafka_bootstrap, database_url=database)
    async with running_market(settings) as market:
        owner = await market.create_user()
        registered = await market.client.post(
            "/api/v1/apps", headers=owner.headers, json={"name": "api", "new_group": "ops"}
        )
        app = registered.json()
    # An empty apps topic under a fresh prefix stands for a lost one.
    fresh = f"c{uuid.uuid4().hex[:8]}."
    assert await asyncio.to_thread(main, [*arguments(stack, database, fresh), "republish"]) == 0
    assert "republished 1 app profile" in capsys.readouterr().out
    values = await apps_topic_values(stack.kafka_bootstrap, fresh)
    profiles = [from_bytes(AppProfile, value) for value in values]
    assert [(p.slug, p.secret_hashes) for p in profiles] == [
        (app["slug"], [hash_secret(app["secret"])])
    ]
    assert profiles[0].topic == Topics(fresh).logs(app["slug"])


def test_the_first_superadmin_is_created_once_and_printed_the_same_every_time(
    stack: Any, database: str, tmp_path: Path
) -> None:
    prefix = f"c{uuid.uuid4().hex[:8]}."
    settings = admin_settings(
        database_url=database,
        kafka_bootstrap_servers=stack.kafka_bootstrap,
        kafka_topic_prefix=prefix,
    )
    assert settings.kafka == KafkaSettings(
        bootstrap_servers=stack.kafka_bootstrap, topic_prefix=prefix
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


def test_settings_not_given_as_arguments_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BARITO_KAFKA__TOPIC_PREFIX", "from-env.")
    monkeypatch.setenv("BARITO_DATABASE__URL", "postgresql+asyncpg://env/market")

    settings = admin_settings(kafka_bootstrap_servers="kafka.example.test:9092")

    assert settings.kafka.bootstrap_servers == "kafka.example.test:9092"
    assert settings.kafka.topic_prefix == "from-env."
    assert settings.database.url is not None
    assert settings.database.url.get_secret_value() == "postgresql+asyncpg://env/market"
