"""Who is calling: an API token or a session cookie (plus the CSRF header), or 401.

:func:`authenticate` reads the request itself, to answer each failure in
words; routes get its answer as ``CurrentUserDep``
(:mod:`barito_market.dependencies`), and a superadmin-only route as
``SuperAdminDep``, which adds :func:`require_superadmin`. An API token's
scope (read-only, limited to a group) is entered here for the whole request:
see :mod:`barito_market.accounts.token_scope`; so are the group slugs the
identity provider's role mapping keeps (:mod:`.oidc.reserved_groups`).
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from barito_common.errors import ApiError
from barito_market.accounts.credentials import hash_token
from barito_market.accounts.oidc.reserved_groups import enter_reserved_slugs
from barito_market.accounts.token_scope import (
    UNSCOPED,
    TokenScope,
    enter_scope,
    refuse_if_group_limited,
)
from barito_market.models import ApiToken, AppGroup, Session, User

__all__ = [
    "CSRF_COOKIE",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "authenticate",
    "require_superadmin",
]

SESSION_COOKIE = "barito_session"
CSRF_COOKIE = "barito_csrf"
CSRF_HEADER = "X-CSRF-Token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _unauthenticated(message: str) -> ApiError:
    return ApiError(401, message, headers={"WWW-Authenticate": "Bearer"})


async def _token(
    session: AsyncSession, token: str, now: datetime
) -> tuple[User, TokenScope] | None:
    found = (
        await session.execute(
            select(ApiToken, AppGroup.slug)
            .options(selectinload(ApiToken.user))
            .outerjoin(AppGroup, AppGroup.id == ApiToken.group_id)
            .where(ApiToken.token_hash == hash_token(token))
        )
    ).first()
    if found is None:
        return None
    row, group_slug = found
    if row.expires_at is not None and row.expires_at <= now:
        return None
    return row.user, TokenScope(row.read_only, row.group_id, group_slug, row.expires_at)


async def _user_from_session(
    request: Request, session: AsyncSession, cookie: str, now: datetime
) -> User | None:
    row = await session.scalar(
        select(Session)
        .options(selectinload(Session.user))
        .where(Session.token_hash == hash_token(cookie))
    )
    if row is None or row.expires_at <= now:
        return None
    # A cookie rides along on any cross-site form post; a header that only our
    # own pages can read and send proves the request came from them.
    if request.method not in _SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent or not hmac.compare_digest(hash_token(sent), row.csrf_hash):
            raise ApiError(
                403,
                f"Missing or wrong {CSRF_HEADER} header: send the csrf_token from the login "
                f"answer (also in the {CSRF_COOKIE} cookie) with every change.",
                code="csrf",
            )
    return row.user


async def authenticate(request: Request, session: AsyncSession) -> User:
    """The caller, authenticated by API token or by session cookie."""
    now = datetime.now(UTC)
    authorization = request.headers.get("Authorization")
    user: User | None
    scope = UNSCOPED
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthenticated("Authorization must be 'Bearer <api token>'.")
        found = await _token(session, token.strip(), now)
        if found is None:
            raise _unauthenticated("This API token is unknown, revoked or expired.")
        user, scope = found
    elif cookie := request.cookies.get(SESSION_COOKIE):
        user = await _user_from_session(request, session, cookie, now)
        if user is None:
            raise _unauthenticated("Your session has ended; log in again.")
    else:
        raise _unauthenticated("Log in, or send an API token as 'Authorization: Bearer <token>'.")
    if not user.is_active:
        raise _unauthenticated("This account is disabled.")
    request.state.user = user
    enter_scope(request, scope)
    enter_reserved_slugs(request.app.state.settings.oidc)
    return user


def require_superadmin(user: User) -> User:
    """The user if a superadmin (with a token that is not limited to a group); 403 otherwise."""
    if not user.is_superadmin:
        raise ApiError(403, "Only a superadmin may do this.")
    refuse_if_group_limited()
    return user
