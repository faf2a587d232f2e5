"""Accounts: creating users, logging in and out, and personal API tokens.

Exceptions are :class:`barito_common.errors.ApiError` with the status a route
answers: 401 wrong credentials, 403 sign-up disabled, 409 email taken, 429
too many failed logins.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from barito_common.errors import ApiError
from barito_market import audit_log
from barito_market.conflicts import flush_or_conflict
from barito_market.credentials import (
    hash_password,
    hash_token,
    new_token,
    password_needs_rehash,
    verify_password,
)
from barito_market.models import ApiToken, LoginAttempt, Session, User
from barito_market.settings import MarketSettings

__all__ = [
    "LoggedIn",
    "create_token",
    "create_user",
    "end_session",
    "log_in",
    "revoke_token",
]

# Failed logins from one address may be this many times the per-email limit:
# an office behind one NAT should not lock itself out.
_ADDRESS_FACTOR = 5


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    superadmin: bool = False,
    actor: User | None = None,
) -> User:
    """A new account; 409 if the email is taken. The caller commits."""
    email = email.strip().lower()
    if await session.scalar(select(User.id).where(User.email == email)) is not None:
        raise ApiError(409, f"An account with the email {email} already exists.")
    user = User(email=email, password_hash=hash_password(password), is_superadmin=superadmin)
    session.add(user)
    await flush_or_conflict(session, f"An account with the email {email} already exists.")
    audit_log.record(
        session,
        actor or user,
        "user.create",
        target_kind="user",
        target_id=user.id,
        email=email,
        superadmin=superadmin,
    )
    return user


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
        await session.commit()
        raise ApiError(401, "Wrong email or password.")
    if password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    await session.execute(
        delete(LoginAttempt).where(
            or_(LoginAttempt.email == email, LoginAttempt.at < now - timedelta(days=1))
        )
    )
    session_token, csrf_token = new_token("bs"), new_token("csrf")
    expires_at = now + timedelta(seconds=settings.session_lifetime_s)
    session.add(
        Session(
            user_id=user.id,
            token_hash=hash_token(session_token),
            csrf_hash=hash_token(csrf_token),
            expires_at=expires_at,
        )
    )
    await session.execute(delete(Session).where(Session.expires_at < now))
    await session.commit()
    return LoggedIn(user, session_token, csrf_token, expires_at)


async def end_session(session: AsyncSession, session_token: str) -> None:
    await session.execute(delete(Session).where(Session.token_hash == hash_token(session_token)))
    await session.commit()


async def create_token(
    session: AsyncSession, user: User, *, name: str, expires_in_days: int | None
) -> tuple[ApiToken, str]:
    """A personal API token; the plain token is returned once and never stored. Commits."""
    token = new_token("bt")
    expires_at = datetime.now(UTC) + timedelta(days=expires_in_days) if expires_in_days else None
    row = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=hash_token(token),
        prefix=token[:10],
        expires_at=expires_at,
    )
    session.add(row)
    await session.flush()
    audit_log.record(
        session, user, "token.create", target_kind="api_token", target_id=row.id, name=name
    )
    await session.commit()
    return row, token


async def revoke_token(session: AsyncSession, user: User, token_id: uuid.UUID) -> None:
    row = await session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id)
    )
    if row is None:
        raise ApiError(404, "You have no API token with that id.")
    await session.delete(row)
    audit_log.record(
        session, user, "token.revoke", target_kind="api_token", target_id=row.id, name=row.name
    )
    await session.commit()
