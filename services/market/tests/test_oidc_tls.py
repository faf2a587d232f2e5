"""A provider behind a company CA: trusted through BARITO_OIDC__SSL_CAFILE, else refused in words.

The provider here is a real HTTPS server on loopback (uvicorn, a certificate
from a CA made for the test) serving a discovery document: enough to show
which CA the market trusts, with no engine.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request

from barito_cli.stack.certificates import CertificateAuthority
from barito_market.accounts.oidc import ProviderUnavailable
from barito_market.accounts.oidc.provider import OidcProvider
from barito_market.settings import OidcSettings
from barito_testing.serving import serve


def _discovery_app() -> FastAPI:
    app = FastAPI()

    @app.get("/realms/acme/.well-known/openid-configuration")
    async def discovery(request: Request) -> dict[str, Any]:
        issuer = f"{str(request.base_url).rstrip('/')}/realms/acme"
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/auth",
            "token_endpoint": f"{issuer}/token",
            "jwks_uri": f"{issuer}/certs",
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    return app


@pytest.fixture
async def issuer(tmp_path: Path) -> AsyncIterator[tuple[str, CertificateAuthority]]:
    company = CertificateAuthority(tmp_path / "company-ca")
    certificate = company.issue("sso", "127.0.0.1")
    async with serve(
        _discovery_app(),
        ssl_certfile=str(certificate.certfile),
        ssl_keyfile=str(certificate.keyfile),
    ) as url:
        yield f"{url.replace('http://', 'https://')}/realms/acme", company


def _settings(issuer: str, cafile: Path | None) -> OidcSettings:
    return OidcSettings(
        issuer=issuer,
        client_id="barito-market",
        client_secret="not used here",
        ssl_cafile=str(cafile) if cafile else None,
    )


async def test_the_company_ca_named_in_the_settings_is_trusted(
    issuer: tuple[str, CertificateAuthority],
) -> None:
    url, company = issuer
    metadata = await OidcProvider(_settings(url, company.cafile)).metadata()
    assert metadata.token_endpoint == f"{url}/token"


async def test_a_certificate_of_another_ca_is_refused_naming_where_trust_was_looked_for(
    issuer: tuple[str, CertificateAuthority], tmp_path: Path
) -> None:
    url, _ = issuer
    stranger = CertificateAuthority(tmp_path / "another-ca")

    with pytest.raises(ProviderUnavailable) as system_store:
        await OidcProvider(_settings(url, None)).metadata()
    with pytest.raises(ProviderUnavailable) as other_ca:
        await OidcProvider(_settings(url, stranger.cafile)).metadata()

    assert system_store.value.message == (
        "the identity provider's certificate is not signed by a CA in the system's trust "
        "store (BARITO_OIDC__SSL_CAFILE names the CA that signed it)"
    )
    assert f"not signed by a CA in {stranger.cafile} " in other_ca.value.message
