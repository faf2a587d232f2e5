"""Single sign-on as the installation's way in: passwords turned off, the provider down.

The market starts without asking the provider anything, so a provider that
is down costs only the single sign-on: its login says so, and password logins
go on working.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from barito_testing.market import Market, market_on_postgres
from barito_testing.oidc_provider import OidcProvider
from barito_testing.ports import free_port

PASSWORDS_OFF = "Password logins are turned off here; sign in with Keycloak."


@pytest.fixture(scope="module")
async def sso_only(stack: Any, oidc_provider: OidcProvider) -> AsyncIterator[Market]:
    oidc = oidc_provider.oidc_settings()
    async with market_on_postgres(stack, oidc=oidc, passwords_enabled=False) as market:
        yield market


@pytest.fixture(scope="module")
async def provider_down(stack: Any, oidc_provider: OidcProvider) -> AsyncIterator[Market]:
    """A market whose provider's address answers nothing (nothing listens there)."""
    issuer = f"http://127.0.0.1:{free_port()}/realms/barito"
    oidc = oidc_provider.oidc_settings(issuer=issuer)
    async with market_on_postgres(stack, oidc=oidc) as market:
        yield market


async def test_with_passwords_off_a_password_login_is_refused_naming_the_provider(
    sso_only: Market,
) -> None:
    user = await sso_only.create_user()

    login = await sso_only.client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": user.password}
    )
    signup = await sso_only.client.post(
        "/api/v1/auth/signup", json={"email": "new@example.test", "password": "long enough"}
    )

    assert login.status_code == 403
    assert login.json()["error"]["message"] == PASSWORDS_OFF
    assert signup.status_code == 403
    assert signup.json()["error"]["message"] == PASSWORDS_OFF
    # API tokens are no password login: they keep working.
    me = await sso_only.client.get("/api/v1/auth/me", headers=user.headers)
    assert me.status_code == 200


async def test_the_login_page_learns_which_ways_in_there_are(
    sso_only: Market, provider_down: Market
) -> None:
    only_sso = await sso_only.client.get("/api/v1/auth/methods")
    both = await provider_down.client.get("/api/v1/auth/methods")

    sign_on = {"name": "Keycloak", "login_url": "/api/v1/auth/oidc/login"}
    assert only_sso.json() == {"passwords": False, "sign_up": False, "single_sign_on": sign_on}
    assert both.json() == {"passwords": True, "sign_up": True, "single_sign_on": sign_on}


async def test_with_the_provider_down_sign_in_says_so_and_passwords_still_work(
    provider_down: Market,
) -> None:
    refused = await provider_down.client.get("/api/v1/auth/oidc/login")

    # A browser navigation: it lands on the login page, which shows why.
    assert refused.status_code == 303
    location = urlsplit(refused.headers["location"])
    assert location.path == "/login"
    assert parse_qs(location.query)["sso_error"] == [
        "Single sign-on is unavailable: the identity provider did not answer. "
        "Try again later or log in with your password."
    ]
    user = await provider_down.create_user()
    async with provider_down.logged_in(user) as browser:
        assert (await browser.get("/api/v1/auth/me")).json()["email"] == user.email
        logged_out = await browser.post("/api/v1/auth/logout")
        assert logged_out.json() == {"provider_logout_url": None}
