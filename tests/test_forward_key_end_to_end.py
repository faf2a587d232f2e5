"""A forward key made in the market opens the receiver's forward handshake, end to end.

The five services as processes (``web_stack``), sharing one installation key:
a team makes its app's forward key through the market's API (shown once,
stored and published only sealed), an agent speaking the forward protocol's
handshake with that key (username: the app's slug) sends acknowledged
events, and each is found once in search. Replacing the key in the market
shuts the old one out at the receiver, within the time the registry takes
to carry the new profile. The forward client follows the specification
byte for byte (no fluentd or Fluent Bit is installable here).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import msgpack
import pytest

from barito_testing.forward_client import spec_forward_client
from barito_testing.stack import Stack
from tests.support.walk import SETTLE_S, Walk
from tests.support.web_stack import WebStack, web_stack

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def services(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebStack]:
    with web_stack(stack, tmp_path_factory.mktemp("forward-key-services")) as running:
        yield running


def _forward_key(walk: Walk, slug: str, token: str) -> dict[str, Any]:
    with walk.client(walk.market, timeout=30) as market:
        made = market.post(
            f"/api/v1/apps/{slug}/forward-key", headers={"Authorization": f"Bearer {token}"}
        )
    assert made.status_code == 200, made.text
    answer: dict[str, Any] = made.json()
    return answer


async def _send_over_handshake(port: int, slug: str, key: str, markers: list[str]) -> list[Any]:
    """Handshake as ``slug`` with ``key``, send one acked PackedForward; the PONG and the ack."""
    async with spec_forward_client(port) as client:
        pong = await client.handshake(username=slug, shared_key=key, password=key)
        if pong[1] is not True:
            return [pong, None]
        entries = b"".join(
            msgpack.packb([int(time.time()), {"message": "via forward", "marker": marker}])
            for marker in markers
        )
        chunk = f"{uuid.uuid4().hex}"
        await client.send(["app.web", entries, {"size": len(markers), "chunk": chunk}])
        return [pong, await client.read(timeout_s=60)]


def test_a_forward_key_from_the_market_carries_acked_events_into_search(
    services: WebStack,
) -> None:
    walk = Walk(
        market=services.market_url, receiver=services.receiver_url, tail=services.urls["server"]
    )
    _, _, token = walk.sign_up()
    slug, _ = walk.register(token, "Forwarder", group=f"fwd-{uuid.uuid4().hex[:6]}")
    made = _forward_key(walk, slug, token)
    assert made["username"] == slug
    address = urlsplit(made["forward_url"])
    assert address.scheme == "tcp" and address.port is not None
    with walk.client(walk.market, timeout=30) as market:
        shown = market.get(f"/api/v1/apps/{slug}", headers={"Authorization": f"Bearer {token}"})
    assert shown.json()["has_forward_key"] is True
    assert made["forward_key"] not in shown.text

    markers = [f"fwd-{uuid.uuid4().hex[:8]}-{n}" for n in range(5)]
    # The receiver learns the key from the registry topic: refused until it has.
    deadline = time.monotonic() + 60
    while True:
        pong, ack = asyncio.run(
            _send_over_handshake(address.port, slug, made["forward_key"], markers)
        )
        if pong[1] is True:
            break
        assert time.monotonic() < deadline, pong
        time.sleep(1)
    assert isinstance(ack, dict) and "ack" in ack, ack

    found = walk.search_until(slug, token, set(markers))
    assert found == set(markers)

    # A replaced key shuts the old one out (once the new profile has reached the receiver).
    old_key = made["forward_key"]
    replaced = _forward_key(walk, slug, token)
    assert replaced["forward_key"] != old_key
    deadline = time.monotonic() + SETTLE_S
    while True:
        pong, _ = asyncio.run(_send_over_handshake(address.port, slug, old_key, []))
        if pong[1] is False:
            break
        assert time.monotonic() < deadline, "the replaced key still opens the handshake"
        time.sleep(1)
    assert "shared_key" in pong[2] or "key" in pong[2], pong
    pong, _ = asyncio.run(_send_over_handshake(address.port, slug, replaced["forward_key"], []))
    assert pong[1] is True, pong


def test_another_apps_forward_key_opens_nothing_for_this_app(services: WebStack) -> None:
    walk = Walk(
        market=services.market_url, receiver=services.receiver_url, tail=services.urls["server"]
    )
    _, _, token = walk.sign_up()
    group = f"fwd-{uuid.uuid4().hex[:6]}"
    mine, _ = walk.register(token, "Mine", group=group)
    with httpx.Client(base_url=walk.market, timeout=30) as market:
        other = market.post(
            "/api/v1/apps",
            headers={"Authorization": f"Bearer {token}"},
            json={"name": "Other", "group": group},
        )
    assert other.status_code == 201, other.text
    theirs = other.json()["slug"]
    _forward_key(walk, mine, token)
    their_key = _forward_key(walk, theirs, token)
    port = urlsplit(their_key["forward_url"]).port
    assert port is not None
    deadline = time.monotonic() + 60
    while True:  # their key works for them once the receiver has it ...
        pong, _ = asyncio.run(_send_over_handshake(port, theirs, their_key["forward_key"], []))
        if pong[1] is True:
            break
        assert time.monotonic() < deadline, pong
        time.sleep(1)
    # ... and never for my app.
    pong, _ = asyncio.run(_send_over_handshake(port, mine, their_key["forward_key"], []))
    assert pong[1] is False, pong
