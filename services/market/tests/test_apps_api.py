"""The market's groups and apps API on both of its databases: Postgres and embedded SQLite.

Registration (names, capacity, validation) and what it leaves behind: the log
topic, the profile, the infrastructure request and the audit trail; deleting
groups; two registrations racing for one name.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from barito_common.kafka import create_admin
from barito_common.schemas import ProvisionCommand, ProvisionCommandKind, from_bytes
from barito_market.models import AppGroup, AuditEntry, Infrastructure
from barito_testing.apps import topic_values
from barito_testing.market import Market


@pytest.fixture(scope="module")
def market(market_on_each_database: Market) -> Market:
    """The market on Postgres, then on embedded SQLite (conftest.py)."""
    return market_on_each_database


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


async def test_registration_answers_everything_an_agent_needs(market: Market) -> None:
    owner = await market.create_user()
    group = unique("Payments Team")
    response = await market.client.post(
        "/api/v1/apps",
        headers=owner.headers,
        json={"name": "Card Gateway", "new_group": group, "capacity": "medium"},
    )
    assert response.status_code == 201, response.text
    app = response.json()
    assert app["slug"].startswith("card-gateway")
    assert app["group_name"] == group
    assert (app["capacity"], app["tps"], app["retention_days"]) == ("medium", 10_000, 14)
    assert app["endpoints"] == {
        "ingest": "https://ingest.example.test/api/v1/logs",
        "tail": f"https://tail.example.test/api/v1/tail/{app['slug']}",
        "viewer": f"https://{app['slug']}.{app['group']}.logs.example.test",
        # The market's defaults: OTLP and the bulk API beside /api/v1/logs, no
        # forward or syslog listener (the receiver starts none by default).
        "otlp": "http://127.0.0.1:18081/v1/logs",
        "bulk": "http://127.0.0.1:18081",
        "forward": None,
        "syslog": None,
    }
    assert app["infrastructure"]["state"] == "PENDING"
    assert "endpoint https://ingest.example.test/api/v1/logs" in app["agent_configs"]["fluentd"]
    assert "Host             ingest.example.test" in app["agent_configs"]["fluent_bit"]
    otel = app["agent_configs"]["otel_collector"]
    assert f"X-App-Secret: {app['secret']}" in otel
    assert "logs_endpoint: http://127.0.0.1:18081/v1/logs" in otel
    assert f'password: "{app["secret"]}"' in app["agent_configs"]["filebeat"]
    assert (app["agent_configs"]["fluent_bit_forward"], app["agent_configs"]["rsyslog_syslog"]) == (
        None,
        None,
    )
    groups = await market.client.get("/api/v1/groups", headers=owner.headers)
    assert [(g["name"], g["role"]) for g in groups.json()["data"]] == [(group, "owner")]


async def test_registration_creates_the_log_topic_and_asks_for_infrastructure_once(
    market: Market,
) -> None:
    owner = await market.create_user()
    first = await market.client.post(
        "/api/v1/apps", headers=owner.headers, json={"name": "a", "new_group": unique("g")}
    )
    group = first.json()["group"]
    second = await market.client.post(
        "/api/v1/apps", headers=owner.headers, json={"name": "b", "group": group, "tps": 5000}
    )
    assert second.json()["capacity"] == "medium"
    assert (second.json()["tps"], second.json()["custom_tps"]) == (5000, True)

    topics = market.app.state.publisher.topics
    admin = create_admin(market.settings.kafka)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
    finally:
        await admin.close()
    assert {topics.logs(first.json()["slug"]), topics.logs(second.json()["slug"])} <= existing

    commands = await provisioning_commands(market)
    async with market.sessionmaker() as session:
        infrastructure = await session.scalar(
            select(Infrastructure).join(AppGroup).where(AppGroup.slug == group)
        )
    assert infrastructure is not None
    assert (infrastructure.state, infrastructure.capacity) == ("PENDING", "medium")
    mine = [c for c in commands if c.infrastructure_id == str(infrastructure.id)]
    # The first app creates the infrastructure, the medium one grows it.
    assert [(c.kind, c.capacity) for c in mine] == [
        (ProvisionCommandKind.CREATE, "small"),
        (ProvisionCommandKind.UPDATE, "medium"),
    ]
    assert mine[1].template["kafka"]["partitions"] == 6


async def provisioning_commands(market: Market) -> list[ProvisionCommand]:
    topic = market.app.state.publisher.topics.provisioning_commands
    values = await topic_values(market.settings.kafka, topic)
    return [from_bytes(ProvisionCommand, value) for value in values]


async def test_names_are_unique_within_a_group_and_free_again_after_deletion(
    market: Market,
) -> None:
    owner = await market.create_user()
    first = await market.client.post(
        "/api/v1/apps", headers=owner.headers, json={"name": "api", "new_group": unique("g")}
    )
    group, slug = first.json()["group"], first.json()["slug"]
    again = {"name": "api", "group": group}
    duplicate = await market.client.post("/api/v1/apps", headers=owner.headers, json=again)
    assert duplicate.status_code == 409
    elsewhere = await market.client.post(
        "/api/v1/apps", headers=owner.headers, json={"name": "api", "new_group": unique("h")}
    )
    assert elsewhere.status_code == 201
    # Same name in another group: a different, still unique, slug.
    assert elsewhere.json()["slug"] != slug

    assert (
        await market.client.delete(f"/api/v1/apps/{slug}", headers=owner.headers)
    ).status_code == 204
    reused = await market.client.post("/api/v1/apps", headers=owner.headers, json=again)
    assert reused.status_code == 201
    assert reused.json()["slug"] != slug  # a deleted app's topic name is never handed out again


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "group": "g", "new_group": "h"}, "body"),
        ({"name": "x"}, "body"),
        ({"name": "", "new_group": "h"}, "body.name"),
        ({"name": "x", "new_group": "h", "capacity": "huge"}, "body.capacity"),
        ({"name": "x", "new_group": "h", "tps": 0}, "body.tps"),
        ({"name": "x", "new_group": "h", "tps": 60_000}, "body.tps"),
        ({"name": "x", "new_group": "h", "tps": 10, "capacity": "small"}, "body"),
        ({"name": "x", "new_group": "h", "retention_days": 0}, "body.retention_days"),
        ({"name": "x", "new_group": "h", "colour": "red"}, "body.colour"),
    ],
)
async def test_invalid_registrations_are_422_naming_the_field(
    market: Market, body: dict[str, Any], field: str
) -> None:
    owner = await market.create_user()
    response = await market.client.post("/api/v1/apps", headers=owner.headers, json=body)
    assert response.status_code == 422, response.text
    assert field in {f["field"] for f in response.json()["error"]["fields"]}


@pytest.mark.parametrize(("name", "reason"), [("DLQ", "dead-letter topic"), ("new", "/apps/new")])
async def test_a_name_whose_slug_is_reserved_is_422_saying_why_and_nothing_is_made(
    market: Market, name: str, reason: str
) -> None:
    owner = await market.create_user()
    group = unique("g")
    response = await market.client.post(
        "/api/v1/apps", headers=owner.headers, json={"name": name, "new_group": group}
    )
    assert response.status_code == 422, response.text
    [problem] = response.json()["error"]["fields"]
    assert problem["field"] == "body.name"
    assert reason in problem["message"]
    assert "dlq, events, new, usage" in problem["message"]  # the whole list, to choose around
    async with market.sessionmaker() as session:
        assert await session.scalar(select(AppGroup).where(AppGroup.name == group)) is None


async def test_a_group_is_deleted_only_when_empty(market: Market) -> None:
    owner = await market.create_user()
    app = await market.client.post(
        "/api/v1/apps", headers=owner.headers, json={"name": "a", "new_group": unique("g")}
    )
    group, slug = app.json()["group"], app.json()["slug"]
    busy = await market.client.delete(f"/api/v1/groups/{group}", headers=owner.headers)
    assert busy.status_code == 409
    await market.client.delete(f"/api/v1/apps/{slug}", headers=owner.headers)
    gone = await market.client.delete(f"/api/v1/groups/{group}", headers=owner.headers)
    assert gone.status_code == 204
    assert (
        await market.client.get(f"/api/v1/groups/{group}", headers=owner.headers)
    ).status_code == 404


async def test_every_change_is_in_the_audit_log_with_who_did_it(market: Market) -> None:
    owner = await market.create_user()
    app = await market.client.post(
        "/api/v1/apps", headers=owner.headers, json={"name": "a", "new_group": unique("g")}
    )
    slug = app.json()["slug"]
    await market.client.post(f"/api/v1/apps/{slug}/secret", headers=owner.headers)
    await market.client.post(f"/api/v1/apps/{slug}/deactivate", headers=owner.headers)
    async with market.sessionmaker() as session:
        entries = (
            await session.scalars(
                select(AuditEntry).where(AuditEntry.actor_id == owner.id).order_by(AuditEntry.at)
            )
        ).all()
    actions = [entry.action for entry in entries]
    registration = {"group.create", "app.register", "infrastructure.create"}
    assert set(actions[-5:-2]) == registration
    assert actions[-2:] == ["app.secret.rotate", "app.deactivate"]
    assert all(entry.actor_email == owner.email for entry in entries)
    assert all(entry.target_id for entry in entries)


async def test_two_registrations_racing_for_one_name_give_one_app_and_one_409(
    market: Market,
) -> None:
    owner = await market.create_user()
    first = await market.client.post(
        "/api/v1/apps", headers=owner.headers, json={"name": "seed", "new_group": unique("g")}
    )
    body = {"name": "twin", "group": first.json()["group"]}
    answers = await asyncio.gather(
        *(market.client.post("/api/v1/apps", headers=owner.headers, json=body) for _ in range(2))
    )
    assert sorted(a.status_code for a in answers) == [201, 409]
    listed = await market.client.get(
        f"/api/v1/apps?group={first.json()['group']}", headers=owner.headers
    )
    assert sorted(a["name"] for a in listed.json()["data"]) == ["seed", "twin"]
