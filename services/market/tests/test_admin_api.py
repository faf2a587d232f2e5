"""The admin API on a real market (Postgres, Kafka): who may use it, and what it shows.

Provisioning events are published to the real events topic, as the provisioner
will; the market's own consumer moves the infrastructure, and the admin and
app detail endpoints show it. A retry publishes a real ProvisionCommand.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from barito_common.kafka import Topics, create_consumer, create_producer
from barito_common.schemas import (
    Component,
    ComponentKind,
    ComponentState,
    InfrastructureState,
    ProvisionCommand,
    ProvisionCommandKind,
    ProvisionEvent,
    from_bytes,
    to_bytes,
)
from barito_testing.market import Market, MarketUser

ROLES = ("superadmin", "owner", "admin", "member", "outsider", "anonymous")


@dataclass
class World:
    users: dict[str, MarketUser]
    group: str
    app: str
    infrastructure_id: str

    def headers(self, role: str) -> dict[str, str]:
        return {} if role == "anonymous" else self.users[role].headers


async def new_world(market: Market, users: dict[str, MarketUser]) -> World:
    owner = users["owner"].headers
    registered = await market.client.post(
        "/api/v1/apps",
        headers=owner,
        json={"name": "checkout", "new_group": f"shop-{uuid.uuid4().hex[:6]}"},
    )
    assert registered.status_code == 201, registered.text
    group = registered.json()["group"]
    members = {role: users[role] for role in ("admin", "member")}
    await market.add_members(group, users["owner"], members)
    listed = await market.client.get(
        "/api/v1/admin/infrastructures", headers=users["superadmin"].headers
    )
    assert listed.status_code == 200, listed.text
    [infrastructure] = [row for row in listed.json()["data"] if row["group"] == group]
    return World(users, group, registered.json()["slug"], infrastructure["id"])


@pytest.fixture
async def world(market: Market, users: dict[str, MarketUser]) -> World:
    return await new_world(market, users)


async def publish_event(market: Market, event: ProvisionEvent) -> None:
    producer = create_producer(market.settings.kafka)
    await producer.start()
    try:
        await producer.send_and_wait(
            Topics(market.settings.kafka.topic_prefix).provisioning_events,
            to_bytes(event),
            key=event.infrastructure_id.encode(),
        )
    finally:
        await producer.stop()


async def infrastructure_detail(market: Market, world: World) -> dict[str, Any]:
    response = await market.client.get(
        f"/api/v1/admin/infrastructures/{world.infrastructure_id}",
        headers=world.headers("superadmin"),
    )
    assert response.status_code == 200, response.text
    detail: dict[str, Any] = response.json()
    return detail


async def wait_for_state(market: Market, world: World, state: str) -> dict[str, Any]:
    async with asyncio.timeout(60):
        while True:
            detail = await infrastructure_detail(market, world)
            if detail["state"] == state:
                return detail
            await asyncio.sleep(0.2)


def event(world: World, state: InfrastructureState, at: datetime, **fields: Any) -> ProvisionEvent:
    return ProvisionEvent(
        command_id=fields.pop("command_id", uuid.uuid4()),
        infrastructure_id=world.infrastructure_id,
        state=state,
        at=at,
        **fields,
    )


ENDPOINTS = {
    "list infrastructures": lambda w: ("GET", "/api/v1/admin/infrastructures"),
    "read infrastructure": lambda w: (
        "GET",
        f"/api/v1/admin/infrastructures/{w.infrastructure_id}",
    ),
    "retry infrastructure": lambda w: (
        "POST",
        f"/api/v1/admin/infrastructures/{w.infrastructure_id}/retry",
    ),
    "list users": lambda w: ("GET", "/api/v1/admin/users"),
    "capacity templates": lambda w: ("GET", "/api/v1/admin/capacity-templates"),
}
# A fresh infrastructure is PENDING: a superadmin's retry is refused with 409.
SUPERADMIN_STATUS = {"retry infrastructure": 409}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
async def test_admin_endpoints_answer_each_caller_with_the_exact_status(
    market: Market, world: World, endpoint: str, role: str
) -> None:
    method, path = ENDPOINTS[endpoint](world)

    response = await market.client.request(method, path, headers=world.headers(role))

    expected = {"anonymous": 401, "superadmin": SUPERADMIN_STATUS.get(endpoint, 200)}.get(role, 403)
    assert response.status_code == expected, response.text
    if expected >= 400:
        assert response.json()["error"]["message"]


async def test_an_unknown_infrastructure_is_404_and_a_malformed_id_422(
    market: Market, users: dict[str, MarketUser]
) -> None:
    headers = users["superadmin"].headers

    missing = await market.client.get(
        f"/api/v1/admin/infrastructures/{uuid.uuid4()}", headers=headers
    )
    malformed = await market.client.get("/api/v1/admin/infrastructures/nope", headers=headers)

    assert missing.status_code == 404
    assert "No infrastructure" in missing.json()["error"]["message"]
    assert malformed.status_code == 422
    assert "infrastructure_id" in malformed.json()["error"]["message"]


async def test_provisioning_events_move_the_infrastructure_seen_by_admin_and_app_detail(
    market: Market, world: World
) -> None:
    start = datetime.now(UTC)
    command_id = uuid.uuid4()
    await publish_event(
        market,
        event(
            world,
            InfrastructureState.PROVISIONING,
            start,
            command_id=command_id,
            components=[
                Component(name="kafka-0", kind=ComponentKind.KAFKA, state=ComponentState.PENDING)
            ],
        ),
    )
    provisioning = await wait_for_state(market, world, "PROVISIONING")
    assert [(c["name"], c["state"]) for c in provisioning["components"]] == [("kafka-0", "pending")]

    await publish_event(
        market,
        event(
            world,
            InfrastructureState.ACTIVE,
            start + timedelta(seconds=1),
            command_id=command_id,
            message="all components active",
            components=[
                Component(
                    name="kafka-0",
                    kind=ComponentKind.KAFKA,
                    state=ComponentState.ACTIVE,
                    address="127.0.0.1:19092",
                ),
                Component(name="search-0", kind=ComponentKind.SEARCH, state=ComponentState.ACTIVE),
            ],
        ),
    )
    active = await wait_for_state(market, world, "ACTIVE")

    assert active["message"] == "all components active"
    assert [(c["name"], c["kind"], c["state"], c["address"]) for c in active["components"]] == [
        ("kafka-0", "kafka", "active", "127.0.0.1:19092"),
        ("search-0", "search", "active", None),
    ]
    # The timeline: the market's create command, then the two reported states.
    assert [(line["source"], line["state"]) for line in active["timeline"]] == [
        ("command", "create"),
        ("event", "PROVISIONING"),
        ("event", "ACTIVE"),
    ]
    app = await market.client.get(f"/api/v1/apps/{world.app}", headers=world.headers("member"))
    assert app.status_code == 200
    assert app.json()["infrastructure"]["state"] == "ACTIVE"


async def test_a_failed_infrastructure_is_retried_with_a_retry_command_once(
    market: Market, world: World
) -> None:
    await publish_event(
        market,
        event(world, InfrastructureState.ERROR, datetime.now(UTC), message="no space left"),
    )
    failed = await wait_for_state(market, world, "ERROR")
    assert failed["message"] == "no space left"
    path = f"/api/v1/admin/infrastructures/{world.infrastructure_id}/retry"

    retried = await market.client.post(path, headers=world.headers("superadmin"))
    again = await market.client.post(path, headers=world.headers("superadmin"))

    assert retried.status_code == 202, retried.text
    assert retried.json()["state"] == "PENDING"
    assert retried.json()["timeline"][-1]["source"] == "command"
    assert retried.json()["timeline"][-1]["state"] == "retry"
    assert again.status_code == 409
    assert "not ERROR" in again.json()["error"]["message"]
    commands = await read_commands(market, world.infrastructure_id)
    retries = [c for c in commands if c.kind == ProvisionCommandKind.RETRY]
    assert len(retries) == 1
    assert retries[0].capacity == "small"
    assert retries[0].template["name"] == "small"
    assert str(retries[0].command_id) == retried.json()["timeline"][-1]["command_id"]


async def read_commands(market: Market, infrastructure_id: str) -> list[ProvisionCommand]:
    """The infrastructure's commands on the topic, once a retry is among them."""
    topic = Topics(market.settings.kafka.topic_prefix).provisioning_commands
    consumer = create_consumer(market.settings.kafka, topic, group_id=None)
    await consumer.start()
    commands: list[ProvisionCommand] = []

    async def poll() -> None:
        for records in (await consumer.getmany(timeout_ms=500)).values():
            for record in records:
                command = from_bytes(ProvisionCommand, record.value or b"")
                if command.infrastructure_id == infrastructure_id:
                    commands.append(command)

    try:
        async with asyncio.timeout(30):
            while not any(c.kind == ProvisionCommandKind.RETRY for c in commands):
                await poll()
        await poll()  # a second retry would be right behind the first
    finally:
        await consumer.stop()
    return commands


async def test_users_and_capacity_templates_are_listed_for_the_superadmin(
    market: Market, world: World
) -> None:
    headers = world.headers("superadmin")

    users = await market.client.get("/api/v1/admin/users", headers=headers)
    templates = await market.client.get("/api/v1/admin/capacity-templates", headers=headers)

    assert users.status_code == 200
    by_email = {row["email"]: row for row in users.json()["data"]}
    assert by_email[world.users["owner"].email]["groups"] >= 1
    assert by_email[world.users["superadmin"].email]["is_superadmin"] is True
    assert by_email[world.users["outsider"].email]["groups"] == 0
    assert "password_hash" not in by_email[world.users["owner"].email]
    assert templates.status_code == 200
    assert [(t["name"], t["events_per_second"]) for t in templates.json()["data"]] == [
        ("small", 1_000),
        ("medium", 10_000),
        ("large", 50_000),
    ]
