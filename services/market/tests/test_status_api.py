"""An app's status page on a real market, receiver, flow, Kafka, Postgres and Elasticsearch.

Logs sent to the real receiver are indexed by the real flow; the status shows
the engine's count and store size, and the usage the receiver and flow report
(and usage reports and dead letters published straight to their topics).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from barito_common.kafka import Topics, create_producer
from barito_common.schemas import DeadLetter, UsageReport, to_bytes
from barito_market.models import App
from barito_testing.flow import Pipeline
from barito_testing.market import Market, MarketUser
from barito_testing.market_pipeline import RegisteredApp, market_with_pipeline, register, send

ROLES = ("superadmin", "owner", "admin", "member", "outsider", "anonymous")


@pytest.fixture(scope="module")
async def running(stack: Any) -> AsyncIterator[tuple[Market, Pipeline]]:
    async with market_with_pipeline(stack) as running:
        yield running


@pytest.fixture(scope="module")
def market(running: tuple[Market, Pipeline]) -> Market:
    return running[0]


@pytest.fixture(scope="module")
def data_path(running: tuple[Market, Pipeline]) -> Pipeline:
    return running[1]


@pytest.fixture(scope="module")
async def app(market: Market, users: dict[str, MarketUser]) -> RegisteredApp:
    registered = await register(market, users["owner"], f"shop{uuid.uuid4().hex[:6]}")
    for role in ("admin", "member"):
        added = await market.client.put(
            f"/api/v1/groups/{registered.group}/members",
            headers=users["owner"].headers,
            json={"email": users[role].email, "role": role},
        )
        assert added.status_code == 200, added.text
    return registered


async def status_when(
    market: Market, user: MarketUser, slug: str, done: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    async with asyncio.timeout(90):
        while True:
            response = await market.client.get(f"/api/v1/apps/{slug}/status", headers=user.headers)
            assert response.status_code == 200, response.text
            status: dict[str, Any] = response.json()
            if done(status):
                return status
            await asyncio.sleep(0.5)


@pytest.mark.parametrize("role", ROLES)
async def test_status_answers_each_caller_with_the_exact_status(
    market: Market, users: dict[str, MarketUser], app: RegisteredApp, role: str
) -> None:
    headers = {} if role == "anonymous" else users[role].headers

    response = await market.client.get(f"/api/v1/apps/{app.slug}/status", headers=headers)

    expected = {"outsider": 404, "anonymous": 401}.get(role, 200)
    assert response.status_code == expected, response.text
    if expected == 200:
        assert response.json()["slug"] == app.slug
    else:
        assert response.json()["error"]["message"]


async def test_an_app_that_does_not_exist_is_404_like_one_you_cannot_see(
    market: Market, users: dict[str, MarketUser]
) -> None:
    response = await market.client.get(
        "/api/v1/apps/no-such-app/status", headers=users["superadmin"].headers
    )
    assert response.status_code == 404
    assert "no-such-app" in response.json()["error"]["message"]


async def test_logs_sent_through_the_receiver_show_in_status_counts_and_usage(
    market: Market, data_path: Pipeline, users: dict[str, MarketUser]
) -> None:
    owner = users["owner"]
    app = await register(market, owner, f"pay{uuid.uuid4().hex[:6]}")
    # A neighbour whose slug extends this one's: its indices match this app's
    # pattern, and must not count.
    neighbour = await register(market, owner, f"{app.slug}-api", group=app.group)
    assert neighbour.slug.startswith(f"{app.slug}-")
    events = [{"message": f"payment {n}", "level": "info", "n": n} for n in range(25)]

    await send(data_path, app, events[:10])
    await send(data_path, app, events[10:])
    await send(data_path, neighbour, [{"message": "not mine"}] * 7)

    status = await status_when(
        market,
        owner,
        app.slug,
        lambda s: (
            bool(s["stored"])
            and s["stored"]["log_count"] >= 25
            and s["received_events_24h"] >= 25
            and s["indexed_events_24h"] >= 25
        ),
    )
    assert status["stored"]["log_count"] == 25
    assert status["stored"]["indices"] == 1
    assert status["stored"]["bytes_stored"] > 0
    assert status["stored_error"] is None
    assert status["received_events_24h"] == 25
    assert status["indexed_events_24h"] == 25
    assert status["received_bytes_24h"] > 0
    assert status["rejected_24h"] == {}
    assert status["dead_lettered_24h"] == 0
    assert sum(point["received_events"] for point in status["last_hour"]) == 25
    assert sum(point["indexed_events"] for point in status["last_day"]) == 25
    assert len(status["last_hour"]) == 60
    assert len(status["last_day"]) == 96


async def test_usage_reports_and_dead_letters_on_their_topics_show_in_status(
    market: Market, users: dict[str, MarketUser], app: RegisteredApp
) -> None:
    owner = users["owner"]
    before = await market.client.get(f"/api/v1/apps/{app.slug}/status", headers=owner.headers)
    app_id = await app_id_of(market, app.slug)
    now = datetime.now(UTC)
    topics = Topics(market.settings.kafka.topic_prefix)
    report = UsageReport(
        app_id=app_id,
        window_start=now,
        window_end=now,
        events=40,
        bytes=4000,
        rejected={"rate_limited": 3, "invalid_event": 2},
        source="receiver",
    )
    letter = DeadLetter(
        app_id=app_id,
        app_slug=app.slug,
        topic=topics.logs(app.slug),
        partition=0,
        offset=99,
        index_in_chunk=1,
        event={"n": "x"},
        reason="mapper_parsing_exception",
        failed_at=now,
    )
    producer = create_producer(market.settings.kafka)
    await producer.start()
    try:
        await producer.send_and_wait(topics.usage, to_bytes(report), key=app_id.encode())
        # The same report again, as a producer retry would send it: counted once.
        await producer.send_and_wait(topics.usage, to_bytes(report), key=app_id.encode())
        await producer.send_and_wait(topics.dead_letters, to_bytes(letter), key=app_id.encode())
    finally:
        await producer.stop()
    base = before.json()

    status = await status_when(
        market,
        owner,
        app.slug,
        lambda s: (
            s["received_events_24h"] >= base["received_events_24h"] + 40
            and s["dead_lettered_24h"] >= base["dead_lettered_24h"] + 1
        ),
    )

    assert status["received_events_24h"] == base["received_events_24h"] + 40
    assert status["rejected_24h"] == {"rate_limited": 3, "invalid_event": 2}
    assert status["dead_lettered_24h"] == base["dead_lettered_24h"] + 1
    assert sum(point["rejected"] for point in status["last_hour"]) == 5


async def app_id_of(market: Market, slug: str) -> str:
    async with market.sessionmaker() as session:
        app_id = await session.scalar(select(App.id).where(App.slug == slug))
    assert app_id is not None
    return str(app_id)
