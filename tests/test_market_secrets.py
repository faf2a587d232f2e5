"""App and group secrets, end to end: market → apps topic → a real receiver.

A secret is shown once, stored and published only as a SHA-256 hash, never
logged; a rotated secret keeps working through its grace period, and only
the current one after it; a deactivated or deleted app is refused at ingest.
The receiver runs in-process on the same Kafka topic prefix as the market,
as services/receiver/tests/conftest.py runs it.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from barito_common.app_registry import AppRegistry
from barito_common.schemas import AppProfile, AppStatus, hash_secret
from barito_common.settings import KafkaSettings
from barito_testing.market import (
    Market,
    MarketUser,
    apps_topic_values,
    market_settings,
    postgres_database,
    running_market,
)
from barito_testing.receiver import in_process_receiver

pytestmark = pytest.mark.stack


@dataclass
class Platform:
    market: Market
    receiver: httpx.AsyncClient
    registry: AppRegistry
    owner: MarketUser
    prefix: str
    database_url: str


@pytest.fixture(scope="module")
async def platform(stack: Any) -> AsyncIterator[Platform]:
    prefix = f"s{uuid.uuid4().hex[:8]}."
    kafka = KafkaSettings(bootstrap_servers=stack.kafka_bootstrap, topic_prefix=prefix)
    async with (
        postgres_database(stack.postgres_url) as url,
        running_market(
            market_settings(
                kafka_bootstrap=stack.kafka_bootstrap, database_url=url, topic_prefix=prefix
            )
        ) as market,
        in_process_receiver(kafka, produce_timeout_s=5.0) as receiver,
    ):
        owner = await market.create_user()
        yield Platform(market, receiver.client, receiver.registry, owner, prefix, url)


async def until_profile(
    registry: AppRegistry, slug: str, condition: Callable[[AppProfile], bool]
) -> AppProfile:
    """Wait until the receiver's registry holds a profile of ``slug`` meeting ``condition``."""
    async with asyncio.timeout(20):
        while True:
            profile = registry.by_slug(slug)
            if profile is not None and condition(profile):
                return profile
            await asyncio.sleep(0.05)


async def send(receiver: httpx.AsyncClient, headers: dict[str, str]) -> int:
    response = await receiver.post(
        "/api/v1/logs",
        headers={**headers, "Content-Type": "application/x-ndjson"},
        content=b'{"message":"hello"}\n',
    )
    return response.status_code


async def register(platform: Platform, **body: Any) -> dict[str, Any]:
    body = {"name": f"app-{uuid.uuid4().hex[:6]}", "new_group": f"g-{uuid.uuid4().hex[:6]}"} | body
    response = await platform.market.client.post(
        "/api/v1/apps", headers=platform.owner.headers, json=body
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_a_new_app_ingests_with_the_secret_it_was_shown(platform: Platform) -> None:
    app = await register(platform)
    await until_profile(platform.registry, app["slug"], lambda p: True)
    assert await send(platform.receiver, {"X-App-Secret": app["secret"]}) == 200
    assert app["secret"] in app["agent_configs"]["fluentd"]
    assert app["secret"] in app["agent_configs"]["fluent_bit"]


async def test_a_secret_is_shown_once_and_kept_only_as_its_hash(
    platform: Platform, stack: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    app = await register(platform)
    rotated = await platform.market.client.post(
        f"/api/v1/apps/{app['slug']}/secret", headers=platform.owner.headers
    )
    secrets = [app["secret"], rotated.json()["secret"]]
    later = [
        await platform.market.client.get(
            f"/api/v1/apps/{app['slug']}", headers=platform.owner.headers
        ),
        await platform.market.client.get("/api/v1/apps", headers=platform.owner.headers),
        await platform.market.client.patch(
            f"/api/v1/apps/{app['slug']}",
            headers=platform.owner.headers,
            json={"retention_days": 3},
        ),
    ]
    for response in later:
        assert response.status_code == 200
        assert not any(secret in response.text for secret in secrets)

    async with platform.market.sessionmaker() as session:
        stored = await session.execute(
            text("SELECT secret_hash, retiring_secrets FROM apps WHERE slug = :slug"),
            {"slug": app["slug"]},
        )
        secret_hash, retiring = stored.one()
        assert secret_hash == hash_secret(secrets[1])
        assert hash_secret(secrets[0]) in str(retiring)
        # No column of any table holds a plain secret.
        for table in ("apps", "app_groups", "audit_entries", "provisioning_events"):
            dump = str((await session.execute(text(f"SELECT * FROM {table}"))).all())
            assert not any(secret in dump for secret in secrets), table

    published = b"".join(await apps_topic_values(stack.kafka_bootstrap, platform.prefix))
    assert hash_secret(secrets[1]).encode() in published
    assert not any(secret.encode() in published for secret in secrets)
    assert not any(secret in caplog.text for secret in secrets)


async def test_a_rotated_secret_keeps_working_through_its_grace_beside_the_new_one(
    platform: Platform,
) -> None:
    app = await register(platform)
    await until_profile(platform.registry, app["slug"], lambda p: True)
    rotated = await platform.market.client.post(
        f"/api/v1/apps/{app['slug']}/secret", headers=platform.owner.headers
    )
    assert rotated.status_code == 200
    new = rotated.json()["secret"]
    await until_profile(
        platform.registry, app["slug"], lambda p: p.secret_hashes == [hash_secret(new)]
    )
    assert await send(platform.receiver, {"X-App-Secret": new}) == 200
    assert await send(platform.receiver, {"X-App-Secret": app["secret"]}) == 200
    shown = await platform.market.client.get(
        f"/api/v1/apps/{app['slug']}", headers=platform.owner.headers
    )
    assert shown.json()["previous_secret_valid_until"] == rotated.json()["previous_valid_until"]


async def test_without_a_grace_period_only_the_new_secret_works(
    platform: Platform, stack: Any
) -> None:
    # A second market on the same database and topics, configured with no grace.
    settings = market_settings(
        kafka_bootstrap=stack.kafka_bootstrap,
        database_url=platform.database_url,
        topic_prefix=platform.prefix,
        secret_grace_s=0,
    )
    app = await register(platform)
    async with running_market(settings) as strict:
        rotated = await strict.client.post(
            f"/api/v1/apps/{app['slug']}/secret", headers=platform.owner.headers
        )
    new = rotated.json()["secret"]
    assert rotated.json()["previous_valid_until"] is None
    await until_profile(
        platform.registry, app["slug"], lambda p: p.secret_hashes == [hash_secret(new)]
    )
    assert await send(platform.receiver, {"X-App-Secret": app["secret"]}) == 401
    assert await send(platform.receiver, {"X-App-Secret": new}) == 200


async def test_a_deactivated_app_is_refused_until_activated_and_a_deleted_one_for_good(
    platform: Platform,
) -> None:
    app = await register(platform)
    slug, headers = app["slug"], {"X-App-Secret": app["secret"]}
    client, owner = platform.market.client, platform.owner.headers

    await client.post(f"/api/v1/apps/{slug}/deactivate", headers=owner)
    await until_profile(platform.registry, slug, lambda p: p.status is AppStatus.INACTIVE)
    assert await send(platform.receiver, headers) == 403

    await client.post(f"/api/v1/apps/{slug}/activate", headers=owner)
    await until_profile(platform.registry, slug, lambda p: p.status is AppStatus.ACTIVE)
    assert await send(platform.receiver, headers) == 200

    assert (await client.delete(f"/api/v1/apps/{slug}", headers=owner)).status_code == 204
    await until_profile(platform.registry, slug, lambda p: p.status is AppStatus.DELETED)
    assert await send(platform.receiver, headers) == 403
    assert (await client.get(f"/api/v1/apps/{slug}", headers=owner)).status_code == 404


async def test_the_group_secret_writes_to_any_app_of_its_group_and_rotates_with_grace(
    platform: Platform,
) -> None:
    first = await register(platform)
    group = first["group"]
    second = await register(platform, new_group=None, group=group)
    client, owner = platform.market.client, platform.owner.headers
    issued = await client.post(f"/api/v1/groups/{group}/secret", headers=owner)
    assert issued.status_code == 201
    old = issued.json()["secret"]
    for app in (first, second):
        await until_profile(
            platform.registry, app["slug"], lambda p: hash_secret(old) in p.group_secret_hashes
        )
        assert (
            await send(platform.receiver, {"X-App-Group-Secret": old, "X-App-Name": app["slug"]})
            == 200
        )
    # An app of another group is not reachable with this group's secret.
    other = await register(platform)
    await until_profile(platform.registry, other["slug"], lambda p: True)
    assert (
        await send(platform.receiver, {"X-App-Group-Secret": old, "X-App-Name": other["slug"]})
        == 401
    )

    rotated = await client.post(f"/api/v1/groups/{group}/secret", headers=owner)
    new = rotated.json()["secret"]
    assert rotated.json()["previous_valid_until"] is not None
    await until_profile(
        platform.registry, second["slug"], lambda p: hash_secret(new) in p.group_secret_hashes
    )
    for secret in (old, new):
        assert (
            await send(
                platform.receiver, {"X-App-Group-Secret": secret, "X-App-Name": second["name"]}
            )
            == 200
        )
    listed = await client.get(f"/api/v1/groups/{group}", headers=owner)
    assert listed.json()["has_secret"] is True
    assert old not in listed.text and new not in listed.text


async def test_a_rotated_group_secret_stops_working_at_its_deadline_with_the_market_away(
    platform: Platform, stack: Any
) -> None:
    # A second market on the same database and topics, with a short grace
    # (long enough for a slow machine to see the old secret still work first).
    settings = market_settings(
        kafka_bootstrap=stack.kafka_bootstrap,
        database_url=platform.database_url,
        topic_prefix=platform.prefix,
        secret_grace_s=15,
    )
    app = await register(platform)
    path = f"/api/v1/groups/{app['group']}/secret"
    async with running_market(settings) as short:
        old = (await short.client.post(path, headers=platform.owner.headers)).json()
        new = (await short.client.post(path, headers=platform.owner.headers)).json()
    # Both markets are now idle: nothing republishes the profile from here on.
    await until_profile(
        platform.registry,
        app["slug"],
        lambda p: p.group_secret_hashes == [hash_secret(new["secret"])],
    )
    by_name = {"X-App-Name": app["slug"]}
    assert await send(platform.receiver, {"X-App-Group-Secret": old["secret"], **by_name}) == 200

    deadline = datetime.fromisoformat(new["previous_valid_until"])
    await asyncio.sleep(max(0.0, (deadline - datetime.now(UTC)).total_seconds()) + 0.5)
    assert await send(platform.receiver, {"X-App-Group-Secret": old["secret"], **by_name}) == 401
    assert await send(platform.receiver, {"X-App-Group-Secret": new["secret"], **by_name}) == 200
