"""Which issuer an ID token must name, and who a person is: their issuer and ``sub`` together.

An ID token's ``iss`` must be exactly the issuer of the provider's discovery
document (OpenID Connect Core §3.1.3.7). Some providers' issuers end in a
slash (Auth0's: ``https://tenant.auth0.com/``); Keycloak's never do, so a
stand-in provider (``SlashIssuerStandIn``: a discovery document and a key set
served by uvicorn on loopback, tokens signed with its own key) plays one.
The rest runs against the stack's real Keycloak and the market on Postgres.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI, Request
from joserfc import jws
from joserfc.jwk import KeySet, RSAKey
from sqlalchemy import select, update

from barito_market.accounts.oidc import SignInRefused
from barito_market.accounts.oidc.id_tokens import validate_id_token
from barito_market.accounts.oidc.provider import OidcProvider as MarketProvider
from barito_market.models import User
from barito_market.settings import OidcSettings
from barito_testing.market import Market, market_on_postgres
from barito_testing.oidc_provider import OidcProvider, sign_in_at_provider
from barito_testing.serving import serve

CLIENT_ID = "barito-market"
CALLBACK = "http://127.0.0.1:18000/api/v1/auth/oidc/callback"


@dataclass(frozen=True)
class SlashIssuerStandIn:
    """A provider whose issuer ends in a slash: its URL (no slash) and its signing key."""

    url: str
    key: RSAKey

    @property
    def issuer(self) -> str:
        return f"{self.url}/"

    def sign(self, **claims: Any) -> str:
        now = int(time.time())
        payload = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "sub": "person-1",
            "iat": now,
            "exp": now + 300,
            "nonce": "n",
            **claims,
        }
        header = {"alg": "RS256", "kid": self.key.kid}
        return jws.serialize_compact(header, json.dumps(payload), self.key)


def _stand_in_app(key: RSAKey) -> FastAPI:
    app = FastAPI()

    @app.get("/.well-known/openid-configuration")
    async def discovery(request: Request) -> dict[str, Any]:
        base = str(request.base_url).rstrip("/")
        return {
            "issuer": f"{base}/",
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "jwks_uri": f"{base}/jwks",
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    @app.get("/jwks")
    async def jwks() -> dict[str, Any]:
        return KeySet([key]).as_dict(private=False)

    return app


@pytest.fixture(scope="module")
async def slash_issuer() -> AsyncIterator[SlashIssuerStandIn]:
    key = RSAKey.generate_key(2048, parameters={"kid": "stand-in-1", "use": "sig"})
    async with serve(_stand_in_app(key), lifespan="off") as url:
        yield SlashIssuerStandIn(url, key)


def _settings(issuer: str) -> OidcSettings:
    return OidcSettings(issuer=issuer, client_id=CLIENT_ID, client_secret="stand-in")


async def test_a_token_naming_the_discovery_documents_issuer_exactly_is_accepted(
    slash_issuer: SlashIssuerStandIn,
) -> None:
    # Configured as an operator would copy it, with or without the slash.
    for configured in (slash_issuer.issuer, slash_issuer.url):
        settings = _settings(configured)
        claims = await validate_id_token(
            MarketProvider(settings), settings, slash_issuer.sign(), nonce="n"
        )
        assert claims["sub"] == "person-1"
        assert claims["iss"] == slash_issuer.issuer


async def test_a_token_naming_any_other_issuer_is_refused(
    slash_issuer: SlashIssuerStandIn,
) -> None:
    settings = _settings(slash_issuer.issuer)
    for other in (slash_issuer.url, "https://sso.other.example.test/", f"{slash_issuer.url}//"):
        with pytest.raises(SignInRefused) as refused:
            await validate_id_token(
                MarketProvider(settings), settings, slash_issuer.sign(iss=other), nonce="n"
            )
        assert refused.value.message == (
            f"the ID token was issued by {other!r}, not by the provider {slash_issuer.issuer!r}"
        )


@pytest.fixture(scope="module")
async def market(stack: Any, oidc_provider: OidcProvider) -> AsyncIterator[Market]:
    async with market_on_postgres(
        stack, oidc=oidc_provider.oidc_settings(redirect_url=CALLBACK)
    ) as market:
        yield market


async def _signed_in_as(market: Market, username: str, password: str) -> dict[str, Any]:
    """The market account a whole sign-in (market, Keycloak's form, callback) lands in."""
    async with httpx.AsyncClient(transport=market.transport, base_url="http://market") as browser:
        start = await browser.get("/api/v1/auth/oidc/login")
        assert start.status_code == 302, start.text
        back = urlsplit(await sign_in_at_provider(start.headers["location"], username, password))
        landed = await browser.get(f"{back.path}?{back.query}")
        assert landed.status_code == 303, landed.text
        me = await browser.get("/api/v1/auth/me")
        assert me.status_code == 200, (landed.headers["location"], me.text)
        account: dict[str, Any] = me.json()
        return account


async def test_the_same_sub_at_another_issuer_is_another_person(
    market: Market, oidc_provider: OidcProvider
) -> None:
    person = await oidc_provider.admin.create_user()
    first = await _signed_in_as(market, person.username, person.password)
    # That account now stands for the same sub at another provider (an
    # installation that moved providers, or a second realm), under another email.
    async with market.sessionmaker() as session:
        await session.execute(
            update(User)
            .where(User.id == uuid.UUID(first["id"]))
            .values(oidc_issuer="https://sso.other.example.test", email="moved@example.test")
        )
        await session.commit()

    second = await _signed_in_as(market, person.username, person.password)

    assert second["id"] != first["id"]
    assert second["email"] == person.email
    async with market.sessionmaker() as session:
        other = await session.scalar(select(User).where(User.id == uuid.UUID(first["id"])))
    assert other is not None
    assert (other.email, other.oidc_issuer) == (
        "moved@example.test",
        "https://sso.other.example.test",
    )
