"""The authorization code flow with PKCE: sending the browser out, taking it back in.

:func:`start_login` keeps what the return must match (the state, as a hash;
the nonce; the PKCE verifier; where to land) in an ``OidcLogin`` row, in the
database so any market replica can finish it. :func:`finish_login` deletes
that row before anything else, in its own commit: a state is accepted once,
so a replayed callback URL (from a browser history, a proxy log) opens
nothing, whatever happens to the first use. The row also keeps the hash of
a cookie of the browser that began the sign-in (``browser``): a callback URL
carried to another browser — someone's own sign-in pushed onto a victim, so
that the victim works in the attacker's account (login CSRF) — is refused
there.

Example::

    url = await start_login(session, provider, next_path="/apps", redirect_url=callback,
                            browser=cookie)
    ...
    signed_in = await finish_login(session, provider, settings, callback=params,
                                   redirect_url=callback, browser=cookie)
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx2
from authlib.integrations.base_client import OAuthError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from barito_market import audit_log
from barito_market.accounts.credentials import hash_token
from barito_market.accounts.login import LoggedIn, open_session
from barito_market.accounts.oidc.id_tokens import validate_id_token
from barito_market.accounts.oidc.identities import user_for_claims
from barito_market.accounts.oidc.provider import OidcProvider
from barito_market.accounts.oidc.refusals import ProviderUnavailable, SignInRefused
from barito_market.accounts.oidc.roles_from_claims import apply_claims
from barito_market.models import OidcLogin
from barito_market.settings import MarketSettings

__all__ = [
    "OTHER_BROWSER",
    "STATE_REFUSED",
    "Callback",
    "SignedIn",
    "finish_login",
    "record_refusal",
    "safe_next_path",
    "start_login",
]

# How much of the provider's own words about a refusal is passed on: enough
# for any real explanation, not a way to write pages into the audit log.
_PROVIDER_WORDS = 300

STATE_REFUSED = "the sign-in link was already used or has expired — start again"
OTHER_BROWSER = (
    "this sign-in was begun in another browser, or this browser did not keep the market's "
    "cookie — start again here"
)


@dataclass(frozen=True)
class Callback:
    """The query of the provider's redirect back to the market."""

    code: str | None = None
    state: str | None = None
    error: str | None = None
    error_description: str | None = None


@dataclass(frozen=True)
class SignedIn:
    logged_in: LoggedIn
    next_path: str


def safe_next_path(value: str | None) -> str:
    """``value`` if it is a path of the market's own, else ``/``.

    ``//evil.example`` and ``/\\evil.example`` are other sites to a browser,
    so only a single leading slash followed by no scheme or host will do.
    """
    if not value or len(value) > 500 or not value.startswith("/"):
        return "/"
    if value.startswith("//") or any(c in value for c in "\\\r\n\t"):
        return "/"
    parts = urlsplit(value)
    return "/" if parts.scheme or parts.netloc else value


async def start_login(
    session: AsyncSession,
    provider: OidcProvider,
    *,
    next_path: str | None,
    redirect_url: str,
    browser: str,
    now: datetime | None = None,
) -> str:
    """The provider's authorization URL for a new sign-in. Commits its ``OidcLogin``.

    ``browser`` is the value of the cookie that ties the sign-in to the
    browser beginning it (the route sets it).
    """
    metadata = await provider.metadata()
    now = now or datetime.now(UTC)
    state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
    async with provider.oauth_client(metadata, redirect_url) as client:
        url, _ = client.create_authorization_url(
            metadata.authorization_endpoint, state=state, code_verifier=verifier, nonce=nonce
        )
    await session.execute(delete(OidcLogin).where(OidcLogin.expires_at < now))
    session.add(
        OidcLogin(
            state_hash=hash_token(state),
            browser_hash=hash_token(browser),
            nonce=nonce,
            code_verifier=verifier,
            next_path=safe_next_path(next_path),
            expires_at=now + timedelta(seconds=provider.settings.login_timeout_s),
        )
    )
    await session.commit()
    return str(url)


async def finish_login(
    session: AsyncSession,
    provider: OidcProvider,
    settings: MarketSettings,
    *,
    callback: Callback,
    redirect_url: str,
    browser: str | None,
    now: datetime | None = None,
) -> SignedIn:
    """Check the provider's answer and open a market session; else :class:`SignInRefused`.

    Commits: the used ``OidcLogin`` first, then the user, roles and session.
    """
    now = now or datetime.now(UTC)
    login = await _take_login(session, callback.state, now)
    # The state and the browser first: an error that answers no sign-in begun
    # here, in this browser, is anyone's text, not the provider's, and must
    # reach neither the login page nor the audit log.
    if login is None:
        raise SignInRefused(STATE_REFUSED)
    if browser is None or not hmac.compare_digest(hash_token(browser), login.browser_hash):
        raise SignInRefused(OTHER_BROWSER)
    if callback.error:
        said = callback.error_description or callback.error
        if len(said) > _PROVIDER_WORDS:
            said = f"{said[:_PROVIDER_WORDS]}…"
        raise SignInRefused(f"the provider refused: {said}")
    if not callback.code:
        raise SignInRefused("the provider sent no authorization code")
    id_token = await _exchange_code(provider, callback.code, login.code_verifier, redirect_url)
    claims = await validate_id_token(
        provider, settings.oidc, id_token, nonce=login.nonce, now=now.timestamp()
    )
    user, created = await user_for_claims(session, issuer=settings.oidc.issuer, claims=claims)
    await apply_claims(session, settings.oidc, user, claims)
    logged_in = await open_session(session, settings, user, now=now, id_token=id_token)
    audit_log.record(
        session,
        user,
        "auth.login",
        target_kind="user",
        target_id=user.id,
        method="oidc",
        first_sign_in=created,
    )
    await session.commit()
    return SignedIn(logged_in, login.next_path)


async def record_refusal(session: AsyncSession, refused: SignInRefused) -> None:
    """Audit a refused sign-in, apart from whatever the refused attempt had begun."""
    await session.rollback()
    audit_log.record(
        session,
        refused.email,
        "auth.login_failed",
        target_kind="user",
        # An id, never the email: the email is the actor already, and may be
        # longer than an id's column.
        target_id=refused.user_id or "unknown",
        method="oidc",
        reason=refused.message,
    )
    await session.commit()


@dataclass(frozen=True)
class _TakenLogin:
    nonce: str
    code_verifier: str
    next_path: str
    expires_at: datetime
    browser_hash: str


async def _take_login(
    session: AsyncSession, state: str | None, now: datetime
) -> _TakenLogin | None:
    """The sign-in ``state`` began, deleted at once; None if unknown, used or expired."""
    if not state:
        return None
    state_hash = hash_token(state)
    login = await session.scalar(select(OidcLogin).where(OidcLogin.state_hash == state_hash))
    if login is None:
        return None
    taken = _TakenLogin(
        login.nonce, login.code_verifier, login.next_path, login.expires_at, login.browser_hash
    )
    # Only the request whose delete removed the row may go on: two callbacks
    # racing with one state both find it, only one deletes it.
    deleted = await session.execute(delete(OidcLogin).where(OidcLogin.id == login.id))
    await session.commit()
    if getattr(deleted, "rowcount", 0) != 1 or taken.expires_at <= now:
        return None
    return taken


async def _exchange_code(
    provider: OidcProvider, code: str, code_verifier: str, redirect_url: str
) -> str:
    metadata = await provider.metadata()
    try:
        async with provider.oauth_client(metadata, redirect_url) as client:
            token: dict[str, Any] = await client.fetch_token(
                metadata.token_endpoint,
                grant_type="authorization_code",
                code=code,
                code_verifier=code_verifier,
            )
    except OAuthError as err:
        raise SignInRefused(f"the provider refused: {err.description or err.error}") from err
    except (httpx2.HTTPError, ValueError) as err:
        raise ProviderUnavailable() from err
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise SignInRefused("the provider sent no ID token (is the openid scope allowed?)")
    return id_token
