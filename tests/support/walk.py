"""A new team's walk through a running Barito, over its public HTTP(S) endpoints only.

For the compose walk (containers) and the secured walk (``barito up --secure``):
sign up, register an app, send every agent body ``docs/agents.md`` documents
(plain and gzipped), then find each event in search and on the live tail::

    walk = Walk(market=..., receiver=..., tail=..., verify=ssl_context_or_True)
    email, password, token = walk.sign_up()
    slug, secret = walk.register(token, "Checkout", group="walk-1a2b3c")
    expected = walk.send_every_agent_body(secret, run="1a2b3c4d")
    assert walk.search_until(slug, token, expected) == expected
    assert expected <= walk.tail_until(slug, secret, expected)
"""

from __future__ import annotations

import gzip
import json
import secrets
import ssl
import struct
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import msgpack

__all__ = ["SETTLE_S", "Walk", "agent_bodies"]

# Waits for the pipeline's background work (indexing), not durations.
SETTLE_S = 180


@dataclass(frozen=True)
class Walk:
    market: str
    receiver: str
    tail: str
    # What httpx verifies the services' certificates with: True for the
    # system's trust store (and plain http), or a context trusting the run's CA.
    verify: ssl.SSLContext | bool = True

    def client(self, base_url: str, **options: Any) -> httpx.Client:
        return httpx.Client(base_url=base_url, verify=self.verify, **options)

    def sign_up(self) -> tuple[str, str, str]:
        """A new account through the API; its email, password and an API token."""
        email = f"walk-{uuid.uuid4().hex[:8]}@example.test"
        password = secrets.token_urlsafe(12)
        with self.client(self.market, timeout=30) as market:
            created = market.post(
                "/api/v1/auth/signup", json={"email": email, "password": password}
            )
            assert created.status_code == 201, created.text
            login = market.post("/api/v1/auth/login", json={"email": email, "password": password})
            assert login.status_code == 200, login.text
            token = market.post(
                "/api/v1/auth/tokens",
                json={"name": "walk"},
                headers={"X-CSRF-Token": login.json()["csrf_token"]},
            )
            assert token.status_code == 201, token.text
        return email, password, token.json()["token"]

    def register(self, token: str, name: str, *, group: str) -> tuple[str, str]:
        """A new app in a new group; its slug and secret."""
        with self.client(self.market, timeout=30) as market:
            registered = market.post(
                "/api/v1/apps",
                headers={"Authorization": f"Bearer {token}"},
                json={"name": name, "new_group": group},
            )
        assert registered.status_code == 201, registered.text
        return registered.json()["slug"], registered.json()["secret"]

    def send_every_agent_body(self, secret: str, *, run: str) -> set[str]:
        """Every agent body, plain and gzipped; the markers the receiver accepted."""
        expected: set[str] = set()
        for gzipped in (False, True):
            for path, content_type, body, markers in agent_bodies(
                f"{run}{'z' if gzipped else 'p'}"
            ):
                accepted = self.send(path, content_type, body, secret, gzipped=gzipped)
                assert accepted == len(markers), (path, content_type, gzipped)
                expected |= set(markers)
        return expected

    def send(self, path: str, content_type: str, body: bytes, secret: str, *, gzipped: bool) -> int:
        """POST one agent body; the number of events the receiver accepted."""
        headers = {"X-App-Secret": secret, "Content-Type": content_type}
        if gzipped:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        deadline = time.monotonic() + 60
        with self.client(self.receiver, timeout=40) as receiver:
            while True:
                response = receiver.post(path, content=body, headers=headers)
                if response.status_code == 200:
                    accepted: int = response.json()["accepted"]
                    return accepted
                # The receiver learns a new app from the registry topic: 401 until it has.
                assert response.status_code in (401, 503), response.text
                assert time.monotonic() < deadline, response.text
                time.sleep(0.5)

    def searched_markers(self, slug: str, token: str) -> set[str]:
        start = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
        with self.client(self.market, timeout=30) as market:
            response = market.get(
                f"/api/v1/apps/{slug}/logs",
                params={"start": start, "size": 200},
                headers={"Authorization": f"Bearer {token}"},
            )
        if response.status_code != 200:
            return set()
        return {hit["source"].get("marker") for hit in response.json()["hits"]} - {None}

    def search_until(self, slug: str, token: str, expected: set[str]) -> set[str]:
        """What search holds once every expected marker is found, or when time ran out."""
        found: set[str] = set()
        deadline = time.monotonic() + SETTLE_S
        while not expected <= found and time.monotonic() < deadline:
            found = self.searched_markers(slug, token)
            time.sleep(2)
        return found

    def tail_until(self, slug: str, secret: str, expected: set[str]) -> set[str]:
        """Markers the live tail shows (from 10 minutes back) until all came or time ran out."""
        return set(self.tail_events(slug, secret, expected))

    def tail_events(self, slug: str, secret: str, expected: set[str]) -> dict[str, dict[str, Any]]:
        """Events the live tail shows (from 10 minutes back), by marker, until every
        ``expected`` marker came or time ran out."""
        seen: dict[str, dict[str, Any]] = {}
        deadline = time.monotonic() + SETTLE_S
        with self.client(self.tail, timeout=httpx.Timeout(30, read=20)) as client:
            while not expected <= seen.keys() and time.monotonic() < deadline:
                try:
                    with client.stream(
                        "GET",
                        f"/api/v1/tail/{slug}",
                        params={"since": "600"},
                        headers={"X-App-Secret": secret},
                    ) as response:
                        assert response.status_code in (200, 503), response.read()
                        for line in response.iter_lines():
                            event = (json.loads(line) if line else {}).get("event") or {}
                            if event.get("marker"):
                                seen[event["marker"]] = event
                            if expected <= seen.keys() or time.monotonic() > deadline:
                                break
                except httpx.ReadTimeout:
                    pass
                if not expected <= seen.keys():
                    time.sleep(1)
        return seen


def agent_bodies(run: str) -> list[tuple[str, str, bytes, list[str]]]:
    """(path, Content-Type, body, markers) for each body shape docs/agents.md documents.

    Every event carries a marker of its own, so search and tail can account
    for each one. Times are now: the app's indices are by day.
    """

    def m(name: str, n: int) -> str:
        return f"{run}-{name}-{n}"

    now = time.time()
    iso = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    fluentd = [{"msg": "a", "marker": m("fd", 1)}, {"msg": "b", "marker": m("fd", 2)}]

    def fluent_bit(name: str) -> list[dict[str, Any]]:
        return [
            {"date": now, "log": "a", "marker": m(name, 1)},
            {"date": now, "log": "b", "marker": m(name, 2)},
        ]

    def event_time(seconds: float) -> msgpack.ExtType:
        # Fluent Bit's EventTime: ext type 0, seconds and nanoseconds, big-endian.
        return msgpack.ExtType(0, struct.pack(">II", int(seconds), int(seconds % 1 * 1e9)))

    def dumps(record: dict[str, Any]) -> bytes:
        return json.dumps(record, separators=(",", ":")).encode()

    fd_ndjson = [dict(r, marker=r["marker"] + "n") for r in fluentd]
    fd_array = [dict(r, marker=r["marker"] + "a") for r in fluentd]
    fd_msgpack = [dict(r, marker=r["marker"] + "m") for r in fluentd]
    fb_json, fb_lines, fb_stream = fluent_bit("fbj"), fluent_bit("fbl"), fluent_bit("fbs")
    fb_msgpack = [{"log": "a", "marker": m("fbm", 1)}, {"log": "b", "marker": m("fbm", 2)}]
    plugin = [
        {"tag": "barito", "@message": "hello", "@timestamp": iso, "marker": m("plugin", 1),
         "client_trail": {"is_k8s": False, "sent_at": iso, "hints": [], "hostname": "vm-1"}},
    ]  # fmt: skip
    curl = [{"message": "deployed", "level": "info", "marker": m("curl", 1)}]
    return [
        ("/api/v1/logs", "application/x-ndjson",
         b"".join(dumps(r) + b"\n" for r in fd_ndjson), [r["marker"] for r in fd_ndjson]),
        ("/api/v1/logs", "application/json",
         b"[" + b"\n,".join(dumps(r) for r in fd_array) + b"\n]", [r["marker"] for r in fd_array]),
        ("/api/v1/logs", "application/x-msgpack",
         b"".join(msgpack.packb(r) for r in fd_msgpack), [r["marker"] for r in fd_msgpack]),
        ("/api/v1/logs", "application/json", json.dumps(fb_json).encode(),
         [r["marker"] for r in fb_json]),
        ("/api/v1/logs", "application/x-ndjson", b"".join(dumps(r) + b"\n" for r in fb_lines),
         [r["marker"] for r in fb_lines]),
        ("/api/v1/logs", "application/json", b"".join(dumps(r) for r in fb_stream),
         [r["marker"] for r in fb_stream]),
        ("/api/v1/logs", "application/msgpack",
         b"".join(msgpack.packb([[event_time(now), {}], r]) for r in fb_msgpack),
         [r["marker"] for r in fb_msgpack]),
        ("/produce_batch", "application/json", json.dumps({"items": plugin}).encode(),
         [r["marker"] for r in plugin]),
        ("/api/v1/logs", "application/x-ndjson", b"".join(dumps(r) + b"\n" for r in curl),
         [r["marker"] for r in curl]),
    ]  # fmt: skip
