"""Deleting audit entries past the installation's retention (run hourly by
``retention.prune_hourly``); a delete of what is already gone costs one index
range scan on ``at``."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from barito_market.models import AuditEntry

__all__ = ["delete_expired_entries"]


async def delete_expired_entries(
    session: AsyncSession, *, retention_days: int, now: datetime
) -> int:
    """Delete the entries older than ``retention_days``; how many went. Commits."""
    result = await session.execute(
        delete(AuditEntry).where(AuditEntry.at < now - timedelta(days=retention_days))
    )
    await session.commit()
    return int(getattr(result, "rowcount", 0) or 0)
