"""What single sign-on refuses, each in words: forged, foreign, expired and replayed sign-ins.

ID tokens are real ones from Keycloak (by its direct grant), tampered with
or checked at a later clock; sign-ins go through Keycloak's login form and
the in-process market's callback. Also: the provider's key rotation, and the
provider's logout URL an SSO session's logout answers with.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc import jws
from joserfc.jwk import OctKey, RSAKey
from sqlalchemy import select, update

from barito_market.accounts.credentials import hash_token
from barito_market.accounts.oidc import SignInRefused
from barito_market.accounts.oidc.id_tokens import validate_id_token
from barito_market.accounts.oidc.login_flow import OTHER_BROWSER, safe_next_path
from barito_market.accounts.oidc.provider import OidcProvider as MarketProvider
from barito_market.models import AuditEntry, OidcLogin, Session
from barito_market.settings import OidcSettings
from barito_testing.market import Market, market_on_postgres
from barito_testing.oidc_provider import DirectoryUser, OidcProvider, sign_in_at_provider

CALLBACK = "http://127.0.0.1:18000/api/v1/auth/oidc/callback"
STATE_REFUSED = "the sign-in link was already used or has expired — start again"


@pytest.fixture(scope="module")
async def market(stack: Any, oidc_provider: OidcProvider) -> AsyncIterator[Market]:
    oidc = oidc_provider.oidc_settings(redirect_url=CALLBACK)
    async with market_on_postgres(stack, oidc=oidc) as market:
        yield market


@pytest.fixture
async def browser(market: Market) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=market.transport, base_url="http://market") as client:
        yield client


@pytest.fixture(scope="module")
def settings(oidc_provider: OidcProvider) -> OidcSettings:
    return OidcSettings(**oidc_provider.oidc_settings())


@pytest.fixture(scope="module")
async def person(oidc_provider: OidcProvider) -> DirectoryUser:
    return await oidc_provider.admin.create_user()


async def id_token(oidc_provider: OidcProvider, person: DirectoryUser, **client: str) -> str:
    tokens = await oidc_provider.admin.tokens_by_password(
        person.username, person.password, **client
    )
    return str(tokens["id_token"])


def claims_of(token: str, part: int = 1) -> dict[str, Any]:
    """The payload (or with ``part=0`` the header) of a JWT, unchecked."""
    text = token.split(".")[part]
    return dict(json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))))


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def refusal(settings: OidcSettings, token: str, **kwargs: Any) -> str:
    with pytest.raises(SignInRefused) as refused:
        await validate_id_token(MarketProvider(settings), settings, token, nonce="n", **kwargs)
    return refused.value.message


async def test_a_tampered_id_token_does_not_verify(
    oidc_provider: OidcProvider, settings: OidcSettings, person: DirectoryUser
) -> None:
    header, payload, signature = (await id_token(oidc_provider, person)).split(".")
    middle = len(signature) // 2
    flipped = (
        signature[:middle] + ("A" if signature[middle] != "A" else "B") + signature[middle + 1 :]
    )
    claims = claims_of(f"{header}.{payload}.{signature}")
    promoted = b64(json.dumps({**claims, "groups": ["barito-superadmins"]}).encode())

    assert await refusal(settings, f"{header}.{payload}.{flipped}") == (
        "the ID token's signature does not verify"
    )
    assert await refusal(settings, f"{header}.{promoted}.{signature}") == (
        "the ID token's signature does not verify"
    )


async def test_a_key_the_provider_does_not_publish_and_hmac_are_refused(
    oidc_provider: OidcProvider, settings: OidcSettings, person: DirectoryUser
) -> None:
    claims = claims_of(await id_token(oidc_provider, person))
    # Signed with the client secret: anyone holding it could have made this.
    secret = OctKey.import_key(oidc_provider.client_secret.encode())
    hmac_token = jws.serialize_compact(
        {"alg": "HS256", "kid": "forged"}, json.dumps(claims), secret, algorithms=["HS256"]
    )
    own_key = RSAKey.generate_key(2048)
    foreign = jws.serialize_compact({"alg": "RS256", "kid": "forged"}, json.dumps(claims), own_key)
    none = b64(b'{"alg":"none"}')
    unsigned = f"{none}.{b64(json.dumps(claims).encode())}."

    assert await refusal(settings, foreign) == (
        "the ID token's signature does not verify (no key 'forged' at the provider)"
    )
    assert "signed with 'HS256'" in await refusal(settings, hmac_token)
    assert "signed with 'none'" in await refusal(settings, unsigned)


async def test_a_token_for_another_client_is_refused(
    oidc_provider: OidcProvider, settings: OidcSettings, person: DirectoryUser
) -> None:
    other = await id_token(
        oidc_provider,
        person,
        client_id=oidc_provider.other_client_id,
        client_secret=oidc_provider.other_client_secret,
    )
    assert await refusal(settings, other) == (
        f"the ID token was issued for another client (audience {oidc_provider.other_client_id})"
    )


async def test_an_expired_token_is_refused_past_the_clock_skew(
    oidc_provider: OidcProvider, settings: OidcSettings, person: DirectoryUser
) -> None:
    token = await id_token(oidc_provider, person)
    expires = claims_of(token)["exp"]

    late = await refusal(settings, token, now=expires + settings.clock_skew_s + 1)
    within_skew = await refusal(settings, token, now=expires + settings.clock_skew_s - 1)

    assert late == "the ID token has expired"
    # Still inside the tolerance: the time passes, and the next check (no nonce
    # from a direct grant) is what refuses it.
    assert within_skew == "the nonce does not match this sign-in"


async def test_forged_key_ids_make_the_market_fetch_keys_again_at_most_once_per_interval(
    oidc_provider: OidcProvider, settings: OidcSettings, person: DirectoryUser
) -> None:
    claims = claims_of(await id_token(oidc_provider, person))
    own_key = RSAKey.generate_key(2048)
    forged = jws.serialize_compact({"alg": "RS256", "kid": "forged"}, json.dumps(claims), own_key)
    provider = MarketProvider(settings, jwks_refetch_interval_s=3600)
    with pytest.raises(SignInRefused):
        await validate_id_token(provider, settings, forged, nonce="n")
    new_kid = await oidc_provider.admin.rotate_signing_key()
    rotated = await id_token(oidc_provider, person)
    assert claims_of(rotated, 0)["kid"] == new_kid

    # The forged kid spent this hour's re-fetch: the new key is not seen yet...
    with pytest.raises(SignInRefused) as held_back:
        await validate_id_token(provider, settings, rotated, nonce="n")
    # ...while a market that has spent none fetches it, and the signature verifies.
    with pytest.raises(SignInRefused) as fetched:
        await validate_id_token(MarketProvider(settings), settings, rotated, nonce="n")

    assert held_back.value.message == (
        f"the ID token's signature does not verify (no key {new_kid!r} at the provider)"
    )
    assert fetched.value.message == "the nonce does not match this sign-in"


def test_only_the_markets_own_paths_are_landed_on() -> None:
    assert safe_next_path("/apps/shop?tab=logs") == "/apps/shop?tab=logs"
    for elsewhere in (None, "", "//evil.example", "https://evil.example/", "/\\evil", "apps"):
        assert safe_next_path(elsewhere) == "/"


async def start(browser: httpx.AsyncClient) -> str:
    started = await browser.get("/api/v1/auth/oidc/login")
    assert started.status_code == 302, started.text
    return str(started.headers["location"])


async def come_back(browser: httpx.AsyncClient, person: DirectoryUser, authorize: str) -> str:
    back = urlsplit(await sign_in_at_provider(authorize, person.username, person.password))
    return f"{back.path}?{back.query}"


def sso_error(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    assert response.headers["location"].startswith("/login?")
    return parse_qs(urlsplit(response.headers["location"]).query)["sso_error"][0]


async def edit_login(market: Market, authorize: str, **values: Any) -> None:
    state = parse_qs(urlsplit(authorize).query)["state"][0]
    async with market.sessionmaker() as session:
        await session.execute(
            update(OidcLogin).where(OidcLogin.state_hash == hash_token(state)).values(**values)
        )
        await session.commit()


async def test_a_replayed_callback_is_refused_and_audited_without_the_code(
    market: Market, browser: httpx.AsyncClient, person: DirectoryUser
) -> None:
    callback = await come_back(browser, person, await start(browser))
    assert (await browser.get(callback)).headers["location"] == "/"
    browser.cookies.delete("barito_session")

    replayed = await browser.get(callback)

    assert sso_error(replayed) == STATE_REFUSED
    assert (await browser.get("/api/v1/auth/me")).status_code == 401
    async with market.sessionmaker() as session:
        failed = list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == "auth.login_failed")
            )
        )
    assert {"method": "oidc", "reason": STATE_REFUSED}.items() <= failed[-1].details.items()
    code = parse_qs(urlsplit(callback).query)["code"][0]
    assert code not in json.dumps([e.details for e in failed])


async def test_a_callback_opened_in_another_browser_signs_no_one_in(
    market: Market, browser: httpx.AsyncClient, person: DirectoryUser
) -> None:
    # Login CSRF: the attacker signs in as themself and stops at the callback
    # URL, then makes the victim's browser open it; the victim would work,
    # unknowing, in the attacker's account.
    callback = await come_back(browser, person, await start(browser))
    async with httpx.AsyncClient(transport=market.transport, base_url="http://market") as victim:
        pushed = await victim.get(callback)
        assert sso_error(pushed) == OTHER_BROWSER
        assert "barito_session" not in victim.cookies
        assert (await victim.get("/api/v1/auth/me")).status_code == 401


async def test_a_wrong_nonce_and_an_expired_sign_in_are_refused(
    market: Market, browser: httpx.AsyncClient, person: DirectoryUser
) -> None:
    authorize = await start(browser)
    await edit_login(market, authorize, nonce="not-the-nonce-sent")
    wrong_nonce = await browser.get(await come_back(browser, person, authorize))

    authorize = await start(browser)
    await edit_login(market, authorize, expires_at=datetime.now(UTC) - timedelta(seconds=1))
    too_late = await browser.get(await come_back(browser, person, authorize))

    assert sso_error(wrong_nonce) == "the nonce does not match this sign-in"
    assert sso_error(too_late) == STATE_REFUSED
    assert (await browser.get("/api/v1/auth/me")).status_code == 401


async def test_the_providers_own_refusal_is_passed_on(
    browser: httpx.AsyncClient,
) -> None:
    state = parse_qs(urlsplit(await start(browser)).query)["state"][0]
    refused = await browser.get(
        "/api/v1/auth/oidc/callback",
        params={"error": "access_denied", "error_description": "User denied", "state": state},
    )
    assert sso_error(refused) == "the provider refused: User denied"


async def test_a_provider_error_answering_no_sign_in_begun_here_is_not_passed_on(
    market: Market, browser: httpx.AsyncClient
) -> None:
    # Anyone can open the callback: its words must not reach the login page or the log.
    forged = await browser.get(
        "/api/v1/auth/oidc/callback",
        params={"error": "access_denied", "error_description": "Account locked: call 555-0100"},
    )

    assert sso_error(forged) == STATE_REFUSED
    async with market.sessionmaker() as session:
        details = list(await session.scalars(select(AuditEntry.details)))
    assert "555-0100" not in json.dumps(details)


async def test_the_providers_own_words_are_passed_on_only_so_far(
    market: Market, browser: httpx.AsyncClient
) -> None:
    state = parse_qs(urlsplit(await start(browser)).query)["state"][0]
    refused = await browser.get(
        "/api/v1/auth/oidc/callback",
        params={"error": "access_denied", "error_description": "x" * 5000, "state": state},
    )
    assert sso_error(refused) == f"the provider refused: {'x' * 300}…"
    async with market.sessionmaker() as session:
        reasons = list(
            await session.scalars(
                select(AuditEntry.details).where(AuditEntry.action == "auth.login_failed")
            )
        )
    assert "x" * 301 not in json.dumps(reasons)


async def test_a_rotated_signing_key_is_fetched_and_accepted(
    market: Market, oidc_provider: OidcProvider, browser: httpx.AsyncClient, person: DirectoryUser
) -> None:
    first = await browser.get(await come_back(browser, person, await start(browser)))
    assert first.headers["location"] == "/"
    new_kid = await oidc_provider.admin.rotate_signing_key()

    signed_in = await browser.get(await come_back(browser, person, await start(browser)))

    assert signed_in.headers["location"] == "/"
    assert (await browser.get("/api/v1/auth/me")).json()["email"] == person.email
    async with market.sessionmaker() as session:
        tokens = list(
            await session.scalars(select(Session.id_token).where(Session.id_token.is_not(None)))
        )
    assert new_kid in [claims_of(token, 0).get("kid") for token in tokens]


async def test_logging_out_of_an_sso_session_names_the_providers_logout(
    market: Market, oidc_provider: OidcProvider, browser: httpx.AsyncClient, person: DirectoryUser
) -> None:
    await browser.get(await come_back(browser, person, await start(browser)))
    browser.headers["X-CSRF-Token"] = browser.cookies["barito_csrf"]

    logged_out = await browser.post("/api/v1/auth/logout")

    assert logged_out.status_code == 200, logged_out.text
    url = urlsplit(logged_out.json()["provider_logout_url"])
    assert f"{url.scheme}://{url.netloc}{url.path}".startswith(oidc_provider.issuer)
    query = parse_qs(url.query)
    assert claims_of(query["id_token_hint"][0])["sub"]
    assert query["client_id"] == [oidc_provider.client_id]
    assert query["post_logout_redirect_uri"] == ["http://127.0.0.1:18000/login"]
    password_user = await market.create_user()
    async with market.logged_in(password_user) as other:
        assert (await other.post("/api/v1/auth/logout")).json() == {"provider_logout_url": None}
