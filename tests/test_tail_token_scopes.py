"""Scoped API tokens at the live tail: the tail server asks the real market.

The tail server checks a token by asking the market ``GET /api/v1/apps/{app}``
with the caller's headers; the market (its lifespan, migrations and Kafka
publisher, on a database of its own) is served over HTTP for it. So a
read-only token tails, and a token limited to another group gets the
market's 404 — the app does not exist for it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from barito_testing.apps import App
from barito_testing.market import (
    Market,
    MarketUser,
    market_settings,
    postgres_database,
    running_market,
)
from barito_testing.server import TailStack, ndjson_tail, tail_stack
from barito_testing.serving import serve

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
async def served(stack: Any) -> AsyncIterator[tuple[Market, str]]:
    prefix = f"tails{uuid.uuid4().hex[:8]}."
    async with postgres_database(stack.postgres_url) as database_url:
        settings = market_settings(
            kafka_bootstrap=stack.kafka_bootstrap, database_url=database_url, topic_prefix=prefix
        )
        async with running_market(settings) as market, serve(market.app, lifespan="off") as url:
            yield market, url


@pytest.fixture(scope="module")
async def tail(stack: Any, served: tuple[Market, str]) -> AsyncIterator[TailStack]:
    market, url = served
    # Refusals are not cached, so each one is the market's answer to this very token.
    async with tail_stack(
        stack,
        topic_prefix=market.settings.kafka.topic_prefix,
        market_url=url,
        market_cache_s=300,
        market_negative_cache_s=0,
    ) as running:
        yield running


async def _register(market: Market, owner: MarketUser, tail: TailStack) -> App:
    response = await market.client.post(
        "/api/v1/apps",
        headers=owner.headers,
        json={"name": "checkout", "new_group": f"shop-{uuid.uuid4().hex[:6]}"},
    )
    assert response.status_code == 201, response.text
    return await tail.wait_registered(response.json()["slug"], response.json()["secret"])


async def _token(market: Market, owner: MarketUser, **scope: Any) -> dict[str, str]:
    created = await market.client.post(
        "/api/v1/auth/tokens", headers=owner.headers, json={"name": "tail", **scope}
    )
    assert created.status_code == 201, created.text
    return {"Authorization": f"Bearer {created.json()['token']}"}


async def test_a_read_only_token_tails_and_a_token_of_another_group_gets_404(
    served: tuple[Market, str], tail: TailStack
) -> None:
    market, _ = served
    owner = await market.create_user()
    app = await _register(market, owner, tail)
    other = await _register(market, owner, tail)

    read_only = await _token(market, owner, read_only=True)
    async with ndjson_tail(tail.url(app.profile.slug), read_only) as stream:
        await stream.started()
        await tail.post(app, [{"seq": 1}])
        assert (await stream.events(1))[0]["event"]["seq"] == 1

    limited = await _token(market, owner, group=other.profile.group_slug)
    async with httpx.AsyncClient(base_url=tail.server_url) as client:
        refused = await client.get(f"/api/v1/tail/{app.profile.slug}", headers=limited)
    assert refused.status_code == 404
    assert refused.json()["error"]["message"] == (
        f"No app named '{app.profile.slug}' that these credentials may read."
    )
    async with ndjson_tail(tail.url(other.profile.slug), limited) as stream:
        await stream.started()
