"""POST and DELETE /api/v1/apps/{slug}/forward-key on real Postgres and Kafka.

The key is shown once; the database and the apps topic hold it only sealed
under the installation key; no answer of the API ever carries the sealed
value; members cannot make one and other groups cannot see the app.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from barito_common.installation_key import InstallationKey
from barito_common.schemas import AppProfile, from_bytes
from barito_market.models import App, AuditEntry
from barito_testing.market import Market, MarketUser, apps_topic_values, market_on_postgres

INSTALLATION_KEY = "the forward key API tests' installation key, 48 ch"


@pytest.fixture(scope="module")
async def market(stack: Any) -> AsyncIterator[Market]:
    async with market_on_postgres(stack, installation_key=INSTALLATION_KEY) as market:
        yield market


async def register(market: Market, owner: MarketUser) -> tuple[str, str]:
    """A new app in a new group of ``owner``: (app slug, group slug)."""
    registered = await market.client.post(
        "/api/v1/apps",
        headers=owner.headers,
        json={"name": "checkout", "new_group": f"shop-{uuid.uuid4().hex[:6]}"},
    )
    assert registered.status_code == 201, registered.text
    return registered.json()["slug"], registered.json()["group"]


async def stored_row(market: Market, slug: str) -> App:
    async with market.sessionmaker() as session:
        app = await session.scalar(select(App).where(App.slug == slug))
    assert app is not None
    return app


async def published_profile(market: Market, stack: Any, slug: str) -> AppProfile:
    """The newest profile of ``slug`` on the market's apps topic, as the receiver reads it."""
    values = await apps_topic_values(stack.kafka_bootstrap, market.settings.kafka.topic_prefix)
    profiles = [from_bytes(AppProfile, value) for value in values]
    return [profile for profile in profiles if profile.slug == slug][-1]


async def test_an_owner_gets_the_key_once_and_only_its_sealed_form_is_kept_and_published(
    market: Market, users: dict[str, MarketUser], stack: Any
) -> None:
    owner = users["owner"]
    slug, _ = await register(market, owner)

    made = await market.client.post(f"/api/v1/apps/{slug}/forward-key", headers=owner.headers)

    assert made.status_code == 200, made.text
    body = made.json()
    key = body["forward_key"]
    assert body["username"] == slug and len(key) >= 40
    assert f"shared_key {key}" in body["fluentd"] and f"username {slug}" in body["fluentd"]
    assert f"Shared_Key           {key}" in body["fluent_bit"]
    sealed = (await stored_row(market, slug)).forward_key_sealed
    assert sealed and key not in sealed
    assert InstallationKey(INSTALLATION_KEY).open(sealed) == key
    assert (await published_profile(market, stack, slug)).forward_key_sealed == sealed

    # Afterwards the API says only that there is a key: never the key, never its sealed form.
    shown = await market.client.get(f"/api/v1/apps/{slug}", headers=owner.headers)
    listed = await market.client.get("/api/v1/apps", headers=owner.headers)
    assert shown.json()["has_forward_key"] is True
    for answer in (shown.text, listed.text, json.dumps(market.app.openapi())):
        assert key not in answer and sealed not in answer
        assert "forward_key_sealed" not in answer


async def test_an_admin_replaces_the_key_then_removes_it_and_the_profile_follows(
    market: Market, users: dict[str, MarketUser], stack: Any
) -> None:
    owner, admin = users["owner"], users["admin"]
    slug, group = await register(market, owner)
    await market.add_members(group, owner, {"admin": admin})
    url = f"/api/v1/apps/{slug}/forward-key"
    first = (await market.client.post(url, headers=owner.headers)).json()["forward_key"]

    replaced = await market.client.post(url, headers=admin.headers)

    second = replaced.json()["forward_key"]
    assert replaced.status_code == 200 and second != first
    profile = await published_profile(market, stack, slug)
    assert InstallationKey(INSTALLATION_KEY).open(profile.forward_key_sealed or "") == second

    removed = await market.client.delete(url, headers=admin.headers)

    assert removed.status_code == 204
    assert (await stored_row(market, slug)).forward_key_sealed is None
    assert (await published_profile(market, stack, slug)).forward_key_sealed is None
    shown = await market.client.get(f"/api/v1/apps/{slug}", headers=owner.headers)
    assert shown.json()["has_forward_key"] is False
    assert (await market.client.delete(url, headers=admin.headers)).status_code == 204

    async with market.sessionmaker() as session:
        app_id = (await stored_row(market, slug)).id
        entries = (
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.target_id == str(app_id), AuditEntry.action.like("%forward%"))
                .order_by(AuditEntry.at)
            )
        ).all()
    assert [(e.action, e.actor_email) for e in entries] == [
        ("app.forward_key.make", owner.email),
        ("app.forward_key.make", admin.email),
        ("app.forward_key.remove", admin.email),
    ]
    written = repr([(e.details, e.target_id, e.action) for e in entries])
    assert first not in written and second not in written


async def test_a_member_may_not_and_another_group_cannot_see_the_app(
    market: Market, users: dict[str, MarketUser]
) -> None:
    owner, member, outsider = users["owner"], users["member"], users["outsider"]
    slug, group = await register(market, owner)
    await market.add_members(group, owner, {"member": member})
    url = f"/api/v1/apps/{slug}/forward-key"
    made = await market.client.post(url, headers=owner.headers)
    sealed = (await stored_row(market, slug)).forward_key_sealed

    for method in ("POST", "DELETE"):
        as_member = await market.client.request(method, url, headers=member.headers)
        as_outsider = await market.client.request(method, url, headers=outsider.headers)
        assert as_member.status_code == 403, as_member.text
        assert as_outsider.status_code == 404, as_outsider.text
        assert made.json()["forward_key"] not in as_member.text + as_outsider.text
    assert (await stored_row(market, slug)).forward_key_sealed == sealed
    member_view = await market.client.get(f"/api/v1/apps/{slug}", headers=member.headers)
    assert member_view.json()["has_forward_key"] is True


async def test_without_an_installation_key_making_a_key_says_how_to_set_one(
    stack: Any,
) -> None:
    async with market_on_postgres(stack) as bare:
        owner = await bare.create_user()
        slug, _ = await register(bare, owner)

        refused = await bare.client.post(f"/api/v1/apps/{slug}/forward-key", headers=owner.headers)

        assert refused.status_code == 409
        error = refused.json()["error"]
        assert error["code"] == "no_installation_key"
        assert "BARITO_INSTALLATION_KEY" in error["message"]
        assert (await stored_row(bare, slug)).forward_key_sealed is None
        shown = await bare.client.get(f"/api/v1/apps/{slug}", headers=owner.headers)
        assert shown.json()["has_forward_key"] is False
