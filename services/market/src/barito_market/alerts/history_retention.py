"""Deleting alert history past the installation's retention (run hourly by
``retention.prune_hourly`` in every market replica). Rows go in batches, each
its own transaction, so a first run over a large backlog (a busy rule
re-notifying every minute writes ~1,440 rows a day) holds no long lock and
writes no huge transaction while the history consumer inserts beside it.

A rule's latest firing or resolution is kept however old: it is the rule's
status (``history.rule_statuses``), and a rule firing for longer than the
retention without re-notifying must not read "ok". That is one row per rule.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, delete, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from barito_common.alerts import AlertTransition
from barito_market.models import AlertHistory

__all__ = ["delete_expired_history"]

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
