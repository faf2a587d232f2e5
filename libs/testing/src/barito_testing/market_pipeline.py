"""A market with a real receiver and flow behind it, sharing its topic and index prefixes.

The data path of ``tests/flow_pipeline.py`` (receiver and flow in-process on
the stack's Kafka and search engine) plus a market on a throwaway Postgres
with the same Kafka topic prefix and search index prefix, so an app
registered through the market's API takes logs at the receiver, is indexed by
flow, and is counted and searched by the market::

    async with market_with_pipeline(stack) as (market, pipeline):
        app = await register(market, owner, "checkout")
        await send(pipeline, app, [{"message": "hi"}])
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import orjson

from barito_testing.flow import Pipeline, pipeline
from barito_testing.market import Market, MarketUser, market_on_postgres

__all__ = ["RegisteredApp", "market_with_pipeline", "register", "send"]


@dataclass(frozen=True)
class RegisteredApp:
    slug: str
    group: str
    secret: str


@asynccontextmanager
async def market_with_pipeline(
    stack: Any, engine: str = "elasticsearch"
) -> AsyncIterator[tuple[Market, Pipeline]]:
    # Short usage windows, so the market sees the counts within seconds.
    async with (
        pipeline(stack, engine, usage_window_s=1.0) as data_path,
        market_on_postgres(
            stack, topic_prefix=data_path.kafka.topic_prefix, search=data_path.search_settings
        ) as market,
    ):
        yield market, data_path


async def register(
    market: Market, owner: MarketUser, name: str, *, group: str | None = None
) -> RegisteredApp:
    """Register an app through the API: in ``group``, or in a new group named after it."""
    body: dict[str, Any] = {"name": name}
    body.update({"group": group} if group else {"new_group": f"{name}-team"})
    response = await market.client.post("/api/v1/apps", headers=owner.headers, json=body)
    assert response.status_code == 201, response.text
    answer = response.json()
    return RegisteredApp(answer["slug"], answer["group"], answer["secret"])


async def send(data_path: Pipeline, app: RegisteredApp, events: list[dict[str, Any]]) -> None:
    """POST NDJSON as fluentd does; a 401 means the receiver has not read the profile yet."""
    body = b"".join(orjson.dumps(event) + b"\n" for event in events)
    headers = {"X-App-Secret": app.secret, "Content-Type": "application/x-ndjson"}
    async with asyncio.timeout(60):
        while True:
            response = await data_path.receiver.post("/api/v1/logs", content=body, headers=headers)
            if response.status_code == 200:
                assert response.json() == {"accepted": len(events)}
                return
            assert response.status_code in (401, 429, 503), response.text
            await asyncio.sleep(0.3)
