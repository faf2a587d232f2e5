"""GET /api/v1/audit and its NDJSON export: who reads which entries, filters, pages.

Two groups (each with an app, a renamed name and members) give the log
entries of several actions and actors; every answer is the real market's on
Postgres.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import pytest

from barito_testing.market import Market, MarketUser


def _message(response: httpx.Response) -> str:
    return str(response.json()["error"]["message"])


def _at(entry: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(entry["at"])


@dataclass
class World:
    owner: MarketUser
    admin: MarketUser
    member: MarketUser
    outsider: MarketUser
    superadmin: MarketUser
    group: str
    other_group: str

    async def audit(self, market: Market, user: MarketUser, **params: Any) -> httpx.Response:
        return await market.client.get("/api/v1/audit", headers=user.headers, params=params)

    async def entries(self, market: Market, user: MarketUser, **params: Any) -> list[Any]:
        answer = await self.audit(market, user, limit=500, **params)
        assert answer.status_code == 200, answer.text
        assert answer.json()["next_cursor"] is None
        return list(answer.json()["data"])


async def _group_with_app(market: Market, owner: MarketUser, name: str) -> str:
    registered = await market.client.post(
        "/api/v1/apps", headers=owner.headers, json={"name": "web", "new_group": name}
    )
    assert registered.status_code == 201, registered.text
    group = str(registered.json()["group"])
    renamed = await market.client.patch(
        f"/api/v1/groups/{group}", headers=owner.headers, json={"name": f"{name} (renamed)"}
    )
    assert renamed.status_code == 200
    return group


@pytest.fixture(scope="module")
async def world(market: Market) -> World:
    people = [await market.create_user() for _ in range(4)]
    owner, admin, member, outsider = people
    tag = uuid.uuid4().hex[:6]
    group = await _group_with_app(market, owner, f"audit-{tag}")
    await market.add_members(group, owner, {"admin": admin, "member": member})
    other_group = await _group_with_app(market, outsider, f"other-{tag}")
    # A sign-in: an entry of no group.
    async with market.logged_in(owner):
        pass
    return World(
        owner,
        admin,
        member,
        outsider,
        await market.create_user(superadmin=True),
        group,
        other_group,
    )


async def test_owners_and_admins_read_their_groups_entries_only(
    market: Market, world: World
) -> None:
    for reader in (world.owner, world.admin):
        entries = await world.entries(market, reader)
        assert {e["group"] for e in entries} == {world.group}
        actions = {e["action"] for e in entries}
        assert {"app.register", "group.rename", "group.member.set"} <= actions
    # The owner's own sign-in belongs to no group: only a superadmin reads it.
    owner_entries = await world.entries(market, world.owner, actor=world.owner.email)
    assert "auth.login" not in {e["action"] for e in owner_entries}


async def test_a_superadmin_reads_everything_sign_ins_included(
    market: Market, world: World
) -> None:
    entries = await world.entries(market, world.superadmin)
    assert {world.group, world.other_group, None} <= {e["group"] for e in entries}
    login = await world.entries(
        market, world.superadmin, action="auth.login", actor=world.owner.email
    )
    assert [e["group"] for e in login] == [None]


async def test_a_member_is_refused_and_an_outsider_does_not_see_the_group(
    market: Market, world: World
) -> None:
    refused = await world.audit(market, world.member, group=world.group)
    assert refused.status_code == 403
    assert _message(refused) == "This needs the admin role (or higher) in the app group."
    assert await world.entries(market, world.member) == []
    hidden = await world.audit(market, world.outsider, group=world.group)
    assert hidden.status_code == 404
    assert _message(hidden) == f"No app group named '{world.group}' that you can see."
    # The export answers as the page does: the group does not exist for them.
    exported = await market.client.get(
        "/api/v1/audit/export", headers=world.outsider.headers, params={"group": world.group}
    )
    assert exported.status_code == 404
    assert _message(exported) == f"No app group named '{world.group}' that you can see."
    # Their own group's entries they read, and none of ours.
    assert {e["group"] for e in await world.entries(market, world.outsider)} == {world.other_group}


async def test_filters_narrow_by_group_actor_action_and_time(market: Market, world: World) -> None:
    sa = world.superadmin
    by_group = await world.entries(market, sa, group=world.other_group)
    assert by_group and {e["group"] for e in by_group} == {world.other_group}
    by_actor = await world.entries(market, sa, actor=world.outsider.email.upper())
    assert by_actor and {e["actor_email"] for e in by_actor} == {world.outsider.email}
    exact = await world.entries(market, sa, action="group.rename")
    assert len(exact) == 2 and {e["action"] for e in exact} == {"group.rename"}
    prefix = await world.entries(market, sa, action="group.")
    assert {e["action"] for e in prefix} >= {"group.create", "group.rename", "group.member.set"}
    assert all(e["action"].startswith("group.") for e in prefix)
    assert await world.entries(market, sa, action="group") == []
    everything = await world.entries(market, sa)
    middle = everything[len(everything) // 2]["at"]
    since = await world.entries(market, sa, since=middle)
    until = await world.entries(market, sa, until=middle)
    assert all(_at(e) >= _at({"at": middle}) for e in since)
    assert all(_at(e) < _at({"at": middle}) for e in until)
    assert len(since) + len(until) == len(everything)


async def test_the_cursor_walks_every_entry_once_newest_first(market: Market, world: World) -> None:
    everything = await world.entries(market, world.superadmin)
    assert len(everything) > 5
    walked: list[Any] = []
    cursor: str | None = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await world.audit(market, world.superadmin, **params)).json()
        assert len(page["data"]) <= 2
        walked += page["data"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [e["id"] for e in walked] == [e["id"] for e in everything]
    assert len({e["id"] for e in walked}) == len(walked)
    assert [_at(e) for e in walked] == sorted((_at(e) for e in walked), reverse=True)


async def test_the_export_is_ndjson_matching_the_api(market: Market, world: World) -> None:
    exported = await market.client.get(
        "/api/v1/audit/export", headers=world.admin.headers, params={"action": "group."}
    )
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("application/x-ndjson")
    disposition = exported.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="barito-audit-')
    assert disposition.endswith('.ndjson"')
    lines = [json.loads(line) for line in exported.text.splitlines()]
    assert lines == await world.entries(market, world.admin, action="group.")
    refused = await market.client.get(
        "/api/v1/audit/export", headers=world.member.headers, params={"group": world.group}
    )
    assert refused.status_code == 403


async def test_a_group_token_reads_its_groups_entries_only(market: Market, world: World) -> None:
    created = await market.client.post(
        "/api/v1/auth/tokens",
        headers=world.superadmin.headers,
        json={"name": "one group", "read_only": True, "group": world.group},
    )
    limited = MarketUser(world.superadmin.id, "", "", created.json()["token"], True)
    entries = await world.entries(market, limited)
    assert entries and {e["group"] for e in entries} == {world.group}
    hidden = await world.audit(market, limited, group=world.other_group)
    assert hidden.status_code == 404
    assert _message(hidden) == f"No app group named '{world.other_group}' that you can see."


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("group", "Not A Slug!"),
        ("since", "yesterday"),
        ("until", "2026-13-45"),
        ("since", "0001-01-01T00:00:00+05:00"),
        ("limit", "0"),
        ("limit", "501"),
        ("cursor", "not-a-cursor"),
        ("cursor", "bm90aGluZ3xoZXJl"),
        (
            "cursor",
            "MDAwMS0wMS0wMVQwMDowMDowMCswNTowMHwwMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDA",
        ),
    ],
)
async def test_a_bad_filter_is_refused_naming_it(
    market: Market, world: World, param: str, value: str
) -> None:
    refused = await world.audit(market, world.superadmin, **{param: value})
    assert refused.status_code == 422, refused.text
    assert param in _message(refused)
