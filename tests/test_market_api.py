"""The market's core API on both of its databases: Postgres and embedded SQLite.

Accounts (sign-up, login, cookie + CSRF, logout, tokens, login throttling),
groups and apps (registration, names, capacity, validation), and what a
registration leaves behind: the log topic, the profile, the infrastructure
request and the audit trail.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import TopicPartition
from sqlalchemy import select

from barito_common.kafka import create_admin, create_consumer
from barito_common.schemas import ProvisionCommand, ProvisionCommandKind, from_bytes
from barito_market.models import AppGroup, AuditEntry, Infrastructure
from barito_testing.market import (
    Market,
    market_settings,
    postgres_database,
    running_market,
)

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module", params=["postgres", "sqlite"])
async def market(
    request: pytest.FixtureRequest, stack: Any, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Market]:
    overrides = {"login_max_failures": 3}
    if request.param == "sqlite":
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
        return
    async with postgres_database(stack.postgres_url) as url:
        settings = market_settings(
            kafka_bootstrap=stack.kafka_bootstrap, database_url=url, **overrides
        )
        async with running_market(settings) as market:
            yield market


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


# --- accounts -------------------------------------------------------------------


async def test_sign_up_log_in_use_the_cookie_and_log_out(market: Market) -> None:
    email, password = f"{unique('ann')}@Example.test", "correct horse"
    signed = await market.client.post(
        "/api/v1/auth/signup", json={"email": email, "password": password}
    )
    assert signed.status_code == 201
    assert signed.json()["email"] == email.lower()
    assert "password" not in signed.text

    async with market.logged_in_as(email, password) as browser:
        assert browser.cookies.get("barito_session")
        me = await browser.get("/api/v1/auth/me")
        assert me.json()["email"] == email.lower()
        created = await browser.post("/api/v1/groups", json={"name": "Ann's group"})
        assert created.status_code == 201

        csrf = browser.headers.pop("X-CSRF-Token")
        refused = await browser.post("/api/v1/groups", json={"name": "forged"})
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "csrf"
        # Reading needs no CSRF header.
        assert (await browser.get("/api/v1/groups")).status_code == 200

        browser.headers["X-CSRF-Token"] = csrf
        assert (await browser.post("/api/v1/auth/logout")).status_code == 204
        assert browser.cookies.get("barito_session") is None
    # The old cookie no longer opens anything, even if a client kept it.
    async with market.logged_in_as(email, password) as again:
        old = again.cookies.get("barito_session")
        await again.post("/api/v1/auth/logout")
        again.cookies.set("barito_session", old or "")
        assert (await again.get("/api/v1/auth/me")).status_code == 401


async def test_the_session_cookie_is_httponly(market: Market) -> None:
    user = await market.create_user()
    response = await market.client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": user.password}
    )
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("barito_session="))
    csrf = next(c for c in cookies if c.startswith("barito_csrf="))
    assert "httponly" in session.lower()
    assert "httponly" not in csrf.lower()


async def test_a_taken_email_is_409_and_a_bad_one_names_the_field(market: Market) -> None:
    user = await market.create_user()
    taken = await market.client.post(
        "/api/v1/auth/signup", json={"email": user.email.upper(), "password": "long enough"}
    )
    assert taken.status_code == 409
    bad = await market.client.post(
        "/api/v1/auth/signup", json={"email": "not-an-email", "password": "short"}
    )
    assert bad.status_code == 422
    fields = {f["field"] for f in bad.json()["error"]["fields"]}
    assert fields == {"body.email", "body.password"}


async def test_sign_up_can_be_turned_off(stack: Any, tmp_path: Path) -> None:
    settings = market_settings(
        kafka_bootstrap=stack.kafka_bootstrap,
        database_url=None,
        data_dir=str(tmp_path),
        signup_enabled=False,
    )
    async with running_market(settings) as closed:
        response = await closed.client.post(
            "/api/v1/auth/signup", json={"email": "x@example.test", "password": "long enough"}
        )
        assert response.status_code == 403


async def test_failed_logins_are_throttled_even_for_the_right_password_then(
    market: Market,
) -> None:
    user = await market.create_user()
    for _ in range(3):
        wrong = await market.client.post(
            "/api/v1/auth/login", json={"email": user.email, "password": "wrong password"}
        )
        assert wrong.status_code == 401
    throttled = await market.client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": user.password}
    )
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) > 0
    # Another account is not affected.
    other = await market.create_user()
    fine = await market.client.post(
        "/api/v1/auth/login", json={"email": other.email, "password": other.password}
    )
    assert fine.status_code == 200


async def test_an_unknown_email_and_a_wrong_password_answer_alike(market: Market) -> None:
    user = await market.create_user()
    wrong = await market.client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": "wrong password"}
    )
    unknown = await market.client.post(
        "/api/v1/auth/login", json={"email": "nobody@example.test", "password": "whatever"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


async def test_api_tokens_are_shown_once_listed_without_the_token_and_revocable(
    market: Market,
) -> None:
    user = await market.create_user()
    created = await market.client.post(
        "/api/v1/auth/tokens", headers=user.headers, json={"name": "ci", "expires_in_days": 30}
    )
    token = created.json()["token"]
    mine = {"Authorization": f"Bearer {token}"}
    assert (await market.client.get("/api/v1/auth/me", headers=mine)).status_code == 200
    listed = await market.client.get("/api/v1/auth/tokens", headers=user.headers)
    assert token not in listed.text
    assert "ci" in {t["name"] for t in listed.json()["data"]}
    revoked = await market.client.delete(
        f"/api/v1/auth/tokens/{created.json()['id']}", headers=user.headers
    )
    assert revoked.status_code == 204
    assert (await market.client.get("/api/v1/auth/me", headers=mine)).status_code == 401
    garbled = {"Authorization": "Basic abc"}
    assert (await market.client.get("/api/v1/auth/me", headers=garbled)).status_code == 401


# --- groups and apps ------------------------------------------------------------


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
    }
    assert app["infrastructure"]["state"] == "PENDING"
    assert "endpoint https://ingest.example.test/api/v1/logs" in app["agent_configs"]["fluentd"]
    assert "Host             ingest.example.test" in app["agent_configs"]["fluent_bit"]
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
    consumer = create_consumer(market.settings.kafka, group_id=None)
    await consumer.start()
    try:
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        await consumer.seek_to_beginning(partition)
        end = (await consumer.end_offsets([partition]))[partition]
        commands: list[ProvisionCommand] = []
        while await consumer.position(partition) < end:
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                commands += [from_bytes(ProvisionCommand, r.value) for r in records]
        return commands
    finally:
        await consumer.stop()


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
