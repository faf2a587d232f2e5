"""Over its limit, a group loses its oldest daily indices first, never today's (UTC).

Which to drop is decided by :func:`plan_drops` alone (no I/O): indices
older than today, oldest day first (ties by name, so replicas of the market
agree), until what remains fits. Today's indices are still being written:
dropping one would lose logs that arrived minutes ago and the index would be
recreated by the next event, so a group over its limit with only today's
indices left keeps them and the plan says it is stuck.

Each drop is deleted on its engine, then recorded as a ``StorageDrop`` row
and an audit entry by the system (no actor), committed one by one so what
was dropped is on record even if the pass stops halfway.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from barito_market import audit_log
from barito_market.models import AppGroup, StorageDrop
from barito_market.storage.usage import StoredIndex

__all__ = ["DropPlan", "drop_oldest", "plan_drops"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DropPlan:
    drops: list[StoredIndex]
    used_after: int
    # Still over the limit with only today's indices left: nothing more may go.
    stuck: bool


def plan_drops(indices: Sequence[StoredIndex], *, limit_bytes: int, today: date) -> DropPlan:
    """The indices to drop, oldest first, to bring the group to ``limit_bytes`` or under."""
    used = sum(index.bytes for index in indices)
    candidates = sorted(
        (index for index in indices if index.day < today),
        key=lambda index: (index.day, index.name, index.engine.engine),
    )
    drops: list[StoredIndex] = []
    for index in candidates:
        if used <= limit_bytes:
            break
        drops.append(index)
        used -= index.bytes
    return DropPlan(drops=drops, used_after=used, stuck=used > limit_bytes)


async def drop_oldest(
    session: AsyncSession,
    group: AppGroup,
    plan: DropPlan,
    *,
    limit_bytes: int,
    now: datetime,
) -> list[StoredIndex]:
    """Delete the plan's indices in order; the ones dropped. Commits after each.

    A refused or unanswered delete raises ``SearchError``: the rest waits
    for the next pass, which measures again.
    """
    dropped: list[StoredIndex] = []
    for index in plan.drops:
        await index.engine.delete_indices([index.name])
        session.add(
            StorageDrop(
                group_id=group.id,
                app_id=index.app_id,
                index=index.name,
                bytes=index.bytes,
                documents=index.documents,
                dropped_at=now,
            )
        )
        audit_log.record(
            session,
            None,
            "storage.drop_index",
            target_kind="index",
            target_id=index.name,
            group_id=group.id,
            app=index.app_slug,
            bytes=index.bytes,
            documents=index.documents,
            limit_bytes=limit_bytes,
        )
        await session.commit()
        dropped.append(index)
        log.info(
            "Dropped a daily index: its group was over its storage limit.",
            extra={
                "ctx": {
                    "group": group.slug,
                    "index": index.name,
                    "bytes": index.bytes,
                    "limit_bytes": limit_bytes,
                }
            },
        )
    if plan.stuck:
        log.warning(
            "A group is over its storage limit with only today's indices left; "
            "today's indices are never dropped.",
            extra={
                "ctx": {
                    "group": group.slug,
                    "used_bytes": plan.used_after,
                    "limit_bytes": limit_bytes,
                }
            },
        )
    return dropped
