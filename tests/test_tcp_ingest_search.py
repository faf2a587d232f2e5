"""The receiver's TCP protocols, from a real agent to search, through the five services.

The five services as processes (``web_stack``), the receiver's forward and
syslog listeners on ports of their own: a team registers an app, reads the
addresses the market gives it, and sends marked events with unmodified
agents — fluent-logger-python over the forward protocol (the app secret as
the tag's first label) and rsyslog's ``omfwd`` with the templates
``docs/agents.md`` gives (RFC 5424, the secret in the structured data;
RFC 3164, the secret at the start of the message). Each marker is found
exactly once in search, with the fields the documentation names, and no
stored event holds the secret.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fluent import sender

from barito_testing.rsyslogd import running_rsyslogd, send_lines
from barito_testing.stack import Stack
from tests.support.walk import SETTLE_S, Walk
from tests.support.web_stack import WebStack, web_stack

pytestmark = pytest.mark.timeout(600)


@dataclass(frozen=True)
class Registered:
    secret: str


@pytest.fixture(scope="module")
def services(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebStack]:
    with web_stack(stack, tmp_path_factory.mktemp("tcp-ingest-services")) as running:
        yield running


def _hits(walk: Walk, slug: str, token: str) -> list[dict[str, Any]]:
    start = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    with walk.client(walk.market, timeout=30) as market:
        response = market.get(
            f"/api/v1/apps/{slug}/logs",
            params={"start": start, "size": 500},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 200, response.text
    return [hit["source"] for hit in response.json()["hits"]]


def _marker(hit: dict[str, Any]) -> str:
    # The forward events carry a marker field; a syslog line's marker ends its message.
    return str(hit.get("marker") or hit.get("message", "").split()[-1])


def _each_marker_once(walk: Walk, slug: str, token: str, markers: set[str]) -> list[dict[str, Any]]:
    deadline = time.monotonic() + SETTLE_S
    while True:
        hits = _hits(walk, slug, token)
        if {_marker(hit) for hit in hits} >= markers or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert sorted(markers - {_marker(hit) for hit in hits}) == [], "never found in search"
    assert sorted(_marker(hit) for hit in hits) == sorted(markers), "a marker is doubled"
    return hits


def test_fluent_logger_and_rsyslog_reach_search_once_each(
    services: WebStack, tmp_path: Path
) -> None:
    walk = Walk(
        market=services.market_url, receiver=services.receiver_url, tail=services.urls["server"]
    )
    _, _, token = walk.sign_up()
    slug, secret = walk.register(token, "Over TCP", group=f"tcp-{uuid.uuid4().hex[:6]}")
    with walk.client(walk.market, timeout=30) as market:
        app = market.get(f"/api/v1/apps/{slug}", headers={"Authorization": f"Bearer {token}"})
    endpoints = app.json()["endpoints"]
    forward = urlsplit(endpoints["forward"])
    syslog = urlsplit(endpoints["syslog"])
    assert forward.scheme == syslog.scheme == "tcp", endpoints
    assert forward.port is not None and syslog.port is not None

    run = uuid.uuid4().hex[:8]
    # The forward protocol: the secret is the tag's first label ("<secret>.web").
    forwarded = {f"fwd-{run}-{n}" for n in range(20)}
    logger = sender.FluentSender(
        secret, host="127.0.0.1", port=forward.port, nanosecond_precision=True
    )
    try:
        for marker in sorted(forwarded):
            assert logger.emit("web", {"message": "via forward", "marker": marker}), (
                logger.last_error
            )
    finally:
        logger.close()

    # syslog through a real rsyslogd: RFC 5424 (octet-counted) and RFC 3164 (LF).
    bsd = {f"bsd-{run}-{n}" for n in range(10)}
    ietf = {f"ietf-{run}-{n}" for n in range(10)}

    async def through_rsyslog() -> list[dict[str, Any]]:
        # Each rsyslogd runs until search holds every marker: stopped earlier, it
        # would keep unsent messages in its queue for its next start.
        ietf_target = {"rfc5424-octet": Registered(secret)}
        bsd_target = {"rfc3164-lf": Registered(secret)}
        async with (
            running_rsyslogd(tmp_path / "ietf", syslog.port, ietf_target) as ietf_port,
            running_rsyslogd(tmp_path / "bsd", syslog.port, bsd_target) as bsd_port,
        ):
            await send_lines(
                ietf_port, [f"<134>1 - web01 checkout 42 - - {m}" for m in sorted(ietf)]
            )
            # A BSD time has no year or zone: now, in UTC, as the receiver reads it.
            now = datetime.now(UTC).strftime("%b %e %H:%M:%S")
            lines = [f"<134>{now} web02 checkout: {m}" for m in sorted(bsd)]
            await send_lines(bsd_port, lines)
            return await asyncio.to_thread(
                _each_marker_once, walk, slug, token, forwarded | ietf | bsd
            )

    hits = asyncio.run(through_rsyslog())
    by_marker = {_marker(hit): hit for hit in hits}
    assert by_marker[min(forwarded)]["tag"] == "web"
    assert by_marker[min(ietf)]["facility"] == "local0"
    assert by_marker[min(ietf)]["level"] == "info"
    assert by_marker[min(ietf)]["app_name"] == "checkout"
    assert by_marker[min(bsd)]["hostname"] == "web02"
    assert by_marker[min(bsd)]["app_name"] == "checkout"
    assert secret not in json.dumps(hits), "a stored event holds the app secret"
