"""The alert history: events the server puts on ``alerts.events``, kept once and paged.

The market runs its consumers as in production; the test publishes real
``AlertEvent`` payloads to the real topic and reads the history and the
rules' status back through the API.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import select

from barito_common.alerts import AlertEvent, AlertSeverity, AlertTransition, notification_id
from barito_common.kafka import Topics, create_producer
from barito_market.models import AlertHistory as AlertHistoryRow
from barito_market.models import App as AppRow
from barito_testing.market import Market, MarketUser, market_on_postgres

T0 = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
async def market(stack: Any) -> AsyncIterator[Market]:
    async with market_on_postgres(stack) as market:
        yield market


@pytest.fixture(scope="module")
async def producer(market: Market) -> AsyncIterator[AIOKafkaProducer]:
    producer = create_producer(market.settings.kafka)
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


class App:
    """An app with one rule, and how to put its rule's events on the topic."""

    def __init__(self, market: Market, producer: AIOKafkaProducer, owner: MarketUser) -> None:
        self.market, self.producer, self.owner = market, producer, owner
        self.slug = self.id = self.rule_id = ""
        self.sequence = 0

    async def create(self) -> App:
        registered = await self.market.client.post(
            "/api/v1/apps",
            headers=self.owner.headers,
            json={"name": "checkout", "new_group": f"shop-{uuid.uuid4().hex[:6]}"},
        )
        self.slug = registered.json()["slug"]
        async with self.market.sessionmaker() as session:
            self.id = str(await session.scalar(select(AppRow.id).where(AppRow.slug == self.slug)))
        self.rule_id = await self.add_rule("errors")
        return self

    async def add_rule(self, name: str) -> str:
        made = await self.market.client.post(
            f"/api/v1/apps/{self.slug}/alerts",
            headers=self.owner.headers,
            json={"name": name, "condition": {"kind": "any"}},
        )
        assert made.status_code == 201, made.text
        rule_id: str = made.json()["id"]
        return rule_id

    def event(self, transition: str, at: datetime, rule_id: str | None = None) -> AlertEvent:
        self.sequence += 1
        rule = uuid.UUID(rule_id or self.rule_id)
        return AlertEvent(
            event_id=uuid.uuid4(),
            notification_id=notification_id(rule, self.sequence),
            rule_id=rule,
            rule_name="errors",
            app_id=self.id,
            transition=AlertTransition(transition),
            severity=AlertSeverity.WARNING,
            at=at,
            count=3,
            window_s=300,
            samples=[{"message": "boom", "level": "error"}],
            deliveries={str(uuid.uuid4()): "delivered"},
        )

    async def put(self, *events: AlertEvent) -> None:
        topic = Topics(self.market.settings.kafka.topic_prefix).alert_events
        for event in events:
            value = event.model_dump_json().encode()
            await self.producer.send_and_wait(topic, value, key=self.id.encode())

    async def history(self, query: str = "") -> Any:
        page = await self.market.client.get(
            f"/api/v1/apps/{self.slug}/alerts/history{query}", headers=self.owner.headers
        )
        assert page.status_code == 200, page.text
        return page.json()

    async def history_with(self, event: AlertEvent) -> Any:
        """The history once ``event`` is in it (the consumer reads in the background)."""
        async with asyncio.timeout(60):
            while True:
                history = await self.history("?limit=200")
                if str(event.event_id) in {entry["id"] for entry in history["data"]}:
                    return history
                await asyncio.sleep(0.1)

    async def status(self) -> str:
        rules = await self.market.client.get(
            f"/api/v1/apps/{self.slug}/alerts", headers=self.owner.headers
        )
        by_id = {rule["id"]: rule["status"] for rule in rules.json()["data"]}
        return by_id[self.rule_id]


async def new_app(market: Market, producer: AIOKafkaProducer, owner: MarketUser) -> App:
    return await App(market, producer, owner).create()


async def test_an_event_put_twice_on_the_topic_is_kept_once(
    market: Market, producer: AIOKafkaProducer, users: dict[str, MarketUser]
) -> None:
    app = await new_app(market, producer, users["owner"])
    fired = app.event("firing", T0)
    later = app.event("resolved", T0 + timedelta(minutes=5))

    # Same key, same partition: once `later` is stored, both copies were read.
    await app.put(fired, fired, later)
    history = await app.history_with(later)

    assert [entry["id"] for entry in history["data"]] == [str(later.event_id), str(fired.event_id)]
    entry = history["data"][1]
    assert entry["transition"] == "firing" and entry["rule_id"] == app.rule_id
    assert entry["samples"] == [{"message": "boom", "level": "error"}]
    assert list(entry["deliveries"].values()) == ["delivered"]
    assert history["next_cursor"] is None


async def test_a_rules_status_follows_its_latest_transition(
    market: Market, producer: AIOKafkaProducer, users: dict[str, MarketUser]
) -> None:
    app = await new_app(market, producer, users["owner"])
    assert await app.status() == "ok"

    fired = app.event("firing", T0)
    await app.put(fired)
    await app.history_with(fired)
    assert await app.status() == "firing"

    reminded = app.event("renotify", T0 + timedelta(minutes=10))
    await app.put(reminded)
    await app.history_with(reminded)
    assert await app.status() == "firing"

    resolved = app.event("resolved", T0 + timedelta(minutes=20))
    await app.put(resolved)
    await app.history_with(resolved)
    assert await app.status() == "resolved"
    one = await market.client.get(
        f"/api/v1/apps/{app.slug}/alerts/{app.rule_id}", headers=users["owner"].headers
    )
    assert one.json()["status"] == "resolved"


async def test_the_history_is_paged_newest_first_and_filtered_by_rule(
    market: Market, producer: AIOKafkaProducer, users: dict[str, MarketUser]
) -> None:
    app = await new_app(market, producer, users["owner"])
    other_rule = await app.add_rule("latency")
    events = [app.event(("firing", "resolved")[i % 2], T0 + timedelta(minutes=i)) for i in range(5)]
    # Two at the same moment: the cursor must still neither skip nor repeat one.
    events.append(app.event("firing", T0 + timedelta(minutes=4)))
    other = app.event("firing", T0 + timedelta(minutes=30), rule_id=other_rule)
    await app.put(*events, other)
    await app.history_with(other)

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        query = f"?rule={app.rule_id}&limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = await app.history(query)
        pages += 1
        seen += [entry["id"] for entry in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert pages == 3 and len(seen) == len(set(seen)) == 6
    assert {str(e.event_id) for e in events} == set(seen)
    by_id = {str(e.event_id): e.at for e in events}
    assert [by_id[i] for i in seen] == sorted(by_id.values(), reverse=True)
    everything = await app.history()
    assert everything["data"][0]["id"] == str(other.event_id)
    assert len(everything["data"]) == 7


async def test_a_cursor_it_did_not_give_and_a_stranger_are_refused(
    market: Market, producer: AIOKafkaProducer, users: dict[str, MarketUser]
) -> None:
    app = await new_app(market, producer, users["owner"])
    url = f"/api/v1/apps/{app.slug}/alerts/history"

    bad = await market.client.get(f"{url}?cursor=not-a-cursor", headers=users["owner"].headers)
    too_many = await market.client.get(f"{url}?limit=201", headers=users["owner"].headers)
    stranger = await market.client.get(url, headers=users["outsider"].headers)

    assert bad.status_code == 422
    assert "cursor: not a cursor this history gave" in bad.json()["error"]["message"]
    assert too_many.status_code == 422 and "limit" in too_many.json()["error"]["message"]
    assert stranger.status_code == 404


async def test_an_app_deleted_and_made_again_under_its_name_starts_without_rules_or_history(
    market: Market, producer: AIOKafkaProducer, users: dict[str, MarketUser]
) -> None:
    owner = users["owner"].headers
    old = await new_app(market, producer, users["owner"])
    fired = old.event("firing", T0)
    await old.put(fired)
    await old.history_with(fired)
    group = (await market.client.get(f"/api/v1/apps/{old.slug}", headers=owner)).json()["group"]

    assert (
        await market.client.delete(f"/api/v1/apps/{old.slug}", headers=owner)
    ).status_code == 204
    again = await market.client.post(
        "/api/v1/apps", headers=owner, json={"name": "checkout", "group": group}
    )

    assert again.status_code == 201, again.text
    slug = again.json()["slug"]
    assert slug != old.slug  # a slug is never reused, so nothing keyed by it carries over
    rules = await market.client.get(f"/api/v1/apps/{slug}/alerts", headers=owner)
    history = await market.client.get(f"/api/v1/apps/{slug}/alerts/history", headers=owner)
    assert rules.json()["data"] == [] and history.json()["data"] == []
    gone = await market.client.get(f"/api/v1/apps/{old.slug}/alerts/history", headers=owner)
    assert gone.status_code == 404
    # A late event of the old app's rule stays the old app's.
    late = old.event("resolved", T0 + timedelta(minutes=5))
    await old.put(late)
    async with market.sessionmaker() as session:
        async with asyncio.timeout(30):
            while await session.get(AlertHistoryRow, late.event_id) is None:
                await asyncio.sleep(0.2)
                session.expire_all()
    history = await market.client.get(f"/api/v1/apps/{slug}/alerts/history", headers=owner)
    assert history.json()["data"] == []


async def test_a_sample_holding_a_nul_or_odd_text_is_kept_and_blocks_nothing_after_it(
    market: Market, producer: AIOKafkaProducer, users: dict[str, MarketUser]
) -> None:
    # Logs carry anything: a NUL, lone surrogates escaped in JSON, deep nesting.
    app = await new_app(market, producer, users["owner"])
    odd = app.event("firing", T0)
    odd = odd.model_copy(
        update={
            "samples": [{"message": "before\x00after", "raw": "\\ud800", "n": {"a": [1, None]}}]
        }
    )
    after = app.event("resolved", T0 + timedelta(minutes=1))

    await app.put(odd, after)
    history = await app.history_with(after)

    assert [entry["id"] for entry in history["data"]] == [str(after.event_id), str(odd.event_id)]
    sample = history["data"][1]["samples"][0]
    assert sample["message"] in ("before\x00after", "beforeafter")
    assert sample["n"] == {"a": [1, None]}
