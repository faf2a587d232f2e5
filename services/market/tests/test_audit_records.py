"""Every change lands in the audit log with who made it and from which address.

The market is served by a real uvicorn, configured as in production
(``barito_common.serving.uvicorn_options``: proxy headers believed from
``trusted_proxies`` only), and every request below comes through it from
127.0.0.1 — a trusted proxy by default — naming the client 203.0.113.7 in
``X-Forwarded-For``. A second server that trusts only 10.0.0.0/8 shows that
any other sender cannot choose the address recorded. The whole log is then
read back through the export and searched for every secret the run made.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from barito_common.schemas import InfrastructureState
from barito_common.serving import uvicorn_options
from barito_market.accounts.credentials import hash_token
from barito_market.models import AppGroup, Infrastructure, Membership, MembershipSource, User
from barito_testing.market import Market, MarketUser, market_on_postgres
from barito_testing.serving import serve

CLIENT = "203.0.113.7"


@pytest.fixture(scope="module")
async def market(stack: Any) -> AsyncIterator[Market]:
    """Two failed logins of an email are throttled, so the third is refused."""
    async with market_on_postgres(stack, login_max_failures=2) as market:
        yield market


def _proxy_options(market: Market, **overrides: Any) -> dict[str, Any]:
    options = uvicorn_options(market.settings.model_copy(update=overrides))
    return {key: options[key] for key in ("proxy_headers", "forwarded_allow_ips")}


@asynccontextmanager
async def _through_proxy(market: Market, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the market served by uvicorn, saying it forwards for CLIENT."""
    async with serve(market.app, lifespan="off", **_proxy_options(market, **overrides)) as url:
        headers = {"X-Forwarded-For": CLIENT}
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:
            yield client


async def _log_in(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/api/v1/auth/login", json={"email": email, "password": password})


async def _entries(market: Market, superadmin: MarketUser) -> list[dict[str, Any]]:
    exported = await market.client.get("/api/v1/audit/export", headers=superadmin.headers)
    assert exported.status_code == 200, exported.text
    return [json.loads(line) for line in exported.text.splitlines()]


async def _fail_infrastructure(market: Market, group: str) -> uuid.UUID:
    async with market.sessionmaker() as session:
        infrastructure = await session.scalar(
            select(Infrastructure).join(AppGroup).where(AppGroup.slug == group)
        )
        assert infrastructure is not None
        infrastructure.state = InfrastructureState.ERROR
        await session.commit()
        return infrastructure.id


async def _disable(market: Market, user: MarketUser) -> None:
    async with market.sessionmaker() as session:
        row = await session.get(User, user.id)
        assert row is not None
        row.is_active = False
        await session.commit()


async def test_every_change_is_recorded_with_actor_and_address_and_no_secret(
    market: Market,
) -> None:
    superadmin = await market.create_user(superadmin=True)
    colleague = await market.create_user()
    disabled = await market.create_user()
    await _disable(market, disabled)
    email, password = f"ann-{uuid.uuid4().hex[:6]}@example.test", "ann's long password"
    stranger = f"nobody-{uuid.uuid4().hex[:6]}@example.test"
    secrets: list[str] = [password, colleague.password, disabled.password, superadmin.token]
    async with _through_proxy(market) as web:
        assert (
            await web.post("/api/v1/auth/signup", json={"email": email, "password": password})
        ).status_code == 201
        assert (await _log_in(web, email, "not the password")).status_code == 401
        assert (await _log_in(web, disabled.email, disabled.password)).status_code == 401
        for expected in (401, 401, 429):
            assert (await _log_in(web, stranger, "guess")).status_code == expected
        logged_in = await _log_in(web, email, password)
        assert logged_in.status_code == 200
        csrf = logged_in.json()["csrf_token"]
        secrets += [csrf, web.cookies["barito_session"]]
        web.headers["X-CSRF-Token"] = csrf

        async def change(method: str, path: str, body: Any = None, status: int = 200) -> Any:
            answer = await web.request(method, path, json=body)
            assert answer.status_code == status, (method, path, answer.text)
            return answer.json() if answer.content else None

        group = (await change("POST", "/api/v1/groups", {"name": "audited"}, 201))["slug"]
        await change("PATCH", f"/api/v1/groups/{group}", {"name": "audited, renamed"})
        members = f"/api/v1/groups/{group}/members"
        await change("PUT", members, {"email": colleague.email, "role": "member"})
        await change("PUT", members, {"email": colleague.email, "role": "admin"})
        await change("DELETE", f"{members}/{colleague.id}", status=204)
        secrets.append(
            (await change("POST", f"/api/v1/groups/{group}/secret", status=201))["secret"]
        )
        app = await change("POST", "/api/v1/apps", {"name": "billing", "group": group}, 201)
        secrets.append(app["secret"])
        rotated = await change("POST", f"/api/v1/apps/{app['slug']}/secret")
        secrets.append(rotated["secret"])
        token = await change("POST", "/api/v1/auth/tokens", {"name": "ci", "read_only": True}, 201)
        secrets.append(token["token"])
        await change("DELETE", f"/api/v1/auth/tokens/{token['id']}", status=204)
        await change("DELETE", f"/api/v1/apps/{app['slug']}", status=204)
        infrastructure_id = await _fail_infrastructure(market, group)
        retried = await web.post(
            f"/api/v1/admin/infrastructures/{infrastructure_id}/retry",
            headers=superadmin.headers,
        )
        assert retried.status_code == 202, retried.text
        await change("DELETE", f"/api/v1/groups/{group}", status=204)
        assert (await web.post("/api/v1/auth/logout")).is_success

    entries = await _entries(market, superadmin)
    mine = [e for e in entries if e["address"] == CLIENT]
    done = {(e["action"], e["actor_email"]) for e in mine}
    for action in (
        "user.create",
        "auth.login",
        "group.create",
        "group.rename",
        "group.member.set",
        "group.member.remove",
        "group.secret.rotate",
        "app.register",
        "app.secret.rotate",
        "token.create",
        "token.revoke",
        "app.delete",
        "group.delete",
        "auth.logout",
    ):
        assert (action, email) in done, action
    assert ("infrastructure.retry", superadmin.email) in done
    failures = {
        (e["actor_email"], e["details"]["reason"])
        for e in mine
        if e["action"] == "auth.login_failed"
    }
    assert failures == {
        (email, "wrong email or password"),
        (disabled.email, "disabled"),
        (stranger, "wrong email or password"),
        (stranger, "throttled"),
    }
    login = next(e for e in mine if e["action"] == "auth.login")
    assert login["details"] == {"method": "password"}
    assert login["actor_id"] is not None
    created = next(e for e in mine if e["action"] == "token.create")
    assert created["details"] == {"name": "ci", "read_only": True, "group": None}
    roles = {
        (e["details"]["previous_role"], e["details"]["role"])
        for e in mine
        if e["action"] == "group.member.set"
    }
    assert roles == {(None, "member"), ("member", "admin")}
    removed = next(e for e in mine if e["action"] == "group.member.remove")
    assert removed["details"]["email"] == colleague.email
    # The group is gone, so entries no longer name its slug; its deletion does.
    deleted = next(e for e in mine if e["action"] == "group.delete")
    assert deleted["details"]["slug"] == group

    # Nothing secret anywhere: no password, token, secret, cookie, nor a hash of one.
    async with market.sessionmaker() as session:
        password_hashes = list(await session.scalars(select(User.password_hash)))
    log = json.dumps(entries)
    for secret in secrets:
        assert secret not in log
        assert hash_token(secret) not in log
    for stored in password_hashes:
        assert stored not in log


async def test_an_untrusted_sender_cannot_choose_the_address_recorded(market: Market) -> None:
    superadmin = await market.create_user(superadmin=True)
    email = f"spoof-{uuid.uuid4().hex[:6]}@example.test"
    # This server believes X-Forwarded-For from 10.0.0.0/8 only, and we send from 127.0.0.1.
    async with _through_proxy(market, trusted_proxies="10.0.0.0/8") as web:
        assert (await _log_in(web, email, "whatever it is")).status_code == 401
    entries = await _entries(market, superadmin)
    failed = [
        e for e in entries if e["action"] == "auth.login_failed" and e["actor_email"] == email
    ]
    assert [e["address"] for e in failed] == ["127.0.0.1"]


async def test_a_role_set_by_hand_takes_over_a_membership_the_provider_granted(
    market: Market,
) -> None:
    owner, colleague = await market.create_user(), await market.create_user()
    group = (
        await market.client.post("/api/v1/groups", headers=owner.headers, json={"name": "idp"})
    ).json()["slug"]
    await market.add_members(group, owner, {"member": colleague})
    async with market.sessionmaker() as session:
        membership = await session.scalar(
            select(Membership).where(Membership.user_id == colleague.id)
        )
        assert membership is not None
        membership.source = MembershipSource.IDENTITY_PROVIDER
        await session.commit()

    async def sources() -> dict[str, str]:
        listed = await market.client.get(f"/api/v1/groups/{group}/members", headers=owner.headers)
        return {m["email"]: m["source"] for m in listed.json()["data"]}

    assert await sources() == {owner.email: "manual", colleague.email: "identity_provider"}
    await market.add_members(group, owner, {"admin": colleague})
    assert await sources() == {owner.email: "manual", colleague.email: "manual"}
