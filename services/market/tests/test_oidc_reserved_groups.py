"""App-group slugs the roles-from-claims mapping names: kept for a superadmin to create.

A mapping may name a group that does not exist yet (or no longer exists).
Whoever created that slug would own it by hand, and everyone the directory
puts in the mapped groups would be handed a role in it at their next sign-in:
their apps, and so their logs, would land in the creator's group. So only a
superadmin may create a group under such a slug, through either way of
making one (``POST /groups``, and ``POST /apps`` with ``new_group``).

The market runs on real Postgres, signing in through the stack's Keycloak.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from barito_testing.market import Market, MarketUser, market_on_postgres
from barito_testing.oidc_provider import DirectoryUser, OidcProvider, sign_in_at_market

CALLBACK = "http://127.0.0.1:18000/api/v1/auth/oidc/callback"


@pytest.fixture(scope="module")
def reserved() -> str:
    """A slug the mapping names, that no one may take but a superadmin."""
    return f"directory-{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="module")
def later() -> str:
    """Another slug the mapping names, for the group a superadmin creates after a sign-in."""
    return f"later-{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="module")
async def directory_group(oidc_provider: OidcProvider) -> str:
    name = f"team-{uuid.uuid4().hex[:6]}"
    await oidc_provider.admin.create_group(name)
    return name


@pytest.fixture(scope="module")
async def market(
    stack: Any, oidc_provider: OidcProvider, directory_group: str, reserved: str, later: str
) -> AsyncIterator[Market]:
    roles = [
        {"claim": directory_group, "group": reserved, "role": "member"},
        {"claim": directory_group, "group": later, "role": "admin"},
    ]
    oidc = oidc_provider.oidc_settings(redirect_url=CALLBACK, roles_from_claims=roles)
    async with market_on_postgres(stack, oidc=oidc) as market:
        yield market


@pytest.fixture
async def browser(market: Market) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=market.transport, base_url="http://market") as client:
        yield client


async def sign_in(browser: httpx.AsyncClient, person: DirectoryUser) -> None:
    """Signed in: the whole trip (``sign_in_at_market``), then the session answers."""
    landed = await sign_in_at_market(browser, person)
    assert landed.status_code == 303, landed.text
    assert (await browser.get("/api/v1/auth/me")).status_code == 200


async def group_roles(market: Market, who: MarketUser, slug: str) -> dict[str, tuple[str, str]]:
    listed = await market.client.get(f"/api/v1/groups/{slug}/members", headers=who.headers)
    assert listed.status_code == 200, listed.text
    return {m["email"]: (m["role"], m["source"]) for m in listed.json()["data"]}


async def test_a_user_cannot_create_a_group_under_a_slug_the_mapping_names(
    market: Market, reserved: str
) -> None:
    squatter = await market.create_user()

    by_group = await market.client.post(
        "/api/v1/groups", headers=squatter.headers, json={"name": reserved}
    )
    by_app = await market.client.post(
        "/api/v1/apps",
        headers=squatter.headers,
        json={"name": f"app-{uuid.uuid4().hex[:6]}", "new_group": reserved.upper()},
    )

    for refused in (by_group, by_app):
        assert refused.status_code == 403, refused.text
        error = refused.json()["error"]
        assert error["code"] == "reserved_group_slug"
        assert f"'{reserved}'" in error["message"]
        assert "identity provider" in error["message"]
    listed = await market.client.get("/api/v1/groups", headers=squatter.headers)
    assert reserved not in [g["slug"] for g in listed.json()["data"]]
    # Any other name is the user's to take, as before.
    other = await market.client.post(
        "/api/v1/groups", headers=squatter.headers, json={"name": f"{reserved}-own"}
    )
    assert other.status_code == 201, other.text
    # A rename never changes a slug, so it cannot reach the reserved one either.
    renamed = await market.client.patch(
        f"/api/v1/groups/{reserved}-own", headers=squatter.headers, json={"name": reserved}
    )
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["name"], renamed.json()["slug"]) == (reserved, f"{reserved}-own")


async def test_a_mapped_group_is_skipped_until_a_superadmin_creates_it_then_granted(
    market: Market,
    oidc_provider: OidcProvider,
    directory_group: str,
    later: str,
    browser: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    person = await oidc_provider.admin.create_user(groups=(directory_group,))
    superadmin = await market.create_user(superadmin=True)

    with caplog.at_level(logging.WARNING):
        await sign_in(browser, person)
    assert "names an app group that does not exist; skipped" in caplog.text
    mine = await browser.get("/api/v1/groups")
    assert later not in [g["slug"] for g in mine.json()["data"]]

    made = await market.client.post(
        "/api/v1/groups", headers=superadmin.headers, json={"name": later}
    )
    assert made.status_code == 201, made.text
    assert made.json()["slug"] == later
    browser.cookies.clear()
    await sign_in(browser, person)

    assert (await group_roles(market, superadmin, later))[person.email] == (
        "admin",
        "identity_provider",
    )
    mine = await browser.get("/api/v1/groups")
    assert later in [g["slug"] for g in mine.json()["data"]]
