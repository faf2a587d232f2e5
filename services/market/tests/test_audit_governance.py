"""The audit log of the newer changes: alerting, redaction, deletion, storage, forward keys.

As in ``test_audit_records``, the market is served by a real uvicorn that
believes ``X-Forwarded-For`` from 127.0.0.1 only, and every change below is
made through it naming the client 203.0.113.7. Each change must leave an
entry with its actor and that address; the whole log, read back through the
export, must hold none of the secrets the run handed over or was given: app
secrets and forward keys, a webhook's signing secret, a Slack URL, a
PagerDuty routing key, the API tokens, and the patterns of redaction rules
(which may spell out the very value they hide).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from barito_common.serving import uvicorn_options
from barito_testing.market import Market, MarketUser, market_on_postgres
from barito_testing.serving import serve

CLIENT = "203.0.113.7"
INSTALLATION_KEY = "the governance audit tests' installation key, 48 c"
SLACK_URL = "https://hooks.slack.example.test/services/T000/B000/slack-audit-secret"
NEW_SLACK_URL = "https://hooks.slack.example.test/services/T000/B000/slack-audit-rotated"
ROUTING_KEY = "pagerduty-routing-key-audit-0123456789abcdef"
# Redaction patterns that spell out what they hide.
PATTERN = r"sk_live_4eC39HqLyjWDarjtT1zdp7dc"
NEW_PATTERN = r"AKIAIOSFODNN7EXAMPLE[0-9]*"


@pytest.fixture(scope="module")
async def market(stack: Any) -> AsyncIterator[Market]:
    async with market_on_postgres(stack, installation_key=INSTALLATION_KEY) as market:
        yield market


class Web:
    """A caller behind the trusted proxy, with one user's API token."""

    def __init__(self, client: httpx.AsyncClient, user: MarketUser) -> None:
        self.client = client
        self.headers = user.headers

    async def __call__(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        answer = await self.client.request(method, path, json=body, headers=self.headers)
        assert answer.status_code == status, (method, path, answer.text)
        return answer.json() if answer.content else None


async def test_governance_changes_are_recorded_with_actor_and_address_and_no_secret(
    market: Market,
) -> None:
    superadmin = await market.create_user(superadmin=True)
    owner = await market.create_user()
    secrets = [owner.token, superadmin.token, SLACK_URL, NEW_SLACK_URL, ROUTING_KEY]
    options = uvicorn_options(market.settings)
    proxy = {key: options[key] for key in ("proxy_headers", "forwarded_allow_ips")}
    async with (
        serve(market.app, lifespan="off", **proxy) as url,
        httpx.AsyncClient(base_url=url, headers={"X-Forwarded-For": CLIENT}, timeout=30) as client,
    ):
        change, admin = Web(client, owner), Web(client, superadmin)
        new_group = f"gov-{uuid.uuid4().hex[:6]}"
        registered = await change(
            "POST", "/api/v1/apps", {"name": "audited", "new_group": new_group}, 201
        )
        app, group = registered["slug"], registered["group"]
        secrets.append(registered["secret"])
        await change("PATCH", f"/api/v1/apps/{app}", {"retention_days": 3})
        await change("POST", f"/api/v1/apps/{app}/deactivate")
        await change("POST", f"/api/v1/apps/{app}/activate")
        for _ in range(2):
            made = await change("POST", f"/api/v1/apps/{app}/forward-key")
            secrets.append(made["forward_key"])
        await change("DELETE", f"/api/v1/apps/{app}/forward-key", status=204)

        channels = f"/api/v1/groups/{group}/alert-channels"
        hook = await change(
            "POST",
            channels,
            {"name": "hook", "kind": "webhook", "config": {"url": "http://127.0.0.1:9/hook"}},
            201,
        )
        secrets.append(hook["signing_secret"])
        slack = await change(
            "POST", channels, {"name": "chat", "kind": "slack", "secret": SLACK_URL}, 201
        )
        await change("PATCH", f"{channels}/{slack['id']}", {"secret": NEW_SLACK_URL})
        pager = await change(
            "POST", channels, {"name": "pager", "kind": "pagerduty", "secret": ROUTING_KEY}, 201
        )
        rules = f"/api/v1/apps/{app}/alerts"
        rule = await change(
            "POST",
            rules,
            {"name": "errors", "condition": {"kind": "any"}, "channel_ids": [pager["id"]]},
            201,
        )
        await change("PATCH", f"{rules}/{rule['id']}", {"severity": "critical"})
        await change("DELETE", f"{rules}/{rule['id']}", status=204)
        await change("DELETE", f"{channels}/{pager['id']}", status=204)

        redactions = f"/api/v1/apps/{app}/redactions"
        redaction = await change(
            "POST", redactions, {"name": "stripe", "kind": "pattern", "pattern": PATTERN}, 201
        )
        await change("PATCH", f"{redactions}/{redaction['id']}", {"pattern": NEW_PATTERN})
        await change("DELETE", f"{redactions}/{redaction['id']}", status=204)

        await change(
            "POST",
            f"/api/v1/apps/{app}/deletions",
            {"start": "2026-01-01T00:00:00Z", "end": "2026-01-02T00:00:00Z"},
            202,
        )
        await admin("PATCH", f"/api/v1/groups/{group}/storage", {"limit_bytes": 10**12})

    exported = await market.client.get("/api/v1/audit/export", headers=superadmin.headers)
    assert exported.status_code == 200, exported.text
    entries = [json.loads(line) for line in exported.text.splitlines()]
    done = {(e["action"], e["actor_email"]) for e in entries if e["address"] == CLIENT}
    for action in (
        "app.update",
        "app.deactivate",
        "app.activate",
        "app.forward_key.make",
        "app.forward_key.remove",
        "alert_channel.create",
        "alert_channel.update",
        "alert_channel.delete",
        "alert.create",
        "alert.update",
        "alert.delete",
        "redaction.create",
        "redaction.update",
        "redaction.delete",
        "app.deletion.request",
    ):
        assert (action, owner.email) in done, action
    assert ("storage.set_limit", superadmin.email) in done
    # The group's owner reads them in the group's own log too.
    owned = await market.client.get(
        "/api/v1/audit", params={"group": group, "limit": 500}, headers=owner.headers
    )
    assert owned.status_code == 200, owned.text
    assert {e["action"] for e in owned.json()["data"]} >= {a for a, _ in done}

    log = exported.text
    for secret in [*secrets, PATTERN, NEW_PATTERN]:
        assert secret not in log, secret
