"""Turning a unique-constraint race into the 409 the caller would have got anyway.

The checks before an insert ("is that name free?") answer 409 in the common
case; two requests racing past the check meet the database's unique
constraint instead, and this keeps that from becoming a 500.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from barito_common.errors import ApiError

__all__ = ["flush_or_conflict"]


async def flush_or_conflict(session: AsyncSession, message: str) -> None:
    try:
        await session.flush()
    except IntegrityError as err:
        await session.rollback()
        raise ApiError(409, message) from err
