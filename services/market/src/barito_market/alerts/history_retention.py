"""Deleting alert history past the installation's retention, once an hour.

Every market replica runs the loop, as audit retention does: a delete of
what another replica already deleted finds nothing. Rows go in batches, each
its own transaction, so a first run over a large backlog (a busy rule
re-notifying every minute writes ~1,440 rows a day) holds no long lock and
writes no huge transaction while the history consumer inserts beside it.

A rule's latest firing or resolution is kept however old: it is the rule's
status (``history.rule_statuses``), and a rule firing for longer than the
retention without re-notifying must not read "ok". That is one row per rule.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from barito_common.alerts import AlertTransition
from barito_market.models import AlertHistory
from barito_market.models.base import utc_now

__all__ = ["delete_expired_history", "keep_history_within_retention"]

log = logging.getLogger(__name__)

_INTERVAL_S = 3600.0
BATCH = 5000


async def delete_expired_history(
    session: AsyncSession, *, retention_days: int, now: datetime, batch: int = BATCH
) -> int:
    """Delete the transitions older than ``retention_days``, ``batch`` rows a commit; how many
    went."""
    cutoff = now - timedelta(days=retention_days)
    newer = aliased(AlertHistory)
    superseded = exists().where(
        and_(
            newer.rule_id == AlertHistory.rule_id,
            newer.transition != AlertTransition.RENOTIFY,
            newer.at > AlertHistory.at,
        )
    )
    deleted = 0
    while True:
        expired = (
            select(AlertHistory.id)
            .where(
                AlertHistory.at < cutoff,
                or_(AlertHistory.transition == AlertTransition.RENOTIFY, superseded),
            )
            .limit(batch)
        )
        result = await session.execute(delete(AlertHistory).where(AlertHistory.id.in_(expired)))
        await session.commit()
        gone = int(getattr(result, "rowcount", 0) or 0)
        deleted += gone
        if gone < batch:
            return deleted


async def keep_history_within_retention(
    sessionmaker: async_sessionmaker[AsyncSession], *, retention_days: int
) -> None:
    """Run until cancelled: delete expired history now, then every hour."""
    while True:
        try:
            async with sessionmaker() as session:
                deleted = await delete_expired_history(
                    session, retention_days=retention_days, now=utc_now()
                )
            if deleted:
                log.info(
                    "Deleted alert history past the retention.",
                    extra={"ctx": {"deleted": deleted, "retention_days": retention_days}},
                )
        except Exception:
            # The database may be briefly away; the next hour tries again.
            log.warning("Could not delete expired alert history.", exc_info=True)
        await asyncio.sleep(_INTERVAL_S)
