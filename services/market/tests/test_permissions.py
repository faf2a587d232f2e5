"""Who may do what: every market endpoint, asked by each kind of caller.

Six callers: a superadmin, the group's owner, admin and member, an outsider
(logged in, not in the group) and an anonymous caller. A group or app the
caller may not see answers 404 (never 403: tenant names do not leak); a
caller who sees it but lacks the role gets 403; no credentials, 401.
Every case runs against a fresh group with one app, on real Postgres and Kafka.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute

from barito_market.api import alerts, apps, auth, groups, tokens
from barito_testing.market import Market, MarketUser, market_on_postgres

ROLES = ("superadmin", "owner", "admin", "member", "outsider", "anonymous")


@dataclass
class World:
    users: dict[str, MarketUser]
    newcomer: MarketUser
    group: str
    app: str
    empty_group: str
    owner_token_id: str

    def headers(self, role: str) -> dict[str, str]:
        return {} if role == "anonymous" else self.users[role].headers


@pytest.fixture(scope="module")
async def market(stack: Any) -> AsyncIterator[Market]:
    """conftest's market with an installation key, so forward keys can be made."""
    key = "the permission table's installation key, 48 chars"
    async with market_on_postgres(stack, installation_key=key) as market:
        yield market


@pytest.fixture
async def world(market: Market, users: dict[str, MarketUser]) -> World:
    owner = users["owner"].headers
    name = f"shop-{uuid.uuid4().hex[:6]}"
    registered = await market.client.post(
        "/api/v1/apps", headers=owner, json={"name": "checkout", "new_group": name}
    )
    assert registered.status_code == 201, registered.text
    group = registered.json()["group"]
    members = {role: users[role] for role in ("admin", "member")}
    await market.add_members(group, users["owner"], members)
    empty = await market.client.post("/api/v1/groups", headers=owner, json={"name": f"{name}-e"})
    await market.add_members(empty.json()["slug"], users["owner"], members)
    token = await market.client.post("/api/v1/auth/tokens", headers=owner, json={"name": "x"})
    return World(
        owner_token_id=token.json()["id"],
        users=users,
        newcomer=await market.create_user(),
        group=group,
        app=registered.json()["slug"],
        empty_group=empty.json()["slug"],
    )


Request = Callable[[World], tuple[str, str, dict[str, Any] | None]]

ENDPOINTS: dict[str, Request] = {
    "sign up": lambda w: (
        "POST",
        "/api/v1/auth/signup",
        {"email": f"{uuid.uuid4().hex}@example.test", "password": "long enough"},
    ),
    "log in": lambda w: (
        "POST",
        "/api/v1/auth/login",
        {"email": w.users["owner"].email, "password": w.users["owner"].password},
    ),
    # API-token callers have no session to end; it still needs a logged-in caller.
    "log out": lambda w: ("POST", "/api/v1/auth/logout", None),
    "revoke owner's token": lambda w: ("DELETE", f"/api/v1/auth/tokens/{w.owner_token_id}", None),
    "me": lambda w: ("GET", "/api/v1/auth/me", None),
    "auth methods": lambda w: ("GET", "/api/v1/auth/methods", None),
    "list tokens": lambda w: ("GET", "/api/v1/auth/tokens", None),
    "create token": lambda w: ("POST", "/api/v1/auth/tokens", {"name": "ci"}),
    "create group": lambda w: ("POST", "/api/v1/groups", {"name": "new"}),
    "list groups": lambda w: ("GET", "/api/v1/groups", None),
    "read group": lambda w: ("GET", f"/api/v1/groups/{w.group}", None),
    "rename group": lambda w: ("PATCH", f"/api/v1/groups/{w.group}", {"name": "Renamed"}),
    "delete empty group": lambda w: ("DELETE", f"/api/v1/groups/{w.empty_group}", None),
    "delete group with apps": lambda w: ("DELETE", f"/api/v1/groups/{w.group}", None),
    "list members": lambda w: ("GET", f"/api/v1/groups/{w.group}/members", None),
    "add member": lambda w: (
        "PUT",
        f"/api/v1/groups/{w.group}/members",
        {"email": w.newcomer.email, "role": "member"},
    ),
    "make owner": lambda w: (
        "PUT",
        f"/api/v1/groups/{w.group}/members",
        {"email": w.users["member"].email, "role": "owner"},
    ),
    "remove member": lambda w: (
        "DELETE",
        f"/api/v1/groups/{w.group}/members/{w.users['member'].id}",
        None,
    ),
    "remove owner": lambda w: (
        "DELETE",
        f"/api/v1/groups/{w.group}/members/{w.users['owner'].id}",
        None,
    ),
    "group secret": lambda w: ("POST", f"/api/v1/groups/{w.group}/secret", None),
    "register app": lambda w: ("POST", "/api/v1/apps", {"name": "billing", "group": w.group}),
    "list apps": lambda w: ("GET", "/api/v1/apps", None),
    "list group apps": lambda w: ("GET", f"/api/v1/apps?group={w.group}", None),
    "read app": lambda w: ("GET", f"/api/v1/apps/{w.app}", None),
    "resize app": lambda w: ("PATCH", f"/api/v1/apps/{w.app}", {"capacity": "medium"}),
    "rotate app secret": lambda w: ("POST", f"/api/v1/apps/{w.app}/secret", None),
    "make forward key": lambda w: ("POST", f"/api/v1/apps/{w.app}/forward-key", None),
    "remove forward key": lambda w: ("DELETE", f"/api/v1/apps/{w.app}/forward-key", None),
    "deactivate app": lambda w: ("POST", f"/api/v1/apps/{w.app}/deactivate", None),
    "activate app": lambda w: ("POST", f"/api/v1/apps/{w.app}/activate", None),
    "delete app": lambda w: ("DELETE", f"/api/v1/apps/{w.app}", None),
    "list alert channels": lambda w: ("GET", f"/api/v1/groups/{w.group}/alert-channels", None),
    "add alert channel": lambda w: (
        "POST",
        f"/api/v1/groups/{w.group}/alert-channels",
        {"name": "mail", "kind": "email", "config": {"to": ["ops@example.test"]}},
    ),
    # No such channel or rule: who may change one learns that (404), a member is stopped first.
    "change alert channel": lambda w: (
        "PATCH",
        f"/api/v1/groups/{w.group}/alert-channels/{uuid.UUID(int=1)}",
        {"name": "x"},
    ),
    "delete alert channel": lambda w: (
        "DELETE",
        f"/api/v1/groups/{w.group}/alert-channels/{uuid.UUID(int=1)}",
        None,
    ),
    "test alert channel": lambda w: (
        "POST",
        f"/api/v1/groups/{w.group}/alert-channels/{uuid.UUID(int=1)}/test",
        None,
    ),
    "list alert rules": lambda w: ("GET", f"/api/v1/apps/{w.app}/alerts", None),
    "add alert rule": lambda w: (
        "POST",
        f"/api/v1/apps/{w.app}/alerts",
        {"name": "errors", "condition": {"kind": "any"}},
    ),
    "alert history": lambda w: ("GET", f"/api/v1/apps/{w.app}/alerts/history", None),
    "read alert rule": lambda w: ("GET", f"/api/v1/apps/{w.app}/alerts/{uuid.UUID(int=1)}", None),
    "change alert rule": lambda w: (
        "PATCH",
        f"/api/v1/apps/{w.app}/alerts/{uuid.UUID(int=1)}",
        {"enabled": False},
    ),
    "delete alert rule": lambda w: (
        "DELETE",
        f"/api/v1/apps/{w.app}/alerts/{uuid.UUID(int=1)}",
        None,
    ),
}

# Expected status per caller, in the order of ROLES:
#                              super owner admin member outsider anonymous
MATRIX: dict[str, tuple[int, int, int, int, int, int]] = {
    "sign up": (201, 201, 201, 201, 201, 201),
    "log in": (200, 200, 200, 200, 200, 200),
    "log out": (200, 200, 200, 200, 200, 401),
    # Tokens are personal: nobody else sees them, not even a superadmin.
    "revoke owner's token": (404, 204, 404, 404, 404, 401),
    "me": (200, 200, 200, 200, 200, 401),
    "auth methods": (200, 200, 200, 200, 200, 200),
    "list tokens": (200, 200, 200, 200, 200, 401),
    "create token": (201, 201, 201, 201, 201, 401),
    "create group": (201, 201, 201, 201, 201, 401),
    "list groups": (200, 200, 200, 200, 200, 401),
    "read group": (200, 200, 200, 200, 404, 401),
    "rename group": (200, 200, 200, 403, 404, 401),
    "delete empty group": (204, 204, 403, 403, 404, 401),
    "delete group with apps": (409, 409, 403, 403, 404, 401),
    "list members": (200, 200, 200, 200, 404, 401),
    "add member": (200, 200, 200, 403, 404, 401),
    "make owner": (200, 200, 403, 403, 404, 401),
    "remove member": (204, 204, 204, 403, 404, 401),
    # The owner is the group's only owner, so even they may not leave it ownerless.
    "remove owner": (409, 409, 403, 403, 404, 401),
    "group secret": (201, 201, 201, 403, 404, 401),
    "register app": (201, 201, 201, 403, 404, 401),
    "list apps": (200, 200, 200, 200, 200, 401),
    "list group apps": (200, 200, 200, 200, 404, 401),
    "read app": (200, 200, 200, 200, 404, 401),
    "resize app": (200, 200, 200, 403, 404, 401),
    "rotate app secret": (200, 200, 200, 403, 404, 401),
    "make forward key": (200, 200, 200, 403, 404, 401),
    "remove forward key": (204, 204, 204, 403, 404, 401),
    "deactivate app": (200, 200, 200, 403, 404, 401),
    "activate app": (200, 200, 200, 403, 404, 401),
    "delete app": (204, 204, 204, 403, 404, 401),
    "list alert channels": (200, 200, 200, 200, 404, 401),
    "add alert channel": (201, 201, 201, 403, 404, 401),
    "change alert channel": (404, 404, 404, 403, 404, 401),
    "delete alert channel": (404, 404, 404, 403, 404, 401),
    "test alert channel": (404, 404, 404, 403, 404, 401),
    "list alert rules": (200, 200, 200, 200, 404, 401),
    "add alert rule": (201, 201, 201, 403, 404, 401),
    "alert history": (200, 200, 200, 200, 404, 401),
    "read alert rule": (404, 404, 404, 404, 404, 401),
    "change alert rule": (404, 404, 404, 403, 404, 401),
    "delete alert rule": (404, 404, 404, 403, 404, 401),
}

CASES = [
    pytest.param(endpoint, role, statuses[i], id=f"{endpoint}-{role}")
    for endpoint, statuses in MATRIX.items()
    for i, role in enumerate(ROLES)
]


def test_the_matrix_covers_every_endpoint_of_the_core_api() -> None:
    routes = {
        (method, f"/api/v1{route.path}")
        for module in (auth, tokens, groups, apps, alerts)
        for route in module.router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    blank = MarketUser(uuid.uuid4(), "", "", "")
    world = World(dict.fromkeys(ROLES, blank), blank, "g", "a", "e", "t")
    covered = set()
    for build in ENDPOINTS.values():
        method, url, _ = build(world)
        path = url.split("?")[0]
        covered |= {
            (route_method, template)
            for route_method, template in routes
            if route_method == method and _matches(template, path)
        }
    assert routes - covered == set()
    assert set(MATRIX) == set(ENDPOINTS)


def _matches(template: str, path: str) -> bool:
    parts, actual = template.split("/"), path.split("/")
    return len(parts) == len(actual) and all(
        p == a or (p.startswith("{") and p.endswith("}"))
        for p, a in zip(parts, actual, strict=True)
    )


@pytest.mark.parametrize(("endpoint", "role", "expected"), CASES)
async def test_each_caller_gets_exactly_the_documented_status(
    market: Market, world: World, endpoint: str, role: str, expected: int
) -> None:
    method, url, body = ENDPOINTS[endpoint](world)
    response = await market.client.request(method, url, headers=world.headers(role), json=body)
    assert response.status_code == expected, response.text
    if expected >= 400:
        assert response.json()["error"]["code"]


async def test_lists_show_only_what_the_caller_belongs_to(market: Market, world: World) -> None:
    async def slugs(role: str, url: str) -> set[str]:
        response = await market.client.get(url, headers=world.headers(role))
        return {item["slug"] for item in response.json()["data"]}

    assert world.group in await slugs("member", "/api/v1/groups")
    assert world.group not in await slugs("outsider", "/api/v1/groups")
    assert world.group in await slugs("superadmin", "/api/v1/groups")
    assert world.app in await slugs("member", "/api/v1/apps")
    assert world.app not in await slugs("outsider", "/api/v1/apps")
    assert world.app in await slugs("superadmin", "/api/v1/apps")


async def test_an_unknown_group_and_a_hidden_one_answer_alike(market: Market, world: World) -> None:
    outsider = world.headers("outsider")
    hidden = await market.client.get(f"/api/v1/groups/{world.group}", headers=outsider)
    missing = await market.client.get("/api/v1/groups/no-such-group", headers=outsider)
    assert hidden.status_code == missing.status_code == 404
    # The same answer but for the name the caller typed: nothing tells them it exists.
    assert hidden.json()["error"]["message"].replace(world.group, "X") == missing.json()["error"][
        "message"
    ].replace("no-such-group", "X")
    hidden_app = await market.client.get(f"/api/v1/apps/{world.app}", headers=outsider)
    missing_app = await market.client.get("/api/v1/apps/no-such-app", headers=outsider)
    assert hidden_app.status_code == missing_app.status_code == 404
    assert hidden_app.json()["error"]["message"].replace(world.app, "X") == missing_app.json()[
        "error"
    ]["message"].replace("no-such-app", "X")
