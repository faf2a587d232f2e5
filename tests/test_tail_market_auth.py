"""Tails by a member's session or API token, checked with the real market and cached.

The market runs for real (its lifespan, migrations and Kafka publisher, on a
database of its own on the stack's Postgres) and is served over HTTP, because
the tail server asks it ``GET /api/v1/apps/{app}`` over the network. Market
and tail stack share one topic prefix: the market registers the app (its
topic and registry profile) and the receiver and tail server learn of it from
Kafka, as in production. How often the tail server asked the market is read
from the market's own request counter on its ``/metrics``.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from barito_market.accounts.authentication import SESSION_COOKIE
from barito_testing.apps import App
from barito_testing.market import (
    Market,
    MarketUser,
    market_settings,
    postgres_database,
    running_market,
)
from barito_testing.ports import free_port
from barito_testing.server import TailStack, ndjson_tail, tail_stack
from barito_testing.serving import serve

pytestmark = pytest.mark.stack

# The market labels requests by route template; its API router is mounted
# under /api/v1, which the label leaves out, so match the template's end.
APP_ROUTE = "/api/v1/apps/{slug}"


@dataclass
class ServedMarket:
    market: Market
    url: str

    async def questions(self, status: int) -> float:
        """How many ``GET /api/v1/apps/{slug}`` the market has answered with ``status``."""
        text = (await self.market.client.get("/metrics")).text
        for family in text_string_to_metric_families(text):
            if family.name != "barito_http_requests":
                continue
            return sum(
                sample.value
                for sample in family.samples
                if sample.name == "barito_http_requests_total"
                and sample.labels["method"] == "GET"
                and sample.labels["route"] == APP_ROUTE
                and sample.labels["status"] == str(status)
            )
        return 0.0


@dataclass
class Team:
    """A group with one app: its owner, a plain member, and an outsider with an app of their own."""

    app: App
    owner: MarketUser
    member: MarketUser
    outsider: MarketUser


@pytest.fixture(scope="module")
async def market(stack: Any) -> AsyncIterator[ServedMarket]:
    prefix = f"tailm{uuid.uuid4().hex[:8]}."
    async with postgres_database(stack.postgres_url) as database_url:
        settings = market_settings(
            kafka_bootstrap=stack.kafka_bootstrap, database_url=database_url, topic_prefix=prefix
        )
        # The lifespan runs once, in running_market; uvicorn only adds the socket.
        async with running_market(settings) as market, serve(market.app, lifespan="off") as url:
            yield ServedMarket(market, url)


@pytest.fixture(scope="module")
async def tail(stack: Any, market: ServedMarket) -> AsyncIterator[TailStack]:
    # A "no" is not cached, so every refused question reaches the market and is
    # counted; a "yes" outlives any test, however slow the machine.
    async with tail_stack(
        stack,
        topic_prefix=market.market.settings.kafka.topic_prefix,
        market_url=market.url,
        market_cache_s=300,
        market_negative_cache_s=0,
    ) as running:
        yield running


async def register(market: Market, owner: MarketUser, tail: TailStack) -> App:
    response = await market.client.post(
        "/api/v1/apps",
        headers=owner.headers,
        json={"name": "checkout", "new_group": f"shop-{uuid.uuid4().hex[:6]}"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return await tail.wait_registered(body["slug"], body["secret"])


@pytest.fixture
async def team(market: ServedMarket, tail: TailStack) -> Team:
    m = market.market
    owner, member, outsider = [await m.create_user() for _ in range(3)]
    app = await register(m, owner, tail)
    added = await m.client.put(
        f"/api/v1/groups/{app.profile.group_slug}/members",
        headers=owner.headers,
        json={"email": member.email, "role": "member"},
    )
    assert added.status_code == 200, added.text
    await register(m, outsider, tail)  # the outsider has apps, just not this one
    return Team(app, owner, member, outsider)


async def refused(tail: TailStack, slug: str, headers: dict[str, str]) -> tuple[int, str]:
    async with httpx.AsyncClient(base_url=tail.server_url) as client:
        response = await client.get(f"/api/v1/tail/{slug}", headers=headers)
    return response.status_code, response.json()["error"]["code"]


async def test_a_members_api_token_tails_and_reconnects_without_asking_the_market_again(
    tail: TailStack, market: ServedMarket, team: Team
) -> None:
    slug = team.app.profile.slug
    asked = await market.questions(200)
    async with ndjson_tail(tail.url(slug), team.member.headers) as stream:
        await stream.started()
        await tail.post(team.app, [{"seq": 1}])
        assert (await stream.events(1))[0]["event"]["seq"] == 1
    assert await market.questions(200) == asked + 1
    for _ in range(3):
        async with ndjson_tail(tail.url(slug), team.member.headers) as stream:
            await stream.started()
    assert await market.questions(200) == asked + 1  # the market's yes was reused


async def test_a_members_browser_session_tails(
    tail: TailStack, market: ServedMarket, team: Team
) -> None:
    async with market.market.logged_in(team.member) as browser:
        session = browser.cookies[SESSION_COOKIE]
        async with ndjson_tail(
            tail.url(team.app.profile.slug), {"Cookie": f"{SESSION_COOKIE}={session}"}
        ) as stream:
            await stream.started()
            await tail.post(team.app, [{"seq": 2}])
            assert (await stream.events(1))[0]["event"]["seq"] == 2


async def test_an_outsiders_token_gets_the_markets_404(
    tail: TailStack, market: ServedMarket, team: Team
) -> None:
    asked = await market.questions(404)
    code = await refused(tail, team.app.profile.slug, team.outsider.headers)
    assert code == (404, "not_found")
    assert await market.questions(404) == asked + 1  # the market said so, not the server


async def test_a_revoked_token_and_no_credential_get_401(
    tail: TailStack, market: ServedMarket, team: Team
) -> None:
    m = market.market
    created = await m.client.post(
        "/api/v1/auth/tokens", headers=team.member.headers, json={"name": "laptop"}
    )
    assert created.status_code == 201, created.text
    revoked = await m.client.delete(
        f"/api/v1/auth/tokens/{created.json()['id']}", headers=team.member.headers
    )
    assert revoked.status_code == 204, revoked.text
    slug = team.app.profile.slug
    bearer = {"Authorization": f"Bearer {created.json()['token']}"}
    assert await refused(tail, slug, bearer) == (401, "unauthenticated")
    assert await refused(tail, slug, {}) == (401, "unauthenticated")


async def test_the_app_secret_never_asks_the_market(
    tail: TailStack, market: ServedMarket, team: Team
) -> None:
    asked = [await market.questions(status) for status in (200, 401, 404)]
    # As a bearer value too: it is recognised as the app's secret first.
    secret = {"Authorization": f"Bearer {team.app.secret}"}
    async with ndjson_tail(tail.url(team.app.profile.slug), secret) as stream:
        await stream.started()
    assert [await market.questions(status) for status in (200, 401, 404)] == asked


async def test_an_unreachable_market_is_a_503_while_secrets_still_work(stack: Any) -> None:
    closed_port = free_port()
    async with tail_stack(stack, market_url=f"http://127.0.0.1:{closed_port}") as cut_off:
        app = await cut_off.register()
        code = await refused(cut_off, app.profile.slug, {"Authorization": "Bearer anything"})
        assert code == (503, "unavailable")
        async with ndjson_tail(cut_off.url(app.profile.slug), app.headers) as stream:
            await stream.started()
