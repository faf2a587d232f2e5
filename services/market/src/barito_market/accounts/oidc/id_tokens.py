"""Checking an ID token: the provider's signature, then what it claims.

The order is the order of OpenID Connect Core §3.1.3.7: signature, issuer,
audience (and authorized party), times, nonce. Each refusal names the first
thing that is wrong, in words for the person signing in.

Example::

    claims = await validate_id_token(provider, settings.oidc, id_token, nonce=login.nonce)
"""

from __future__ import annotations

import hmac
import json
import time
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError

from barito_market.accounts.oidc.provider import OidcProvider
from barito_market.accounts.oidc.refusals import SignInRefused
from barito_market.settings import OidcSettings

__all__ = ["check_claims", "validate_id_token"]

SIGNATURE_REFUSED = "the ID token's signature does not verify"


async def validate_id_token(
    provider: OidcProvider,
    settings: OidcSettings,
    id_token: str,
    *,
    nonce: str,
    now: float | None = None,
) -> dict[str, Any]:
    """The token's claims, once its signature and claims hold; else :class:`SignInRefused`.

    ``now`` (seconds since the epoch) is the clock the times are checked against.
    """
    try:
        signed = jws.extract_compact(id_token.encode())
        header = signed.headers()
    except (JoseError, ValueError, TypeError) as err:
        raise SignInRefused("the ID token is not a signed token") from err
    metadata = await provider.metadata()
    algorithm = header.get("alg")
    if algorithm not in metadata.algorithms:
        raise SignInRefused(
            f"the ID token is signed with {algorithm!r}, which the provider does not announce "
            f"or the market does not accept"
        )
    kid = header.get("kid")
    key = await provider.signing_key(kid if isinstance(kid, str) else None)
    if key is None:
        raise SignInRefused(f"{SIGNATURE_REFUSED} (no key {kid!r} at the provider)")
    try:
        valid = jws.validate_compact(signed, key, algorithms=[algorithm])
    except JoseError:
        valid = False
    if not valid:
        raise SignInRefused(SIGNATURE_REFUSED)
    try:
        claims = json.loads(signed.payload)
    except ValueError as err:
        raise SignInRefused("the ID token's claims are not JSON") from err
    if not isinstance(claims, dict):
        raise SignInRefused("the ID token's claims are not an object")
    check_claims(
        claims,
        issuer=metadata.issuer,
        client_id=settings.client_id,
        nonce=nonce,
        clock_skew_s=settings.clock_skew_s,
        now=time.time() if now is None else now,
    )
    return claims


def check_claims(
    claims: dict[str, Any],
    *,
    issuer: str,
    client_id: str,
    nonce: str,
    clock_skew_s: float,
    now: float,
) -> None:
    """Refuse (:class:`SignInRefused`) unless the claims are for this client, now, this sign-in."""
    if claims.get("iss") != issuer:
        raise SignInRefused(
            f"the ID token was issued by {claims.get('iss')!r}, not by the provider {issuer!r}"
        )
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience
    if not isinstance(audiences, list) or client_id not in audiences:
        raise SignInRefused(
            f"the ID token was issued for another client (audience {_names(audiences)})"
        )
    authorized_party = claims.get("azp")
    if (len(audiences) > 1 or authorized_party is not None) and authorized_party != client_id:
        raise SignInRefused(
            f"the ID token was issued for another client (authorized party {authorized_party!r})"
        )
    if now > _time(claims, "exp") + clock_skew_s:
        raise SignInRefused("the ID token has expired")
    if _time(claims, "iat") > now + clock_skew_s:
        raise SignInRefused("the ID token was issued in the future: check the clocks")
    if "nbf" in claims and _time(claims, "nbf") > now + clock_skew_s:
        raise SignInRefused("the ID token is not valid yet: check the clocks")
    sent = claims.get("nonce")
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), nonce.encode()):
        raise SignInRefused("the nonce does not match this sign-in")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise SignInRefused("the ID token names no subject (sub)")


def _time(claims: dict[str, Any], name: str) -> float:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SignInRefused(f"the ID token's {name} is missing or not a time")
    return float(value)


def _names(audiences: object) -> str:
    if isinstance(audiences, list):
        return ", ".join(str(a) for a in audiences) or "none"
    return repr(audiences)
