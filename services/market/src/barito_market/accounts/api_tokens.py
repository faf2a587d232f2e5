"""Personal API tokens: created (shown once), listed, revoked; each may be scoped.

A token may be read-only and may be limited to one group of its user's
(:mod:`barito_market.accounts.token_scope` says what that allows). A token
limited to a group never makes or sees a token wider than itself: it creates
tokens of its own group only, and lists and revokes only those.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from barito_common.errors import ApiError
from barito_market import audit_log
from barito_market.accounts.access import readable_group
from barito_market.accounts.credentials import hash_token, new_token
from barito_market.accounts.token_scope import current_scope
from barito_market.models import ApiToken, AppGroup, User
from barito_market.schemas.accounts import TokenPublic

__all__ = ["create_token", "list_tokens", "revoke_token", "token_public"]


def token_public(row: ApiToken, group_slug: str | None) -> TokenPublic:
    return TokenPublic(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        created_at=row.created_at,
        expires_at=row.expires_at,
        read_only=row.read_only,
        group=group_slug,
    )


async def create_token(
    session: AsyncSession,
    user: User,
    *,
    name: str,
    expires_in_days: int | None,
    read_only: bool = False,
    group_slug: str | None = None,
) -> tuple[ApiToken, str]:
    """A personal API token; the plain token is returned once and never stored. Commits.

    ``group_slug`` must name a group the caller sees (404 otherwise).
    """
    group = await readable_group(session, user, group_slug) if group_slug else None
    expires_at = datetime.now(UTC) + timedelta(days=expires_in_days) if expires_in_days else None
    _refuse_outliving_the_caller(expires_at)
    token = new_token("bt")
    row = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=hash_token(token),
        prefix=token[:10],
        expires_at=expires_at,
        read_only=read_only,
        group_id=group.id if group else None,
    )
    session.add(row)
    await session.flush()
    audit_log.record(
        session,
        user,
        "token.create",
        target_kind="api_token",
        target_id=row.id,
        group_id=row.group_id,
        name=name,
        read_only=read_only,
        group=group_slug,
    )
    await session.commit()
    return row, token


def _refuse_outliving_the_caller(expires_at: datetime | None) -> None:
    """403 when the calling API token expires before the token asked for would."""
    caller_expires = current_scope().expires_at
    if caller_expires is None or (expires_at is not None and expires_at <= caller_expires):
        return
    days = (caller_expires - datetime.now(UTC)).days
    instead = f"ask for expires_in_days of at most {days}, or" if days >= 1 else "instead,"
    raise ApiError(
        403,
        f"This API token expires at {caller_expires.isoformat(timespec='seconds')} and a token "
        f"it makes may not outlive it: {instead} make the token while logged in.",
        code="outlives_token",
    )


def _yours(user: User) -> list[ColumnElement[bool]]:
    """Which tokens the caller may see: theirs, and of its group for a limited token."""
    conditions: list[ColumnElement[bool]] = [ApiToken.user_id == user.id]
    if (limit := current_scope().group_id) is not None:
        conditions.append(ApiToken.group_id == limit)
    return conditions


async def revoke_token(session: AsyncSession, user: User, token_id: uuid.UUID) -> None:
    row = await session.scalar(select(ApiToken).where(ApiToken.id == token_id, *_yours(user)))
    if row is None:
        raise ApiError(404, "You have no API token with that id.")
    await session.delete(row)
    audit_log.record(
        session,
        user,
        "token.revoke",
        target_kind="api_token",
        target_id=row.id,
        group_id=row.group_id,
        name=row.name,
    )
    await session.commit()


async def list_tokens(session: AsyncSession, user: User) -> list[TokenPublic]:
    """The user's API tokens, oldest first (never the tokens themselves)."""
    rows = await session.execute(
        select(ApiToken, AppGroup.slug)
        .outerjoin(AppGroup, AppGroup.id == ApiToken.group_id)
        .where(*_yours(user))
        .order_by(ApiToken.created_at)
    )
    return [token_public(row, slug) for row, slug in rows.all()]
