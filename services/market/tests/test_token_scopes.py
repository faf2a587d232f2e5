"""API token scopes: a read-only token reads but changes nothing; a group token sees one group.

One owner holds two groups (each with an app) and makes scoped tokens of
their own through the API; every answer is the real market's on Postgres.
The live tail asks the market ``GET /api/v1/apps/{app}`` with the caller's
headers, so what that route answers here is what a tail answers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from barito_testing.market import Market, MarketUser

# A valid body for every route of the market that takes one, so that a lookup
# is what answers (a body the route would refuse is a 422 before any lookup).
# A route added without an entry here fails the sweeps below by name.
_BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/api/v1/auth/tokens"): {"name": "wider"},
    ("POST", "/api/v1/groups"): {"name": "another"},
    ("PATCH", "/api/v1/groups/{group_slug}"): {"name": "renamed"},
    ("PUT", "/api/v1/groups/{group_slug}/members"): {"email": "x@example.test", "role": "member"},
    ("POST", "/api/v1/apps"): {"name": "more", "group": "{group}"},
    ("PATCH", "/api/v1/apps/{slug}"): {"retention_days": 3},
    ("POST", "/api/v1/apps/{slug}/deletions/preview"): {
        "start": "2026-01-01T00:00:00Z",
        "end": "2026-01-02T00:00:00Z",
    },
    ("POST", "/api/v1/apps/{slug}/deletions"): {
        "start": "2026-01-01T00:00:00Z",
        "end": "2026-01-02T00:00:00Z",
    },
    ("POST", "/api/v1/groups/{slug}/alert-channels"): {
        "name": "hook",
        "kind": "webhook",
        "config": {"url": "http://127.0.0.1:9/hook"},
    },
    ("PATCH", "/api/v1/groups/{slug}/alert-channels/{channel_id}"): {"name": "renamed"},
    ("POST", "/api/v1/apps/{slug}/alerts"): {"name": "errors", "condition": {"kind": "any"}},
    ("PATCH", "/api/v1/apps/{slug}/alerts/{rule_id}"): {"name": "renamed"},
    ("PATCH", "/api/v1/groups/{group_slug}/storage"): {"limit_bytes": 1},
    ("POST", "/api/v1/apps/{slug}/redactions"): {
        "name": "order-id",
        "kind": "pattern",
        "pattern": r"ORD-\d{6}",
    },
    ("PATCH", "/api/v1/apps/{slug}/redactions/{rule_id}"): {"name": "renamed"},
}
# Routes that take no caller: signing up and logging in make no change as one.
_ANONYMOUS_CHANGES = {("POST", "/api/v1/auth/signup"), ("POST", "/api/v1/auth/login")}


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    path: str
    body: Any


def _operations(market: Market, *, group: str, app: str) -> list[Operation]:
    """Every route of the market's OpenAPI document that needs a caller, aimed at group/app.

    ``{slug}`` is the app under /apps and the group under /groups; ids of
    things inside (rules, channels, jobs, members, tokens) are made up: the
    group or app is looked up first.
    """
    made: list[Operation] = []
    for template, operations in market.app.openapi()["paths"].items():
        for method, operation in operations.items():
            if not operation.get("security"):
                continue
            key = (method.upper(), template)
            if "requestBody" in operation and key not in _BODIES:
                raise AssertionError(f"no body in _BODIES for {key}")
            slug = app if template.startswith("/api/v1/apps/") else group
            path = template.replace("{group_slug}", group).replace("{slug}", slug)
            for name in ("token_id", "user_id", "infrastructure_id", "job_id", "channel_id"):
                path = path.replace(f"{{{name}}}", str(uuid.uuid4()))
            path = path.replace("{rule_id}", str(uuid.uuid4()))
            body = _BODIES.get(key)
            if isinstance(body, dict) and body.get("group") == "{group}":
                body = {**body, "group": group}
            made.append(Operation(method.upper(), template, path, body))
    return made


READ_ONLY = "This API token is read-only: it may search and tail, not change anything."


def _limited(group: str) -> str:
    return f"This API token is limited to the group '{group}'."


def _message(response: httpx.Response) -> str:
    return str(response.json()["error"]["message"])


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class World:
    owner: MarketUser
    group: str
    app: str
    other_group: str
    other_app: str

    async def token(self, market: Market, user: MarketUser, **scope: Any) -> dict[str, str]:
        created = await market.client.post(
            "/api/v1/auth/tokens", headers=user.headers, json={"name": "scoped", **scope}
        )
        assert created.status_code == 201, created.text
        return _bearer(created.json()["token"])


async def _register(market: Market, owner: MarketUser, group_name: str) -> tuple[str, str]:
    registered = await market.client.post(
        "/api/v1/apps", headers=owner.headers, json={"name": "checkout", "new_group": group_name}
    )
    assert registered.status_code == 201, registered.text
    return registered.json()["group"], registered.json()["slug"]


@pytest.fixture
async def world(market: Market, users: dict[str, MarketUser]) -> World:
    owner = await market.create_user()
    tag = uuid.uuid4().hex[:6]
    group, app = await _register(market, owner, f"pay-{tag}")
    other_group, other_app = await _register(market, owner, f"ship-{tag}")
    await market.add_members(group, owner, {"member": users["member"]})
    return World(owner, group, app, other_group, other_app)


async def test_the_token_listing_shows_each_tokens_scope(market: Market, world: World) -> None:
    await world.token(market, world.owner, read_only=True, group=world.group)
    listed = await market.client.get("/api/v1/auth/tokens", headers=world.owner.headers)
    assert listed.status_code == 200
    scopes = {(t["read_only"], t["group"]) for t in listed.json()["data"]}
    assert scopes == {(False, None), (True, world.group)}


async def test_a_token_for_a_group_you_cannot_see_is_refused_with_404(
    market: Market, world: World, users: dict[str, MarketUser]
) -> None:
    for group in ("no-such-group", world.group):
        refused = await market.client.post(
            "/api/v1/auth/tokens",
            headers=users["outsider"].headers,
            json={"name": "x", "group": group},
        )
        assert refused.status_code == 404
        assert _message(refused) == f"No app group named '{group}' that you can see."


async def test_a_read_only_token_reads_everything_its_user_may(
    market: Market, world: World
) -> None:
    headers = await world.token(market, world.owner, read_only=True)
    apps = await market.client.get("/api/v1/apps", headers=headers)
    assert {a["slug"] for a in apps.json()["data"]} == {world.app, world.other_app}
    for path in (
        f"/api/v1/apps/{world.app}",
        f"/api/v1/apps/{world.app}/status",
        f"/api/v1/groups/{world.group}",
        f"/api/v1/groups/{world.group}/members",
        "/api/v1/groups",
        "/api/v1/auth/me",
        "/api/v1/auth/tokens",
    ):
        read = await market.client.get(path, headers=headers)
        assert read.status_code == 200, (path, read.text)
    # Search (and the live tail, which asks GET /apps/{app}) work with it too:
    # an app that has received nothing yet finds nothing, and says so with 200.
    searched = await market.client.get(f"/api/v1/apps/{world.app}/logs", headers=headers)
    assert searched.status_code == 200, searched.text
    assert searched.json()["total"] == 0


async def test_a_read_only_token_changes_nothing(market: Market, world: World) -> None:
    headers = await world.token(market, world.owner, read_only=True)
    token_id = (await market.client.get("/api/v1/auth/tokens", headers=headers)).json()["data"][0][
        "id"
    ]
    changes = [
        ("POST", "/api/v1/groups", {"name": "another"}),
        ("PATCH", f"/api/v1/groups/{world.group}", {"name": "renamed"}),
        ("POST", f"/api/v1/groups/{world.group}/secret", None),
        (
            "PUT",
            f"/api/v1/groups/{world.group}/members",
            {"email": "x@example.test", "role": "member"},
        ),
        ("POST", "/api/v1/apps", {"name": "more", "group": world.group}),
        ("PATCH", f"/api/v1/apps/{world.app}", {"retention_days": 3}),
        ("POST", f"/api/v1/apps/{world.app}/secret", None),
        ("POST", f"/api/v1/apps/{world.app}/deactivate", None),
        ("DELETE", f"/api/v1/apps/{world.app}", None),
        ("POST", "/api/v1/auth/tokens", {"name": "wider"}),
        ("DELETE", f"/api/v1/auth/tokens/{token_id}", None),
        ("POST", "/api/v1/auth/logout", None),
    ]
    for method, path, body in changes:
        refused = await market.client.request(method, path, headers=headers, json=body)
        assert refused.status_code == 403, (method, path, refused.text)
        assert _message(refused) == READ_ONLY
    app = await market.client.get(f"/api/v1/apps/{world.app}", headers=headers)
    assert app.json()["status"] == "active"
    assert app.json()["previous_secret_valid_until"] is None
    assert (await market.client.get("/api/v1/groups", headers=headers)).json()["data"][0][
        "has_secret"
    ] is False


async def test_a_read_only_token_is_refused_every_change_route_of_the_api(
    market: Market, world: World
) -> None:
    headers = await world.token(market, world.owner, read_only=True)
    changes = [
        op
        for op in _operations(market, group=world.group, app=world.app)
        if op.method != "GET" and (op.method, op.template) not in _ANONYMOUS_CHANGES
    ]
    # The sweep reaches the newer routes too, not only the first ones.
    templates = {op.template for op in changes}
    for newer in (
        "/api/v1/groups/{slug}/alert-channels/{channel_id}/test",
        "/api/v1/apps/{slug}/redactions/{rule_id}",
        "/api/v1/apps/{slug}/deletions",
        "/api/v1/groups/{group_slug}/storage",
        "/api/v1/apps/{slug}/forward-key",
        "/api/v1/groups/{group_slug}/members/{user_id}",
        "/api/v1/admin/infrastructures/{infrastructure_id}/retry",
    ):
        assert newer in templates, newer
    for op in changes:
        refused = await market.client.request(op.method, op.path, headers=headers, json=op.body)
        assert refused.status_code == 403, (op.method, op.path, refused.text)
        assert refused.json()["error"]["code"] == "read_only_token", (op.method, op.path)
    listed = await market.client.get(f"/api/v1/apps/{world.app}/redactions", headers=headers)
    assert listed.status_code == 200 and listed.json()["rules"] == [], listed.text


async def test_to_a_group_token_every_route_of_another_group_answers_404(
    market: Market, world: World
) -> None:
    headers = await world.token(market, world.owner, group=world.group)
    aimed = [
        op
        for op in _operations(market, group=world.other_group, app=world.other_app)
        if "{slug}" in op.template or "{group_slug}" in op.template
    ]
    assert len(aimed) > 30, [op.template for op in aimed]
    for op in aimed:
        hidden = await market.client.request(op.method, op.path, headers=headers, json=op.body)
        assert hidden.status_code == 404, (op.method, op.path, hidden.text)
        assert _message(hidden).startswith(
            (f"No app named '{world.other_app}'", f"No app group named '{world.other_group}'")
        ), (op.method, op.path, hidden.text)
    # The owner's own token reaches the same group: the 404 is the token's limit.
    own = await market.client.get(
        f"/api/v1/groups/{world.other_group}/members", headers=world.owner.headers
    )
    assert own.status_code == 200, own.text
    audit = await market.client.get(
        "/api/v1/audit", params={"group": world.other_group}, headers=headers
    )
    assert audit.status_code == 404, audit.text


async def test_a_group_token_sees_its_group_only(market: Market, world: World) -> None:
    headers = await world.token(market, world.owner, group=world.group)
    groups = await market.client.get("/api/v1/groups", headers=headers)
    assert [g["slug"] for g in groups.json()["data"]] == [world.group]
    apps = await market.client.get("/api/v1/apps", headers=headers)
    assert [a["slug"] for a in apps.json()["data"]] == [world.app]
    assert (
        await market.client.get(f"/api/v1/apps/{world.app}", headers=headers)
    ).status_code == 200
    # The other group is its user's, yet to this token it does not exist: 404, never 403.
    for path, words in (
        (f"/api/v1/apps/{world.other_app}", f"No app named '{world.other_app}'"),
        (f"/api/v1/apps/{world.other_app}/status", f"No app named '{world.other_app}'"),
        (f"/api/v1/apps/{world.other_app}/logs", f"No app named '{world.other_app}'"),
        (f"/api/v1/groups/{world.other_group}", f"No app group named '{world.other_group}'"),
        (f"/api/v1/apps?group={world.other_group}", f"No app group named '{world.other_group}'"),
    ):
        hidden = await market.client.get(path, headers=headers)
        assert hidden.status_code == 404, (path, hidden.text)
        assert _message(hidden).startswith(words)
    renamed = await market.client.patch(
        f"/api/v1/apps/{world.other_app}", headers=headers, json={"retention_days": 3}
    )
    assert renamed.status_code == 404


async def test_a_group_token_still_changes_its_own_group(market: Market, world: World) -> None:
    headers = await world.token(market, world.owner, group=world.group)
    renamed = await market.client.patch(
        f"/api/v1/groups/{world.group}", headers=headers, json={"name": "renamed by token"}
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "renamed by token"


async def test_a_group_token_reaches_nothing_beyond_its_group(market: Market, world: World) -> None:
    headers = await world.token(market, world.owner, group=world.group)
    for method, path, body in (
        ("POST", "/api/v1/groups", {"name": "escape"}),
        ("POST", "/api/v1/apps", {"name": "escape", "new_group": "escape"}),
        ("POST", "/api/v1/auth/tokens", {"name": "wider"}),
    ):
        refused = await market.client.request(method, path, headers=headers, json=body)
        assert refused.status_code == 403, (method, path, refused.text)
        assert _message(refused) == _limited(world.group)
    other = await market.client.post(
        "/api/v1/auth/tokens", headers=headers, json={"name": "x", "group": world.other_group}
    )
    assert other.status_code == 404
    assert _message(other) == f"No app group named '{world.other_group}' that you can see."
    same = await market.client.post(
        "/api/v1/auth/tokens", headers=headers, json={"name": "y", "group": world.group}
    )
    assert same.status_code == 201
    # It lists (and could revoke) only the tokens of its own group.
    listed = await market.client.get("/api/v1/auth/tokens", headers=headers)
    assert {t["group"] for t in listed.json()["data"]} == {world.group}


async def test_a_token_cannot_make_a_token_that_outlives_it(market: Market, world: World) -> None:
    headers = await world.token(market, world.owner, expires_in_days=3)
    for body in ({"name": "forever"}, {"name": "longer", "expires_in_days": 30}):
        refused = await market.client.post("/api/v1/auth/tokens", headers=headers, json=body)
        assert refused.status_code == 403, (body, refused.text)
        assert refused.json()["error"]["code"] == "outlives_token"
        assert "ask for expires_in_days of at most 2, or make the token while logged in" in (
            _message(refused)
        )
    shorter = await market.client.post(
        "/api/v1/auth/tokens", headers=headers, json={"name": "shorter", "expires_in_days": 2}
    )
    assert shorter.status_code == 201, shorter.text
    # A token that never expires (the owner's own) may make one of any lifetime.
    forever = await market.client.post(
        "/api/v1/auth/tokens", headers=world.owner.headers, json={"name": "forever"}
    )
    assert forever.status_code == 201, forever.text


async def test_a_superadmins_group_token_is_refused_the_admin_routes(
    market: Market, world: World, users: dict[str, MarketUser]
) -> None:
    superadmin = users["superadmin"]
    headers = await world.token(market, superadmin, group=world.group)
    for path in ("/api/v1/admin/users", "/api/v1/admin/infrastructures"):
        refused = await market.client.get(path, headers=headers)
        assert refused.status_code == 403, refused.text
        assert _message(refused) == _limited(world.group)
        assert (await market.client.get(path, headers=superadmin.headers)).status_code == 200
    groups = await market.client.get("/api/v1/groups", headers=headers)
    assert [g["slug"] for g in groups.json()["data"]] == [world.group]
    hidden = await market.client.get(f"/api/v1/apps/{world.other_app}", headers=headers)
    assert hidden.status_code == 404
    assert (
        await market.client.get(f"/api/v1/apps/{world.app}", headers=headers)
    ).status_code == 200


async def test_a_group_token_of_a_member_keeps_the_members_role(
    market: Market, world: World, users: dict[str, MarketUser]
) -> None:
    headers = await world.token(market, users["member"], group=world.group)
    refused = await market.client.patch(
        f"/api/v1/apps/{world.app}", headers=headers, json={"retention_days": 3}
    )
    assert refused.status_code == 403
    assert _message(refused) == "This needs the admin role (or higher) in the app group."


async def test_the_next_request_is_not_scoped_by_the_last_ones_token(
    market: Market, world: World
) -> None:
    headers = await world.token(market, world.owner, read_only=True, group=world.group)
    assert (await market.client.get("/api/v1/groups", headers=headers)).status_code == 200
    created = await market.client.post(
        "/api/v1/groups", headers=world.owner.headers, json={"name": "after a scoped call"}
    )
    assert created.status_code == 201, created.text
    groups = await market.client.get("/api/v1/groups", headers=world.owner.headers)
    assert len(groups.json()["data"]) == 3
