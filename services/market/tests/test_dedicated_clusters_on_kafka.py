"""Dedicated groups on a real market, Kafka and Postgres: placement, profiles, topics.

The provisioner is played by the test: it publishes the ProvisionEvents a
dedicated driver would, naming the group's cluster. The "cluster" is the
local stack's own Kafka under another spelling (``localhost`` for
``127.0.0.1``), or a closed port, which proves where the market points its
client: the registry topic stays the installation's, the app's log topic
goes to the cluster.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from barito_common.kafka import Topics, create_admin, create_producer
from barito_common.schemas import (
    AppProfile,
    ClusterCoordinates,
    InfrastructureState,
    ProvisionCommand,
    ProvisionEvent,
    from_bytes,
    to_bytes,
)
from barito_common.settings import KafkaSettings
from barito_market.models import AppGroup, Infrastructure, ProvisioningEvent
from barito_testing.apps import topic_values
from barito_testing.market import Market, MarketUser, market_on_postgres
from barito_testing.ports import free_port


@pytest.fixture(scope="module")
async def market(stack: Any) -> AsyncIterator[Market]:
    async with market_on_postgres(stack, kafka_timeout_s=5) as market:
        yield market


@pytest.fixture(scope="module")
async def owner(market: Market) -> MarketUser:
    return await market.create_user()


def cluster_at(stack: Any, kafka: str) -> ClusterCoordinates:
    return ClusterCoordinates(
        infrastructure_id="set-per-group",
        kafka_bootstrap_servers=kafka,
        search_url=stack.opensearch_url,
        search_engine="opensearch",
        kibana_url="http://kibana.dedicated.example.test:5601",
    )


async def latest_profiles(market: Market, stack: Any) -> dict[str, AppProfile]:
    """The registry as the data path reads it: the last profile of each app, by slug."""
    values = await topic_values(market.settings.kafka, market.app.state.publisher.topics.apps)
    profiles = [from_bytes(AppProfile, value) for value in values]
    return {profile.slug: profile for profile in profiles}


async def register(
    market: Market, owner: MarketUser, name: str, capacity: str, group: str | None = None
) -> Any:
    body: dict[str, Any] = {"name": name, "capacity": capacity}
    body.update({"group": group} if group else {"new_group": f"{name}-team"})
    return await market.client.post("/api/v1/apps", headers=owner.headers, json=body)


async def infrastructure_of(market: Market, group_slug: str) -> Infrastructure:
    async with market.sessionmaker() as session:
        row = await session.scalar(
            select(Infrastructure)
            .join(AppGroup, AppGroup.id == Infrastructure.group_id)
            .where(AppGroup.slug == group_slug)
        )
    assert row is not None
    return row


async def report(market: Market, infrastructure: Infrastructure, event: ProvisionEvent) -> None:
    """Publish ``event`` as the provisioner would, and wait until the market has its line."""
    kafka = market.settings.kafka
    producer = create_producer(kafka)
    await producer.start()
    try:
        await producer.send_and_wait(
            Topics(kafka.topic_prefix).provisioning_events,
            to_bytes(event),
            key=str(infrastructure.id).encode(),
        )
    finally:
        await producer.stop()
    async with asyncio.timeout(60):
        while True:
            async with market.sessionmaker() as session:
                line = await session.scalar(
                    select(ProvisioningEvent.id).where(
                        ProvisioningEvent.infrastructure_id == infrastructure.id,
                        ProvisioningEvent.source == "event",
                        ProvisioningEvent.at == event.at,
                    )
                )
            if line is not None:
                return
            await asyncio.sleep(0.2)


def event_for(
    infrastructure: Infrastructure,
    state: InfrastructureState,
    at: datetime,
    cluster: ClusterCoordinates | None,
) -> ProvisionEvent:
    return ProvisionEvent(
        command_id=uuid.uuid4(),
        infrastructure_id=str(infrastructure.id),
        state=state,
        at=at,
        cluster=(
            cluster.model_copy(update={"infrastructure_id": str(infrastructure.id)})
            if cluster
            else None
        ),
    )


async def test_an_active_event_republishes_every_app_of_the_group_and_a_stale_one_keeps_it(
    market: Market, owner: MarketUser, stack: Any
) -> None:
    name = f"big{uuid.uuid4().hex[:6]}"
    first = await register(market, owner, name, "medium")
    assert first.status_code == 201, first.text
    group = first.json()["group"]
    second = await register(market, owner, f"{name}-b", "small", group=group)
    shared = await register(market, owner, f"small{uuid.uuid4().hex[:6]}", "small")
    assert second.status_code == 201 and shared.status_code == 201
    slugs = [first.json()["slug"], second.json()["slug"]]
    infrastructure = await infrastructure_of(market, group)
    before = await latest_profiles(market, stack)
    commands = [
        from_bytes(ProvisionCommand, value)
        for value in await topic_values(
            market.settings.kafka, market.app.state.publisher.topics.provisioning_commands
        )
    ]

    now = datetime.now(UTC)
    cluster = cluster_at(stack, "localhost:19092")
    await report(
        market, infrastructure, event_for(infrastructure, InfrastructureState.ACTIVE, now, cluster)
    )
    after_active = await latest_profiles(market, stack)
    # A replay of an event from before ACTIVE, then a later change of the app.
    stale = event_for(
        infrastructure, InfrastructureState.PROVISIONING, now - timedelta(minutes=1), None
    )
    await report(market, infrastructure, stale)
    rotated = await market.client.post(f"/api/v1/apps/{slugs[0]}/secret", headers=owner.headers)
    assert rotated.status_code == 200, rotated.text
    after_stale = await latest_profiles(market, stack)
    app_page = (await market.client.get(f"/api/v1/apps/{slugs[0]}", headers=owner.headers)).json()

    expected = cluster.model_copy(update={"infrastructure_id": str(infrastructure.id)})
    group_commands = [c for c in commands if c.infrastructure_id == str(infrastructure.id)]
    assert [(c.kind.value, c.placement.value) for c in group_commands] == [("create", "dedicated")]
    assert infrastructure.placement.value == "dedicated"
    # Until the cluster is ACTIVE, the apps write to the installation's cluster.
    assert [before[slug].cluster for slug in slugs] == [None, None]
    assert [after_active[slug].cluster for slug in slugs] == [expected, expected]
    assert [after_stale[slug].cluster for slug in slugs] == [expected, expected]
    assert after_stale[shared.json()["slug"]].cluster is None
    assert (await infrastructure_of(market, group)).cluster == expected.model_dump(mode="json")
    assert app_page["cluster"] == expected.model_dump(mode="json")
    assert app_page["infrastructure"]["placement"] == "dedicated"
    assert app_page["endpoints"]["viewer"] == expected.kibana_url


async def dedicated_group(market: Market, owner: MarketUser, cluster: ClusterCoordinates) -> str:
    """A new dedicated group whose cluster is ACTIVE at ``cluster``; its slug."""
    response = await register(market, owner, f"ded{uuid.uuid4().hex[:6]}", "medium")
    assert response.status_code == 201, response.text
    group: str = response.json()["group"]
    infrastructure = await infrastructure_of(market, group)
    active = event_for(infrastructure, InfrastructureState.ACTIVE, datetime.now(UTC), cluster)
    await report(market, infrastructure, active)
    return group


async def test_registering_in_a_dedicated_group_creates_the_topic_on_the_groups_kafka(
    market: Market, owner: MarketUser, stack: Any
) -> None:
    reachable = await dedicated_group(market, owner, cluster_at(stack, "localhost:19092"))
    unreachable = await dedicated_group(
        market, owner, cluster_at(stack, f"127.0.0.1:{free_port()}")
    )

    created = await register(market, owner, f"in{uuid.uuid4().hex[:6]}", "small", reachable)
    refused_name = f"out{uuid.uuid4().hex[:6]}"
    refused = await register(market, owner, refused_name, "small", unreachable)
    listed = await market.client.get("/api/v1/apps", headers=owner.headers)

    assert created.status_code == 201, created.text
    admin = create_admin(KafkaSettings(bootstrap_servers="localhost:19092"))
    await admin.start()
    try:
        topics = await admin.list_topics()
    finally:
        await admin.close()
    assert Topics(market.settings.kafka.topic_prefix).logs(created.json()["slug"]) in topics
    # The group's Kafka does not answer: nothing is kept, though the installation's does.
    assert refused.status_code == 503, refused.text
    assert "creating the log topic" in refused.json()["error"]["message"]
    assert refused_name not in [app["name"] for app in listed.json()["data"]]
