"""Deleting what is past a retention, once an hour, in every market replica.

Replicas need not agree on who does it: a delete of what another replica
already deleted finds nothing. A failed pass (the database briefly away) is
logged and the next hour tries again.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from barito_market.models.base import utc_now

__all__ = ["INTERVAL_S", "Prune", "prune_hourly"]

log = logging.getLogger(__name__)

INTERVAL_S = 3600.0


class Prune(Protocol):
    """Deletes what is older than ``retention_days`` at ``now``; how many rows went. Commits."""

    async def __call__(
        self, session: AsyncSession, *, retention_days: int, now: datetime
    ) -> int: ...


async def prune_hourly(
    sessionmaker: async_sessionmaker[AsyncSession],
    prune: Prune,
    *,
    retention_days: int,
    what: str,
) -> None:
    """Run until cancelled: ``prune`` now, then every hour; ``what`` names the rows in logs."""
    while True:
        try:
            async with sessionmaker() as session:
                deleted = await prune(session, retention_days=retention_days, now=utc_now())
            if deleted:
                log.info(f"Deleted {what} past the retention.", extra={"ctx": {"deleted": deleted}})
        except Exception:
            log.warning(f"Could not delete expired {what}.", exc_info=True)
        await asyncio.sleep(INTERVAL_S)
