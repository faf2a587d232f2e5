"""Personal API tokens: created (shown once), listed, revoked."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from barito_common.errors import ApiError
from barito_market import audit_log
from barito_market.accounts.credentials import hash_token, new_token
from barito_market.models import ApiToken, User

__all__ = ["create_token", "list_tokens", "revoke_token"]


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


async def list_tokens(session: AsyncSession, user: User) -> Sequence[ApiToken]:
    """The user's API tokens, oldest first (their hashes only, never the tokens)."""
    rows = await session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at)
    )
    return rows.all()
