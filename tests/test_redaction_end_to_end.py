"""Redaction from the market's API to every place a log is read, through the five services.

A team adds detector rules to its app through ``/api/v1/apps/{slug}/redactions``,
waits until the receiver applies them (a probe seen masked on the live
tail), then posts a card number, an email address and a JWT. The event is
masked, naming each rule, in search, on the live tail and, for an event the
search engine refuses (a field whose type conflicts with the mapping), in
the dead letter the flow writes; the original values appear nowhere.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from barito_common.kafka import Topics, create_consumer
from barito_common.redaction import mask_for
from barito_common.schemas import DeadLetter, from_bytes
from barito_common.settings import KafkaSettings
from barito_testing.stack import Stack
from tests.support.walk import SETTLE_S, Walk
from tests.support.web_stack import WebStack, web_stack

pytestmark = pytest.mark.timeout(600)

CARD = "4111 1111 1111 1111"  # a Luhn-valid test card number
EMAIL = "jane.doe@example.com"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk"
ORIGINALS = (CARD, CARD.replace(" ", ""), EMAIL, JWT)
SECRETS = f"paid {CARD} by {EMAIL} with {JWT}"
MASKED = f"paid {mask_for('card')} by {mask_for('mail')} with {mask_for('token')}"
RULES = {"card": "credit_card", "mail": "email", "token": "jwt"}


@pytest.fixture(scope="module")
def services(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebStack]:
    with web_stack(stack, tmp_path_factory.mktemp("redaction-services")) as running:
        yield running


def _send(walk: Walk, secret: str, record: dict[str, Any]) -> None:
    body = json.dumps(record).encode() + b"\n"
    assert walk.send("/api/v1/logs", "application/x-ndjson", body, secret, gzipped=False) == 1


def _search_until(
    walk: Walk, slug: str, token: str, markers: set[str]
) -> dict[str, dict[str, Any]]:
    """Search's hits by marker once every one of ``markers`` is found, or when time ran out."""
    found: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + SETTLE_S
    while not markers <= found.keys() and time.monotonic() < deadline:
        start = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
        with walk.client(walk.market, timeout=30) as market:
            response = market.get(
                f"/api/v1/apps/{slug}/logs",
                params={"start": start, "size": 200},
                headers={"Authorization": f"Bearer {token}"},
            )
        assert response.status_code == 200, response.text
        found = {hit["source"]["marker"]: hit["source"] for hit in response.json()["hits"]}
        time.sleep(1)
    return found


async def _dead_letter(kafka: KafkaSettings, slug: str) -> DeadLetter:
    consumer = create_consumer(kafka, Topics(kafka.topic_prefix).dead_letters, group_id=None)
    await consumer.start()
    try:
        async with asyncio.timeout(SETTLE_S):
            while True:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    for record in records:
                        letter = from_bytes(DeadLetter, record.value)
                        if letter.app_slug == slug:
                            return letter
    finally:
        await consumer.stop()


def test_rules_added_in_the_market_mask_search_the_live_tail_and_dead_letters(
    services: WebStack, stack: Stack
) -> None:
    walk = Walk(
        market=services.market_url, receiver=services.receiver_url, tail=services.urls["server"]
    )
    _, _, token = walk.sign_up()
    slug, secret = walk.register(token, "Redacted", group=f"red-{uuid.uuid4().hex[:6]}")
    auth = {"Authorization": f"Bearer {token}"}
    with walk.client(walk.market, timeout=30) as market:
        for name, detector in RULES.items():
            created = market.post(
                f"/api/v1/apps/{slug}/redactions",
                json={"name": name, "kind": "detector", "detector": detector},
                headers=auth,
            )
            assert created.status_code == 201, created.text
            assert created.json()["detector"] == detector
        listed = market.get(f"/api/v1/apps/{slug}/redactions", headers=auth)
    assert [rule["name"] for rule in listed.json()["rules"]] == list(RULES)

    # The receiver learns the rules from the app's republished profile: probes
    # go until one comes back masked, so no secret is sent before that.
    def probe_masked(seen: dict[str, dict[str, Any]]) -> bool:
        return any(event.get("message") == f"probe {mask_for('mail')}" for event in seen.values())

    deadline = time.monotonic() + SETTLE_S
    n = 0
    while True:
        marker = f"probe-{n}"
        _send(walk, secret, {"marker": marker, "message": "probe probe@example.com"})
        seen = walk.tail_events(slug, secret, {marker})
        if probe_masked(seen):
            break
        assert time.monotonic() < deadline, "the receiver never applied the market's rules"
        n += 1

    # "n" becomes a number in the mapping first, so the second event's text in
    # it is refused by the engine and dead-lettered.
    _send(walk, secret, {"marker": "indexed", "message": SECRETS, "n": 1})
    searched = _search_until(walk, slug, token, {"indexed"})
    assert searched["indexed"]["message"] == MASKED
    _send(walk, secret, {"marker": "refused", "message": SECRETS, "n": SECRETS})

    letter = asyncio.run(
        _dead_letter(
            KafkaSettings(bootstrap_servers=stack.kafka_bootstrap, topic_prefix=f"{services.run}."),
            slug,
        )
    )
    assert letter.event["marker"] == "refused"
    assert letter.event["n"] == MASKED and letter.event["message"] == MASKED
    tailed = walk.tail_events(slug, secret, {"indexed", "refused"})
    assert tailed["indexed"]["message"] == tailed["refused"]["n"] == MASKED
    searched = _search_until(walk, slug, token, {"indexed"})

    stored = json.dumps([searched, tailed, letter.event, letter.reason])
    assert [original for original in ORIGINALS if original in stored] == []
