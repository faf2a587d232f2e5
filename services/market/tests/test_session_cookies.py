"""Session and CSRF cookies are Secure whenever the browser's request came over HTTPS.

Directly (the request's scheme), through a trusted proxy's
``X-Forwarded-Proto`` (the market behind uvicorn configured as in production,
by ``barito_common.serving.uvicorn_options``), or always with
``session_cookie_secure``; an untrusted sender's ``X-Forwarded-Proto`` changes
nothing.
"""

from __future__ import annotations

import uuid

import httpx

from barito_common.serving import uvicorn_options
from barito_testing.market import Market
from barito_testing.serving import serve


def cookies_set(response: httpx.Response) -> dict[str, set[str]]:
    """Each cookie a response sets, with its attributes (lower case, ``samesite=lax``)."""
    found: dict[str, set[str]] = {}
    for header in response.headers.get_list("set-cookie"):
        pair, *attributes = (part.strip() for part in header.split(";"))
        found[pair.split("=", 1)[0]] = {a.lower().replace(" ", "") for a in attributes}
    return found


async def log_in(client: httpx.AsyncClient, **headers: str) -> dict[str, set[str]]:
    """Sign up a new account and log it in; the cookies the login set."""
    body = {"email": f"cookie-{uuid.uuid4().hex[:8]}@example.test", "password": "correct horse"}
    assert (await client.post("/api/v1/auth/signup", json=body)).status_code == 201
    login = await client.post("/api/v1/auth/login", json=body, headers=headers)
    assert login.status_code == 200, login.text
    return cookies_set(login)


def assert_secure(cookies: dict[str, set[str]], secure: bool) -> None:
    assert set(cookies) == {"barito_session", "barito_csrf"}
    for name, attributes in cookies.items():
        assert ("secure" in attributes) is secure, (name, attributes)
        assert "samesite=lax" in attributes, (name, attributes)
    # Only the CSRF cookie is for the SPA's script to read.
    assert "httponly" in cookies["barito_session"]
    assert "httponly" not in cookies["barito_csrf"]


async def test_over_plain_http_the_cookies_are_not_secure(market: Market) -> None:
    assert_secure(await log_in(market.client), secure=False)


async def test_over_https_the_cookies_are_secure_and_logout_clears_them_the_same_way(
    market: Market,
) -> None:
    async with httpx.AsyncClient(transport=market.transport, base_url="https://market") as client:
        assert_secure(await log_in(client), secure=True)
        client.headers["X-CSRF-Token"] = client.cookies["barito_csrf"]
        logout = await client.post("/api/v1/auth/logout")
        assert logout.status_code == 200
        cleared = cookies_set(logout)
        assert_secure(cleared, secure=True)
        assert all("max-age=0" in attributes for attributes in cleared.values())


async def test_session_cookie_secure_makes_them_secure_over_plain_http(market: Market) -> None:
    market.app.state.settings = market.settings.model_copy(update={"session_cookie_secure": True})
    try:
        assert_secure(await log_in(market.client), secure=True)
    finally:
        market.app.state.settings = market.settings


async def test_x_forwarded_proto_counts_only_from_a_trusted_proxy(market: Market) -> None:
    # uvicorn as the market runs in production: proxy headers believed from
    # trusted_proxies (127.0.0.1 and ::1 by default) and nobody else. Loopback
    # is all 127/8, so 127.0.0.2 is another, untrusted, sender on this host.
    assert market.settings.trusted_proxies == "127.0.0.1,::1"
    https = {"X-Forwarded-Proto": "https"}
    async with serve(market.app, lifespan="off", **uvicorn_options(market.settings)) as url:
        for sender, secure in (("127.0.0.1", True), ("127.0.0.2", False)):
            transport = httpx.AsyncHTTPTransport(local_address=sender)
            async with httpx.AsyncClient(transport=transport, base_url=url) as client:
                assert_secure(await log_in(client, **https), secure=secure)
                assert_secure(await log_in(client), secure=False)
