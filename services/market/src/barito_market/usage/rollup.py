"""Usage reports and dead letters become per-app, per-minute roll-ups, each applied once.

Two sources, each counting only its own columns of the one ``UsageMinute`` row:

* ``UsageReport`` from the receiver: ``received_events``, ``received_bytes``
  and ``rejected`` by reason;
* ``UsageReport`` from flow: ``indexed_events`` and ``indexed_bytes``;
* ``DeadLetter`` records on the dead-letter topic: ``dead_lettered``, one per
  letter. Flow's reports also carry a ``dead_lettered`` count, which is
  ignored: the letters themselves are the direct record (one Kafka record per
  dead-lettered event, with an identity of its own), so counting them cannot
  disagree with what an operator finds on the topic, and counting both would
  count every letter twice.

A report's window (10 s by default) is attributed whole to the UTC minute of
its ``window_end``; a window spanning two minutes is not split. A letter
counts in the minute of its ``failed_at``.

    >>> from datetime import UTC, datetime
    >>> from barito_common.schemas import UsageReport
    >>> start = datetime(2025, 1, 31, 10, 0, 55, tzinfo=UTC)
    >>> report = UsageReport(
    ...     app_id="6f1c0c1e-1111-4222-8333-944445555666", source="receiver",
    ...     window_start=start, window_end=start.replace(minute=1, second=5),
    ...     events=10, bytes=900, rejected={"too_large": 1},
    ... )
    >>> delta = report_delta(report)
    >>> delta.minute.isoformat(), delta.received_events, delta.rejected
    ('2025-01-31T10:01:00+00:00', 10, {'too_large': 1})
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from barito_common.schemas import DeadLetter, UsageReport
from barito_market.models import App, UsageMinute
from barito_market.models.applied_usage import AppliedUsage
from barito_market.usage.series import MinuteCounts

__all__ = [
    "APPLIED_KEYS_KEPT",
    "MinuteDelta",
    "RollupOutcome",
    "apply_delta",
    "dead_letter_delta",
    "merged_counts",
    "minute_of",
    "prune_applied_keys",
    "report_delta",
]

# Longer than the usage and dead-letter topics keep records (7 days), so no
# redelivery, even a replay from the earliest offset, finds its key pruned.
APPLIED_KEYS_KEPT = timedelta(days=8)
# Transactions tried when a concurrent writer wins a race for the same key or row.
_ATTEMPTS = 3
# Dead letters have no id of their own; their Kafka coordinates identify them.
_DEAD_LETTER_KEYS = uuid.UUID("5d0f6a61-3c7e-4b55-9a55-1f4f2bb7e2a1")


class RollupOutcome:
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    UNKNOWN_APP = "unknown_app"


@dataclass(frozen=True, slots=True, kw_only=True)
class MinuteDelta(MinuteCounts):
    """What one report or letter adds to one app's minute."""

    key: uuid.UUID
    """Identity of the report or letter: it is applied at most once."""
    app_id: uuid.UUID


def minute_of(moment: datetime) -> datetime:
    """The UTC minute ``moment`` falls in."""
    return moment.replace(second=0, microsecond=0)


def _app_uuid(app_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(app_id)
    except ValueError:
        return None


def report_delta(report: UsageReport) -> MinuteDelta | None:
    """The delta of a report; ``None`` if its app id cannot be a market app."""
    app_id = _app_uuid(report.app_id)
    if app_id is None:
        return None
    minute = minute_of(report.window_end)
    if report.source == "receiver":
        return MinuteDelta(
            key=report.report_id,
            app_id=app_id,
            minute=minute,
            received_events=report.events,
            received_bytes=report.bytes,
            rejected={reason: n for reason, n in report.rejected.items() if n},
        )
    # report.dead_lettered is deliberately not used: see the module docstring.
    return MinuteDelta(
        key=report.report_id,
        app_id=app_id,
        minute=minute,
        indexed_events=report.events,
        indexed_bytes=report.bytes,
    )


def dead_letter_delta(letter: DeadLetter) -> MinuteDelta | None:
    """The delta of one dead letter; ``None`` if its app id cannot be a market app."""
    app_id = _app_uuid(letter.app_id)
    if app_id is None:
        return None
    # Flow sends a letter again only for the same event at the same coordinates.
    identity = f"{letter.topic}/{letter.partition}/{letter.offset}/{letter.index_in_chunk}"
    return MinuteDelta(
        key=uuid.uuid5(_DEAD_LETTER_KEYS, identity),
        app_id=app_id,
        minute=minute_of(letter.failed_at),
        dead_lettered=1,
    )


def merged_counts(base: Mapping[str, int], extra: Mapping[str, int]) -> dict[str, int]:
    """``base`` plus ``extra``, reason by reason."""
    merged = dict(base)
    for reason, count in extra.items():
        merged[reason] = merged.get(reason, 0) + count
    return merged


async def apply_delta(sessions: async_sessionmaker[AsyncSession], delta: MinuteDelta) -> str:
    """Add ``delta`` to its minute in one transaction, unless its key was applied before.

    Returns a :class:`RollupOutcome`. The key and the counts commit together, so
    a crash between them can neither count a report twice nor lose it.
    """
    for _ in range(_ATTEMPTS - 1):
        try:
            return await _apply_once(sessions, delta)
        except IntegrityError:
            # Another writer inserted this key or this minute's row between our
            # read and our commit; the next attempt sees it and adds to it.
            continue
    return await _apply_once(sessions, delta)


async def _apply_once(sessions: async_sessionmaker[AsyncSession], delta: MinuteDelta) -> str:
    # No savepoints: SQLite's drivers handle them poorly, and a conflict is rare
    # enough that retrying the whole transaction costs nothing.
    async with sessions() as session, session.begin():
        if await session.get(App, delta.app_id) is None:
            return RollupOutcome.UNKNOWN_APP
        if await session.get(AppliedUsage, delta.key) is not None:
            return RollupOutcome.DUPLICATE
        session.add(AppliedUsage(key=delta.key))
        # FOR UPDATE: the usage and dead-letter consumers (and other market
        # replicas) add to the same rows; the lock turns read-add-write into a queue.
        row = await session.scalar(
            select(UsageMinute)
            .where(UsageMinute.app_id == delta.app_id, UsageMinute.minute == delta.minute)
            .with_for_update()
        )
        if row is None:
            row = UsageMinute(
                app_id=delta.app_id,
                minute=delta.minute,
                received_events=0,
                received_bytes=0,
                rejected={},
                indexed_events=0,
                indexed_bytes=0,
                dead_lettered=0,
            )
            session.add(row)
        row.received_events += delta.received_events
        row.received_bytes += delta.received_bytes
        row.indexed_events += delta.indexed_events
        row.indexed_bytes += delta.indexed_bytes
        row.dead_lettered += delta.dead_lettered
        if delta.rejected:
            # A new dict: the JSON column notices reassignment, not mutation.
            row.rejected = merged_counts(row.rejected, delta.rejected)
    return RollupOutcome.APPLIED


async def prune_applied_keys(sessions: async_sessionmaker[AsyncSession], *, now: datetime) -> int:
    """Forget keys older than :data:`APPLIED_KEYS_KEPT`; return how many."""
    async with sessions() as session, session.begin():
        result = await session.execute(
            delete(AppliedUsage).where(AppliedUsage.applied_at < now - APPLIED_KEYS_KEPT)
        )
    return int(getattr(result, "rowcount", 0) or 0)
