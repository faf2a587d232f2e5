"""The OpenID provider as the market knows it: its discovery document and signing keys.

Both are fetched when first needed, not at start, so the market starts and
serves password logins while the provider is down; a failed fetch is not
remembered, and the next sign-in tries again. The discovery document is then
kept for the process's life. The signing keys (JWKS) are kept too, and
fetched again when an ID token names a key id (``kid``) they lack: that is
how a provider's key rotation reaches us. Anyone can forge a token with a
made-up ``kid``, so such a re-fetch happens at most once per
``jwks_refetch_interval_s``; in between, an unknown key is simply unknown.

Example::

    provider = OidcProvider(settings.oidc)
    metadata = await provider.metadata()          # ProviderUnavailable if it is down
    key = await provider.signing_key("kid-1")     # None: no such key, even after a re-fetch
"""

from __future__ import annotations

import asyncio
import logging
import math
import ssl
import time
from dataclasses import dataclass
from typing import Any

import httpx2
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc.errors import JoseError
from joserfc.jwk import Key, KeySet

from barito_market.accounts.oidc.refusals import ProviderUnavailable
from barito_market.settings import OidcSettings

__all__ = ["ASYMMETRIC_ALGORITHMS", "OidcProvider", "ProviderMetadata"]

log = logging.getLogger(__name__)

# Signatures only the provider's private key can make. "none" and the HMAC
# family (HS*) are never accepted: an HS256 token is signed with the client
# secret, which the market holds too, so it proves nothing about the provider.
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)


@dataclass(frozen=True)
class ProviderMetadata:
    """What the market uses of the provider's ``/.well-known/openid-configuration``."""

    # As the document spells it: what every ID token's ``iss`` must be.
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str | None
    # The provider's announced ID token algorithms that are asymmetric.
    algorithms: frozenset[str]
    # How the client secret goes to the token endpoint: HTTP Basic, the
    # specification's default, unless the provider takes it in the form only.
    token_auth_method: str = "client_secret_basic"

    @classmethod
    def from_document(cls, document: dict[str, Any], *, issuer: str) -> ProviderMetadata:
        # OpenID Connect Discovery §4.3: the document must name the issuer we
        # asked, or tokens could be checked against another provider's keys.
        if str(document.get("issuer", "")).rstrip("/") != issuer:
            raise ProviderUnavailable(
                f"the identity provider's discovery document names the issuer "
                f"{document.get('issuer')!r}, not {issuer!r}"
            )
        missing = [
            name
            for name in ("authorization_endpoint", "token_endpoint", "jwks_uri")
            if not isinstance(document.get(name), str)
        ]
        if missing:
            raise ProviderUnavailable(
                f"the identity provider's discovery document lacks {', '.join(missing)}"
            )
        # The field is required; RS256 is what the specification says to assume.
        announced = document.get("id_token_signing_alg_values_supported") or ["RS256"]
        algorithms = frozenset(a for a in announced if a in ASYMMETRIC_ALGORITHMS)
        if not algorithms:
            raise ProviderUnavailable(
                "the identity provider announces no asymmetric ID token signature algorithm"
            )
        end_session = document.get("end_session_endpoint")
        auth_methods = document.get("token_endpoint_auth_methods_supported") or []
        post_only = (
            "client_secret_post" in auth_methods and "client_secret_basic" not in auth_methods
        )
        return cls(
            # The document's own spelling, slash and all: an ID token's iss
            # must be exactly it (Core §3.1.3.7), while the configured issuer
            # has lost any trailing slash (Auth0's issuers end in one).
            issuer=str(document["issuer"]),
            authorization_endpoint=document["authorization_endpoint"],
            token_endpoint=document["token_endpoint"],
            jwks_uri=document["jwks_uri"],
            end_session_endpoint=end_session if isinstance(end_session, str) else None,
            algorithms=algorithms,
            token_auth_method="client_secret_post" if post_only else "client_secret_basic",
        )


class OidcProvider:
    """One installation's provider: cached metadata and keys, and OAuth clients for it."""

    def __init__(
        self,
        settings: OidcSettings,
        *,
        timeout_s: float = 10.0,
        jwks_refetch_interval_s: float = 30.0,
    ) -> None:
        self.settings = settings
        self._timeout_s = timeout_s
        self._refetch_interval_s = jwks_refetch_interval_s
        # Built once: loading a trust store costs tens of milliseconds of CPU.
        self._verify: ssl.SSLContext | bool = (
            ssl.create_default_context(cafile=settings.ssl_cafile) if settings.ssl_cafile else True
        )
        self._metadata: ProviderMetadata | None = None
        self._keys: KeySet | None = None
        self._last_refetch = -math.inf
        # One fetch at a time: a burst of sign-ins after a start makes one request.
        self._lock = asyncio.Lock()

    @property
    def known_metadata(self) -> ProviderMetadata | None:
        """The metadata if already fetched; never asks the provider."""
        return self._metadata

    async def metadata(self) -> ProviderMetadata:
        if self._metadata is None:
            async with self._lock:
                if self._metadata is None:
                    document = await self._get_json(
                        f"{self.settings.issuer}/.well-known/openid-configuration"
                    )
                    self._metadata = ProviderMetadata.from_document(
                        document, issuer=self.settings.issuer
                    )
        return self._metadata

    async def signing_key(self, kid: str | None) -> Key | None:
        """The provider's signature key ``kid``, re-fetching the key set once if it is unknown."""
        metadata = await self.metadata()
        async with self._lock:
            if self._keys is None:
                self._keys = await self._fetch_keys(metadata.jwks_uri)
            key = _find_key(self._keys, kid)
            if key is None and time.monotonic() - self._last_refetch >= self._refetch_interval_s:
                self._last_refetch = time.monotonic()
                log.info(
                    "An ID token names a key the market does not know; fetching the "
                    "provider's keys again.",
                    extra={"ctx": {"kid": kid}},
                )
                self._keys = await self._fetch_keys(metadata.jwks_uri)
                key = _find_key(self._keys, kid)
            return key

    def oauth_client(self, metadata: ProviderMetadata, redirect_url: str) -> AsyncOAuth2Client:
        """An authorization-code client with PKCE (S256); use it as an async context manager."""
        secret = self.settings.client_secret
        return AsyncOAuth2Client(
            client_id=self.settings.client_id,
            client_secret=secret.get_secret_value() if secret else None,
            token_endpoint_auth_method=metadata.token_auth_method,
            scope=self.settings.scopes,
            redirect_uri=redirect_url,
            code_challenge_method="S256",
            timeout=self._timeout_s,
            verify=self._verify,
        )

    async def _fetch_keys(self, jwks_uri: str) -> KeySet:
        document = await self._get_json(jwks_uri)
        try:
            return KeySet.import_key_set(document)  # type: ignore[arg-type]
        except (JoseError, KeyError, TypeError, ValueError) as err:
            raise ProviderUnavailable(
                "the identity provider's signing keys are unreadable"
            ) from err

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            async with httpx2.AsyncClient(timeout=self._timeout_s, verify=self._verify) as client:
                response = await client.get(url)
            response.raise_for_status()
            document = response.json()
        except httpx2.ConnectError as err:
            if _certificate_refused(err):
                raise ProviderUnavailable(self._untrusted_message()) from err
            raise self._unanswered(url, err) from err
        except (httpx2.HTTPError, ValueError) as err:
            raise self._unanswered(url, err) from err
        if not isinstance(document, dict):
            raise ProviderUnavailable(f"the identity provider's answer at {url} is not an object")
        return document

    def _untrusted_message(self) -> str:
        trusted = self.settings.ssl_cafile or "the system's trust store"
        return (
            f"the identity provider's certificate is not signed by a CA in {trusted} "
            "(BARITO_OIDC__SSL_CAFILE names the CA that signed it)"
        )

    def _unanswered(self, url: str, err: Exception) -> ProviderUnavailable:
        log.warning(
            "The identity provider did not answer.",
            extra={"ctx": {"url": url, "error": repr(err)}},
        )
        return ProviderUnavailable()


def _certificate_refused(err: BaseException) -> bool:
    cause: BaseException | None = err
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def _find_key(keys: KeySet, kid: str | None) -> Key | None:
    signing = [key for key in keys if key.get("use") in (None, "sig")]
    if kid is None:
        # Without a kid a token can only be matched to a provider's only key.
        return signing[0] if len(signing) == 1 else None
    return next((key for key in signing if key.kid == kid), None)
