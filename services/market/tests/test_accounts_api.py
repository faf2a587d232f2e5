"""The market's accounts API on both of its databases: Postgres and embedded SQLite.

Sign-up, login, the cookie and its CSRF header, logout, API tokens and the
login throttle.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from barito_testing.market import Market, market_settings, running_market


@pytest.fixture(scope="module")
def market(market_on_each_database: Market) -> Market:
    """The market on Postgres, then on embedded SQLite (conftest.py)."""
    return market_on_each_database


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


async def test_sign_up_log_in_use_the_cookie_and_log_out(market: Market) -> None:
    email, password = f"{unique('ann')}@Example.test", "correct horse"
    signed = await market.client.post(
        "/api/v1/auth/signup", json={"email": email, "password": password}
    )
    assert signed.status_code == 201
    assert signed.json()["email"] == email.lower()
    assert "password" not in signed.text

    async with market.logged_in_as(email, password) as browser:
        assert browser.cookies.get("barito_session")
        me = await browser.get("/api/v1/auth/me")
        assert me.json()["email"] == email.lower()
        created = await browser.post("/api/v1/groups", json={"name": "Ann's group"})
        assert created.status_code == 201

        csrf = browser.headers.pop("X-CSRF-Token")
        refused = await browser.post("/api/v1/groups", json={"name": "forged"})
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "csrf"
        # Reading needs no CSRF header.
        assert (await browser.get("/api/v1/groups")).status_code == 200

        browser.headers["X-CSRF-Token"] = csrf
        assert (await browser.post("/api/v1/auth/logout")).status_code == 200
        assert browser.cookies.get("barito_session") is None
    # The old cookie no longer opens anything, even if a client kept it.
    async with market.logged_in_as(email, password) as again:
        old = again.cookies.get("barito_session")
        await again.post("/api/v1/auth/logout")
        again.cookies.set("barito_session", old or "")
        assert (await again.get("/api/v1/auth/me")).status_code == 401


async def test_the_session_cookie_is_httponly(market: Market) -> None:
    user = await market.create_user()
    response = await market.client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": user.password}
    )
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("barito_session="))
    csrf = next(c for c in cookies if c.startswith("barito_csrf="))
    assert "httponly" in session.lower()
    assert "httponly" not in csrf.lower()


async def test_a_taken_email_is_409_and_a_bad_one_names_the_field(market: Market) -> None:
    user = await market.create_user()
    taken = await market.client.post(
        "/api/v1/auth/signup", json={"email": user.email.upper(), "password": "long enough"}
    )
    assert taken.status_code == 409
    bad = await market.client.post(
        "/api/v1/auth/signup", json={"email": "not-an-email", "password": "short"}
    )
    assert bad.status_code == 422
    fields = {f["field"] for f in bad.json()["error"]["fields"]}
    assert fields == {"body.email", "body.password"}


async def test_sign_up_can_be_turned_off(stack: Any, tmp_path: Path) -> None:
    settings = market_settings(
        kafka_bootstrap=stack.kafka_bootstrap,
        database_url=None,
        data_dir=str(tmp_path),
        signup_enabled=False,
    )
    async with running_market(settings) as closed:
        response = await closed.client.post(
            "/api/v1/auth/signup", json={"email": "x@example.test", "password": "long enough"}
        )
        assert response.status_code == 403


async def test_failed_logins_are_throttled_even_for_the_right_password_then(
    market: Market,
) -> None:
    user = await market.create_user()
    for _ in range(3):
        wrong = await market.client.post(
            "/api/v1/auth/login", json={"email": user.email, "password": "wrong password"}
        )
        assert wrong.status_code == 401
    throttled = await market.client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": user.password}
    )
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) > 0
    # Another account is not affected.
    other = await market.create_user()
    fine = await market.client.post(
        "/api/v1/auth/login", json={"email": other.email, "password": other.password}
    )
    assert fine.status_code == 200


async def test_an_unknown_email_and_a_wrong_password_answer_alike(market: Market) -> None:
    user = await market.create_user()
    wrong = await market.client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": "wrong password"}
    )
    unknown = await market.client.post(
        "/api/v1/auth/login", json={"email": "nobody@example.test", "password": "whatever"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


async def test_api_tokens_are_shown_once_listed_without_the_token_and_revocable(
    market: Market,
) -> None:
    user = await market.create_user()
    created = await market.client.post(
        "/api/v1/auth/tokens", headers=user.headers, json={"name": "ci", "expires_in_days": 30}
    )
    token = created.json()["token"]
    mine = {"Authorization": f"Bearer {token}"}
    assert (await market.client.get("/api/v1/auth/me", headers=mine)).status_code == 200
    listed = await market.client.get("/api/v1/auth/tokens", headers=user.headers)
    assert token not in listed.text
    assert "ci" in {t["name"] for t in listed.json()["data"]}
    revoked = await market.client.delete(
        f"/api/v1/auth/tokens/{created.json()['id']}", headers=user.headers
    )
    assert revoked.status_code == 204
    assert (await market.client.get("/api/v1/auth/me", headers=mine)).status_code == 401
    garbled = {"Authorization": "Basic abc"}
    assert (await market.client.get("/api/v1/auth/me", headers=garbled)).status_code == 401
