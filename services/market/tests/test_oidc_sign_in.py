"""Single sign-on through a real Keycloak: the user it makes, the session, the roles it grants.

The market runs in-process on real Postgres; the browser's trip to Keycloak's
login form is driven over HTTP (``sign_in_at_provider``), and the URL
Keycloak sends it back to is then opened on the market, as a browser would.
Roles come from the directory groups Keycloak puts in the ``groups`` claim.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select, update

from barito_market.models import AuditEntry, User
from barito_testing.market import Market, MarketUser, market_on_postgres
from barito_testing.oidc_provider import OidcProvider
from barito_testing.oidc_provider import sign_in_at_market as sign_in

# Keycloak accepts loopback callbacks only; the in-process market is then sent
# the path and query of the URL Keycloak redirects to.
CALLBACK = "http://127.0.0.1:18000/api/v1/auth/oidc/callback"


@dataclass(frozen=True)
class Directory:
    """This module's directory groups at the provider (random names: runs never collide)."""

    admins: str
    members: str
    superadmins: str


@pytest.fixture(scope="module")
async def directory(oidc_provider: OidcProvider) -> Directory:
    prefix = f"pay-{uuid.uuid4().hex[:6]}"
    made = Directory(f"{prefix}-admins", f"{prefix}-members", f"{prefix}-root")
    for name in (made.admins, made.members, made.superadmins):
        await oidc_provider.admin.create_group(name)
    return made


@pytest.fixture(scope="module")
async def market(
    stack: Any, oidc_provider: OidcProvider, directory: Directory
) -> AsyncIterator[Market]:
    roles = [
        {"claim": directory.admins, "group": "payments", "role": "admin"},
        {"claim": directory.members, "group": "payments", "role": "member"},
        {"claim": directory.members, "group": "billing", "role": "member"},
        {"claim": directory.members, "group": "no-such-group", "role": "owner"},
    ]
    oidc = oidc_provider.oidc_settings(
        redirect_url=CALLBACK, roles_from_claims=roles, superadmin_claims=[directory.superadmins]
    )
    async with market_on_postgres(stack, oidc=oidc) as market:
        yield market


@pytest.fixture(scope="module")
async def owner(market: Market) -> MarketUser:
    """A superadmin who made (and so owns) the app groups the claims name: their slugs are
    reserved for the mapping (test_oidc_reserved_groups)."""
    owner = await market.create_user(superadmin=True)
    for name in ("payments", "billing"):
        made = await market.client.post(
            "/api/v1/groups", headers=owner.headers, json={"name": name}
        )
        assert made.json()["slug"] == name, made.text
    return owner


@pytest.fixture
async def browser(market: Market) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=market.transport, base_url="http://market") as client:
        yield client


def sso_error(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    location = urlsplit(response.headers["location"])
    assert location.path == "/login"
    return parse_qs(location.query)["sso_error"][0]


async def members(market: Market, owner: MarketUser, group: str) -> dict[str, tuple[str, str]]:
    listed = await market.client.get(f"/api/v1/groups/{group}/members", headers=owner.headers)
    assert listed.status_code == 200, listed.text
    return {m["email"]: (m["role"], m["source"]) for m in listed.json()["data"]}


async def audit(market: Market, action: str, email: str) -> list[AuditEntry]:
    async with market.sessionmaker() as session:
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.action == action, AuditEntry.actor_email == email)
        )
        return list(rows)


async def test_first_sign_in_makes_the_user_opens_a_session_and_grants_claimed_roles(
    market: Market,
    oidc_provider: OidcProvider,
    directory: Directory,
    owner: MarketUser,
    browser: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    person = await oidc_provider.admin.create_user(groups=(directory.admins, directory.members))

    landed = await sign_in(browser, person, next_path="/groups/payments?tab=members")

    assert landed.status_code == 303, landed.text
    assert landed.headers["location"] == "/groups/payments?tab=members"
    me = await browser.get("/api/v1/auth/me")
    assert me.status_code == 200, me.text
    assert me.json()["email"] == person.email
    # The highest role the claims grant in a group; the mapping to a missing group is skipped.
    assert (await members(market, owner, "payments"))[person.email] == (
        "admin",
        "identity_provider",
    )
    assert (await members(market, owner, "billing"))[person.email] == (
        "member",
        "identity_provider",
    )
    assert "names an app group that does not exist; skipped" in caplog.text
    # The session works for changes too, with the CSRF cookie's token.
    browser.headers["X-CSRF-Token"] = browser.cookies["barito_csrf"]
    made = await browser.post("/api/v1/groups", json={"name": f"own-{uuid.uuid4().hex[:6]}"})
    assert made.status_code == 201, made.text
    assert [e.details["method"] for e in await audit(market, "auth.login", person.email)] == [
        "oidc"
    ]
    assert len(await audit(market, "user.create", person.email)) == 1


async def test_a_returning_user_is_found_by_subject_and_takes_the_providers_email(
    market: Market, oidc_provider: OidcProvider, browser: httpx.AsyncClient
) -> None:
    person = await oidc_provider.admin.create_user()
    await sign_in(browser, person)
    first = (await browser.get("/api/v1/auth/me")).json()
    # The market's copy of the email went stale (the provider's changed since):
    # the next sign-in still finds the account by the provider's sub.
    async with market.sessionmaker() as session:
        await session.execute(
            update(User).where(User.id == uuid.UUID(first["id"])).values(email="old@example.test")
        )
        await session.commit()

    again = await sign_in(browser, person)

    assert again.status_code == 303, again.text
    me = (await browser.get("/api/v1/auth/me")).json()
    assert me["id"] == first["id"]
    assert me["email"] == person.email
    # The provider's password is no password here: the account has none.
    password_login = await browser.post(
        "/api/v1/auth/login", json={"email": person.email, "password": person.password}
    )
    assert password_login.status_code == 401


async def test_leaving_a_directory_group_takes_the_role_away_but_a_manual_one_stays(
    market: Market,
    oidc_provider: OidcProvider,
    directory: Directory,
    owner: MarketUser,
    browser: httpx.AsyncClient,
) -> None:
    person = await oidc_provider.admin.create_user(groups=(directory.admins,))
    await sign_in(browser, person)
    assert (await members(market, owner, "payments"))[person.email][0] == "admin"
    manual = await market.client.put(
        "/api/v1/groups/billing/members",
        headers=owner.headers,
        json={"email": person.email, "role": "admin"},
    )
    assert manual.status_code == 200, manual.text

    await oidc_provider.admin.remove_from_group(person.id, directory.admins)
    await sign_in(browser, person)

    assert person.email not in await members(market, owner, "payments")
    assert (await members(market, owner, "billing"))[person.email] == ("admin", "manual")
    removed = [
        e.details
        for e in await audit_of_group_changes(market)
        if e.action == "group.member.remove" and e.details.get("email") == person.email
    ]
    assert removed and removed[-1]["source"] == "identity_provider"


async def audit_of_group_changes(market: Market) -> list[AuditEntry]:
    async with market.sessionmaker() as session:
        return list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action.like("group.member.%"))
            )
        )


async def test_the_superadmin_claim_is_granted_and_taken_away_at_sign_in(
    market: Market,
    oidc_provider: OidcProvider,
    directory: Directory,
    browser: httpx.AsyncClient,
) -> None:
    person = await oidc_provider.admin.create_user(groups=(directory.superadmins,))
    await sign_in(browser, person)
    assert (await browser.get("/api/v1/auth/me")).json()["is_superadmin"] is True

    await oidc_provider.admin.remove_from_group(person.id, directory.superadmins)
    await sign_in(browser, person)

    assert (await browser.get("/api/v1/auth/me")).json()["is_superadmin"] is False
    async with market.sessionmaker() as session:
        changes = list(
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "user.superadmin")
                .order_by(AuditEntry.at)
            )
        )
    mine = [e for e in changes if e.details["email"] == person.email]
    assert [(e.details["superadmin"], e.details["source"]) for e in mine] == [
        (True, "identity_provider"),
        (False, "identity_provider"),
    ]
    assert all(e.address for e in mine)


async def test_next_must_be_a_path_of_the_market(
    oidc_provider: OidcProvider, browser: httpx.AsyncClient
) -> None:
    person = await oidc_provider.admin.create_user()
    for elsewhere in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        landed = await sign_in(browser, person, next_path=elsewhere)
        assert landed.status_code == 303, landed.text
        assert landed.headers["location"] == "/"


async def test_an_email_held_by_a_password_account_is_not_taken_over(
    market: Market, oidc_provider: OidcProvider, browser: httpx.AsyncClient
) -> None:
    email = f"taken-{uuid.uuid4().hex[:6]}@example.test"
    await market.create_user(email=email)
    person = await oidc_provider.admin.create_user(email=email)

    refused = await sign_in(browser, person)

    assert f"an account with the email {email} already exists" in sso_error(refused)
    assert "never joined by email alone" in sso_error(refused)
    assert (await browser.get("/api/v1/auth/me")).status_code == 401
    failed = await audit(market, "auth.login_failed", email)
    assert [e.details["method"] for e in failed] == ["oidc"]


async def test_a_refused_sign_in_of_a_long_email_is_told_and_audited(
    market: Market, oidc_provider: OidcProvider, browser: httpx.AsyncClient
) -> None:
    # 90 characters: longer than an id, well within what an email may be.
    email = f"firstname.lastname.{uuid.uuid4().hex}@platform-engineering.corp.example.test"
    holder = await market.create_user(email=email)
    person = await oidc_provider.admin.create_user(email=email)

    refused = await sign_in(browser, person)

    assert f"an account with the email {email} already exists" in sso_error(refused)
    failed = await audit(market, "auth.login_failed", email)
    assert [(e.details["method"], e.target_id) for e in failed] == [("oidc", str(holder.id))]


async def test_a_disabled_barito_account_cannot_sign_in(
    market: Market, oidc_provider: OidcProvider, browser: httpx.AsyncClient
) -> None:
    person = await oidc_provider.admin.create_user()
    await sign_in(browser, person)
    async with market.sessionmaker() as session:
        await session.execute(
            update(User).where(User.email == person.email).values(is_active=False)
        )
        await session.commit()
    browser.cookies.clear()

    refused = await sign_in(browser, person)

    assert (
        sso_error(refused) == f"the Barito account {person.email} is disabled; ask an administrator"
    )
    assert (await browser.get("/api/v1/auth/me")).status_code == 401
