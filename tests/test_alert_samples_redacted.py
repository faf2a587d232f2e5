"""An alert's sample events are redacted as search results are: through the five services.

A team masks card numbers in its app (``/api/v1/apps/{slug}/redactions``), adds a
webhook channel and a rule, then logs a payment with a card number. The
notification the webhook receives and the history the market keeps carry the
masked event only: the receiver redacts before anything reaches Kafka, and the
server takes its samples from that stream.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from barito_common.redaction import mask_for
from barito_testing.stack import Stack
from barito_testing.webhook_receiver import webhook_receiver
from tests.support.walk import SETTLE_S, Walk
from tests.support.web_stack import WebStack, web_stack

pytestmark = pytest.mark.timeout(600)

CARD = "4111 1111 1111 1111"  # a Luhn-valid test card number
# The webhook receiver listens on loopback, which alert channels refuse by default.
PRIVATE_TARGETS = {"BARITO_ALERT_PRIVATE_TARGETS": "true"}


@pytest.fixture(scope="module")
def services(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebStack]:
    overrides = {"market": PRIVATE_TARGETS, "server": PRIVATE_TARGETS}
    logs = tmp_path_factory.mktemp("alert-samples")
    with web_stack(stack, logs, overrides=overrides) as running:
        yield running


def _send(walk: Walk, secret: str, record: dict[str, Any]) -> None:
    body = json.dumps(record).encode() + b"\n"
    assert walk.send("/api/v1/logs", "application/x-ndjson", body, secret, gzipped=False) == 1


async def test_an_alerts_samples_in_the_notification_and_the_history_are_redacted(
    services: WebStack,
) -> None:
    walk = Walk(
        market=services.market_url, receiver=services.receiver_url, tail=services.urls["server"]
    )
    _, _, token = walk.sign_up()
    group = f"pay-{uuid.uuid4().hex[:6]}"
    slug, secret = walk.register(token, "Payments", group=group)
    auth = {"Authorization": f"Bearer {token}"}
    with walk.client(walk.market, timeout=30) as market:
        masked = market.post(
            f"/api/v1/apps/{slug}/redactions",
            json={"name": "card", "kind": "detector", "detector": "credit_card"},
            headers=auth,
        )
        assert masked.status_code == 201, masked.text

    # The receiver learns the rule from the app's profile: probe until it masks.
    deadline = time.monotonic() + SETTLE_S
    for n in range(10_000):
        _send(walk, secret, {"marker": f"probe-{n}", "message": f"probe {CARD}"})
        probe = walk.tail_events(slug, secret, {f"probe-{n}"}).get(f"probe-{n}")
        if probe is not None and CARD not in probe["message"]:
            break
        assert time.monotonic() < deadline, "the receiver never applied the redaction rule"

    async with webhook_receiver() as receiver:
        with walk.client(walk.market, timeout=30) as market:
            channel = market.post(
                f"/api/v1/groups/{group}/alert-channels",
                json={"name": "hook", "kind": "webhook", "config": {"url": receiver.url}},
                headers=auth,
            )
            assert channel.status_code == 201, channel.text
            rule = market.post(
                f"/api/v1/apps/{slug}/alerts",
                json={
                    "name": "payments",
                    "match": {"q": "paid"},
                    "condition": {"kind": "any"},
                    "channel_ids": [channel.json()["id"]],
                },
                headers=auth,
            )
            assert rule.status_code == 201, rule.text

        # The server reads the stream from its end once it has the rule: send until it fires.
        deadline = time.monotonic() + SETTLE_S
        while not receiver.notifications:
            assert time.monotonic() < deadline, "no notification reached the webhook"
            _send(walk, secret, {"marker": "payment", "message": f"paid with {CARD}"})
            await asyncio.sleep(2)
        (fired,) = receiver.notifications

    assert fired["transition"] == "firing"
    assert fired["samples"][0]["message"] == f"paid with {mask_for('card')}"
    assert CARD not in json.dumps(receiver.notifications)
    history: list[dict[str, Any]] = []
    async with asyncio.timeout(SETTLE_S):
        while not history:
            with walk.client(walk.market, timeout=30) as market:
                page = market.get(f"/api/v1/apps/{slug}/alerts/history", headers=auth)
            assert page.status_code == 200, page.text
            history = page.json()["data"]
            await asyncio.sleep(0.5)
    assert history[0]["samples"][0]["message"] == f"paid with {mask_for('card')}"
    assert CARD not in json.dumps(history)
