"""Deleting audit entries past the installation's retention, once an hour.

Every market replica runs the loop; a delete of what is already gone costs
one index range scan on ``at``, so replicas need not agree on who does it.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from barito_market.models import AuditEntry
from barito_market.models.base import utc_now

__all__ = ["delete_expired_entries", "keep_audit_within_retention"]

log = logging.getLogger(__name__)

_INTERVAL_S = 3600.0


async def delete_expired_entries(
    session: AsyncSession, *, retention_days: int, now: datetime
) -> int:
    """Delete the entries older than ``retention_days``; how many went. Commits."""
    result = await session.execute(
        delete(AuditEntry).where(AuditEntry.at < now - timedelta(days=retention_days))
    )
    await session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


async def keep_audit_within_retention(
    sessionmaker: async_sessionmaker[AsyncSession], *, retention_days: int
) -> None:
    """Run until cancelled: delete expired entries now, then every hour."""
    while True:
        try:
            async with sessionmaker() as session:
                deleted = await delete_expired_entries(
                    session, retention_days=retention_days, now=utc_now()
                )
            if deleted:
                log.info(
                    "Deleted audit entries past the retention.",
                    extra={"ctx": {"deleted": deleted, "retention_days": retention_days}},
                )
        except Exception:
            # The database may be briefly away; the next hour tries again.
            log.warning("Could not delete expired audit entries.", exc_info=True)
        await asyncio.sleep(_INTERVAL_S)
