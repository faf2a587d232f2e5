"""Who is calling, and what they may see.

* :data:`CurrentUser` — the caller, from ``Authorization: Bearer <api token>``
  or from the session cookie (plus the CSRF header on unsafe methods);
  401 otherwise.
* :func:`readable_group` / :func:`readable_app` — a group or app the caller
  belongs to (a superadmin sees all); 404 otherwise, never 403, so the names
  of other tenants do not leak (architecture §5).
* :func:`require_role` — the caller sees the group but lacks the role: 403.

Example::

    @router.delete("/apps/{slug}")
    async def delete_app(slug: str, user: CurrentUser, session: DbSession) -> None:
        app = await readable_app(session, user, slug)
        await require_role(session, user, app.group_id, Role.ADMIN)
"""

from __future__ import annotations

import hmac
import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from barito_common.errors import ApiError
from barito_common.schemas import AppStatus
from barito_market.credentials import hash_token
from barito_market.db import DbSession
from barito_market.models import ApiToken, App, AppGroup, Membership, Role, Session, User

__all__ = [
    "CSRF_COOKIE",
    "CSRF_HEADER",
    "ROLE_RANK",
    "SESSION_COOKIE",
    "CurrentUser",
    "SuperAdmin",
    "group_role",
    "readable_app",
    "readable_group",
    "require_role",
    "require_superadmin",
    "require_user",
]

SESSION_COOKIE = "barito_session"
CSRF_COOKIE = "barito_csrf"
CSRF_HEADER = "X-CSRF-Token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

ROLE_RANK = {Role.MEMBER: 1, Role.ADMIN: 2, Role.OWNER: 3}

# Declared only so the OpenAPI document names both ways in (either one will
# do); require_user reads the request itself, to answer each failure in words.
_API_TOKEN = HTTPBearer(
    scheme_name="ApiToken",
    description="A personal API token (POST /api/v1/auth/tokens).",
    auto_error=False,
)
_SESSION = APIKeyCookie(
    name=SESSION_COOKIE,
    scheme_name="Session",
    description=f"The session cookie set by POST /api/v1/auth/login; changes also need "
    f"the {CSRF_HEADER} header.",
    auto_error=False,
)


def _unauthenticated(message: str) -> ApiError:
    return ApiError(401, message, headers={"WWW-Authenticate": "Bearer"})


async def _user_from_token(session: AsyncSession, token: str, now: datetime) -> User | None:
    row = await session.scalar(
        select(ApiToken)
        .options(selectinload(ApiToken.user))
        .where(ApiToken.token_hash == hash_token(token))
    )
    if row is None or (row.expires_at is not None and row.expires_at <= now):
        return None
    return row.user


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


async def require_user(
    request: Request,
    session: DbSession,
    _token: Annotated[HTTPAuthorizationCredentials | None, Depends(_API_TOKEN)],
    _cookie: Annotated[str | None, Depends(_SESSION)],
) -> User:
    """The caller, authenticated by API token or by session cookie."""
    now = datetime.now(UTC)
    authorization = request.headers.get("Authorization")
    user: User | None
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthenticated("Authorization must be 'Bearer <api token>'.")
        user = await _user_from_token(session, token.strip(), now)
        if user is None:
            raise _unauthenticated("This API token is unknown, revoked or expired.")
    elif cookie := request.cookies.get(SESSION_COOKIE):
        user = await _user_from_session(request, session, cookie, now)
        if user is None:
            raise _unauthenticated("Your session has ended; log in again.")
    else:
        raise _unauthenticated("Log in, or send an API token as 'Authorization: Bearer <token>'.")
    if not user.is_active:
        raise _unauthenticated("This account is disabled.")
    request.state.user = user
    return user


CurrentUser = Annotated[User, Depends(require_user)]


async def require_superadmin(user: CurrentUser) -> User:
    if not user.is_superadmin:
        raise ApiError(403, "Only a superadmin may do this.")
    return user


SuperAdmin = Annotated[User, Depends(require_superadmin)]


async def group_role(session: AsyncSession, user: User, group_id: uuid.UUID) -> Role | None:
    """The caller's role in the group; a superadmin counts as owner everywhere."""
    if user.is_superadmin:
        return Role.OWNER
    role: Role | None = await session.scalar(
        select(Membership.role).where(
            Membership.group_id == group_id, Membership.user_id == user.id
        )
    )
    return role


def _not_found(kind: str, name: str) -> ApiError:
    return ApiError(404, f"No {kind} named '{name}' that you can see.")


async def readable_group(session: AsyncSession, user: User, group_slug: str) -> AppGroup:
    """The group if the caller belongs to it (or is a superadmin); 404 otherwise."""
    group = await session.scalar(select(AppGroup).where(AppGroup.slug == group_slug))
    if group is None or await group_role(session, user, group.id) is None:
        raise _not_found("app group", group_slug)
    return group


async def readable_app(session: AsyncSession, user: User, slug: str) -> App:
    """The app if the caller belongs to its group (or is a superadmin); 404 otherwise."""
    app = await session.scalar(
        select(App)
        .options(selectinload(App.group))
        .where(App.slug == slug, App.status != AppStatus.DELETED)
    )
    if app is None or await group_role(session, user, app.group_id) is None:
        raise _not_found("app", slug)
    return app


async def require_role(
    session: AsyncSession, user: User, group_id: uuid.UUID, at_least: Role
) -> Role:
    """403 unless the caller's role in the group is ``at_least`` or higher."""
    role = await group_role(session, user, group_id)
    if role is None or ROLE_RANK[role] < ROLE_RANK[at_least]:
        raise ApiError(403, f"This needs the {at_least.value} role (or higher) in the app group.")
    return role
