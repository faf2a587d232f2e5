"""Redaction rules reach the receivers through Kafka, so they hold while the market is down.

Rules are made through the market's API; then the market stops (its
database is dropped too). A receiver that was running already and one
started only after the market stopped both mask a card number and an email
before the event reaches the app's topic: the chunks on Kafka hold the
masks and the original values nowhere.
"""

from __future__ import annotations

import asyncio
import uuid
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest

from barito_common.app_registry import AppRegistry
from barito_common.chunk_codec import Event, decode_chunk
from barito_common.kafka import Topics
from barito_common.redaction import mask_for
from barito_common.settings import KafkaSettings
from barito_testing.apps import topic_values
from barito_testing.market import market_settings, postgres_database, running_market
from barito_testing.receiver import in_process_receiver

pytestmark = pytest.mark.stack

CARD = "4111 1111 1111 1111"  # passes the Luhn check
EMAIL = "ann@example.test"
RULES = [
    {"name": "card", "kind": "detector", "detector": "credit_card"},
    {"name": "user-email", "kind": "mask", "field": "user.email"},
]


async def until_rules(registry: AppRegistry, slug: str, names: list[str]) -> None:
    """Wait until the receiver's registry holds ``slug`` with exactly these rules, in order."""
    async with asyncio.timeout(20):
        while True:
            profile = registry.by_slug(slug)
            if profile is not None and [r.name for r in profile.redaction_rules] == names:
                return
            await asyncio.sleep(0.05)


async def send(receiver: httpx.AsyncClient, secret: str, marker: str) -> None:
    event = (
        f'{{"marker":"{marker}","message":"paid with {CARD}",'
        f'"user":{{"email":"{EMAIL}","id":7}}}}\n'
    )
    response = await receiver.post(
        "/api/v1/logs",
        headers={"X-App-Secret": secret, "Content-Type": "application/x-ndjson"},
        content=event.encode(),
    )
    assert response.status_code == 200, response.text


async def stored(kafka: KafkaSettings, topic: str, markers: set[str]) -> list[bytes]:
    """The app topic's chunks once they hold an event of every marker."""
    async with asyncio.timeout(30):
        while True:
            chunks = await topic_values(kafka, topic)
            events = [event for chunk in chunks for event in decode_chunk(chunk)]
            if {event.record.get("marker") for event in events} >= markers:
                return chunks
            await asyncio.sleep(0.2)


async def test_receivers_mask_with_the_markets_rules_while_the_market_is_down(stack: Any) -> None:
    prefix = f"r{uuid.uuid4().hex[:8]}."
    kafka = KafkaSettings(bootstrap_servers=stack.kafka_bootstrap, topic_prefix=prefix)
    async with AsyncExitStack() as running:
        async with (
            postgres_database(stack.postgres_url) as url,
            running_market(
                market_settings(
                    kafka_bootstrap=stack.kafka_bootstrap, database_url=url, topic_prefix=prefix
                )
            ) as market,
        ):
            owner = await market.create_user()
            app = await market.client.post(
                "/api/v1/apps",
                headers=owner.headers,
                json={"name": "payments", "new_group": f"pay-{uuid.uuid4().hex[:6]}"},
            )
            assert app.status_code == 201, app.text
            slug, secret = app.json()["slug"], app.json()["secret"]
            # Running before the rules exist: it learns them as they change.
            before = await running.enter_async_context(in_process_receiver(kafka))
            for rule in RULES:
                made = await market.client.post(
                    f"/api/v1/apps/{slug}/redactions", headers=owner.headers, json=rule
                )
                assert made.status_code == 201, made.text
            await until_rules(before.registry, slug, ["card", "user-email"])
        # The market and its database are gone: only Kafka knows the rules now.
        after = await running.enter_async_context(in_process_receiver(kafka))
        await until_rules(after.registry, slug, ["card", "user-email"])

        await send(before.client, secret, "running-before")
        await send(after.client, secret, "started-after")

        chunks = await stored(kafka, Topics(prefix).logs(slug), {"running-before", "started-after"})

    raw = b"".join(chunks)
    assert CARD.encode() not in raw and CARD.replace(" ", "").encode() not in raw
    assert EMAIL.encode() not in raw
    events: list[Event] = [event for chunk in chunks for event in decode_chunk(chunk)]
    assert sorted(
        (e.record["marker"], e.record["message"], e.record["user"]["email"]) for e in events
    ) == [
        ("running-before", f"paid with {mask_for('card')}", mask_for("user-email")),
        ("started-after", f"paid with {mask_for('card')}", mask_for("user-email")),
    ]
    assert all(e.record["user"]["id"] == 7 for e in events)
