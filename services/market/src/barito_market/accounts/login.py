"""Logging in and out: session cookies, with failed logins rate-limited.

Exceptions are :class:`barito_common.errors.ApiError` with the status a route
answers: 401 wrong credentials, 429 too many failed logins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from barito_common.errors import ApiError
from barito_market import audit_log
from barito_market.accounts.credentials import (
    hash_password,
    hash_token,
    new_token,
    password_needs_rehash,
    verify_password,
)
from barito_market.models import LoginAttempt, Session, User
from barito_market.settings import MarketSettings

__all__ = ["LoggedIn", "end_session", "log_in", "open_session"]

# Failed logins from one address may be this many times the per-email limit:
# an office behind one NAT should not lock itself out.
_ADDRESS_FACTOR = 5


@dataclass(frozen=True)
class LoggedIn:
    user: User
    session_token: str
    csrf_token: str
    expires_at: datetime


async def _check_rate(
    session: AsyncSession, settings: MarketSettings, *, email: str, address: str, now: datetime
) -> None:
    since = now - timedelta(seconds=settings.login_window_s)
    by_email = await session.scalar(
        select(func.count()).where(LoginAttempt.email == email, LoginAttempt.at > since)
    )
    by_address = await session.scalar(
        select(func.count()).where(LoginAttempt.address == address, LoginAttempt.at > since)
    )
    if (by_email or 0) >= settings.login_max_failures or (
        by_address or 0
    ) >= settings.login_max_failures * _ADDRESS_FACTOR:
        audit_log.record(
            session,
            email,
            "auth.login_failed",
            target_kind="user",
            target_id="unknown",
            reason="throttled",
        )
        await session.commit()
        raise ApiError(
            429,
            "Too many failed logins; wait a few minutes and try again.",
            headers={"Retry-After": str(math.ceil(settings.login_window_s))},
        )


async def log_in(
    session: AsyncSession,
    settings: MarketSettings,
    *,
    email: str,
    password: str,
    address: str,
) -> LoggedIn:
    """Check the credentials (rate-limited) and open a session. Commits."""
    now = datetime.now(UTC)
    email = email.strip().lower()
    await _check_rate(session, settings, email=email, address=address, now=now)
    user = await session.scalar(select(User).where(User.email == email))
    # verify_password runs even for an unknown email, so timing does not tell
    # whether an account exists.
    valid = verify_password(user.password_hash if user else None, password)
    if user is None or not valid or not user.is_active:
        session.add(LoginAttempt(email=email, address=address, at=now))
        audit_log.record(
            session,
            email,
            "auth.login_failed",
            target_kind="user",
            target_id=user.id if user else "unknown",
            reason="disabled" if user and valid else "wrong email or password",
        )
        await session.commit()
        raise ApiError(401, "Wrong email or password.")
    if password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    await session.execute(
        delete(LoginAttempt).where(
            or_(LoginAttempt.email == email, LoginAttempt.at < now - timedelta(days=1))
        )
    )
    audit_log.record(
        session, user, "auth.login", target_kind="user", target_id=user.id, method="password"
    )
    logged_in = await open_session(session, settings, user, now=now)
    await session.commit()
    return logged_in


async def open_session(
    session: AsyncSession,
    settings: MarketSettings,
    user: User,
    *,
    now: datetime,
    id_token: str | None = None,
) -> LoggedIn:
    """A new session for a user already proven (password or single sign-on). The caller commits.

    ``id_token``: the provider's ID token of a single-sign-on session, kept for its logout.
    """
    session_token, csrf_token = new_token("bs"), new_token("csrf")
    expires_at = now + timedelta(seconds=settings.session_lifetime_s)
    session.add(
        Session(
            user_id=user.id,
            token_hash=hash_token(session_token),
            csrf_hash=hash_token(csrf_token),
            expires_at=expires_at,
            id_token=id_token,
        )
    )
    await session.execute(delete(Session).where(Session.expires_at < now))
    return LoggedIn(user, session_token, csrf_token, expires_at)


async def end_session(session: AsyncSession, session_token: str) -> str | None:
    """End the session; returns its ID token when it was a single-sign-on session."""
    token_hash = hash_token(session_token)
    id_token = await session.scalar(
        select(Session.id_token).where(Session.token_hash == token_hash)
    )
    await session.execute(delete(Session).where(Session.token_hash == token_hash))
    await session.commit()
    return id_token
