"""The alert history: each transition the server reports, kept once, read newest first.

The server writes every firing, resolution and re-notification as an
``AlertEvent`` to ``<prefix>alerts.events``; the market's consumer keeps each
event once, keyed by its ``event_id``, so a redelivery (or the server sending
it again after a takeover) adds nothing. A rule's status is its latest firing
or resolution (a re-notification happens only while firing).

Pages are keyset-paged on (``at``, ``id``), newest first; the cursor is the
last entry's pair, opaque to the caller.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from barito_common.alerts import AlertEvent, AlertTransition, RuleStatus
from barito_common.errors import ApiError
from barito_market.models import AlertHistory, App

__all__ = ["HistoryRows", "history_page", "rule_statuses", "store_event"]

_STATUS = {AlertTransition.FIRING: RuleStatus.FIRING, AlertTransition.RESOLVED: RuleStatus.RESOLVED}

HistoryRows = tuple[Sequence[AlertHistory], str | None]


def _storable(text: str) -> str:
    # Postgres refuses a NUL in text; the column holds 100 characters.
    return text.replace("\x00", "")[:100]


async def store_event(sessions: async_sessionmaker[AsyncSession], event: AlertEvent) -> str:
    """Keep the event once: "stored", "duplicate" or "unknown_app"."""
    try:
        app_id = uuid.UUID(event.app_id)
    except ValueError:
        return "unknown_app"
    async with sessions() as session:
        if await session.get(App, app_id) is None:
            return "unknown_app"
        if await session.get(AlertHistory, event.event_id) is not None:
            return "duplicate"
        session.add(
            AlertHistory(
                id=event.event_id,
                app_id=app_id,
                rule_id=event.rule_id,
                rule_name=_storable(event.rule_name),
                notification_id=_storable(event.notification_id),
                transition=event.transition,
                severity=event.severity,
                at=event.at,
                count=event.count,
                window_s=event.window_s,
                samples=event.samples,
                muted=event.muted,
                deliveries=dict(event.deliveries),
            )
        )
        try:
            await session.commit()
        except IntegrityError:
            # Another copy was committed between the look-up and the insert.
            await session.rollback()
            if await session.get(AlertHistory, event.event_id) is not None:
                return "duplicate"
            raise
    return "stored"


async def rule_statuses(
    session: AsyncSession, app_id: uuid.UUID, rule_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, RuleStatus]:
    """Each rule's latest firing or resolution; a rule missing here is ok."""
    if not rule_ids:
        return {}
    decisive = and_(
        AlertHistory.app_id == app_id,
        AlertHistory.rule_id.in_(rule_ids),
        AlertHistory.transition != AlertTransition.RENOTIFY,
    )
    latest = (
        select(AlertHistory.rule_id, func.max(AlertHistory.at).label("at"))
        .where(decisive)
        .group_by(AlertHistory.rule_id)
        .subquery()
    )
    rows = await session.execute(
        select(AlertHistory.rule_id, AlertHistory.transition).join(
            latest,
            and_(AlertHistory.rule_id == latest.c.rule_id, AlertHistory.at == latest.c.at),
        )
    )
    return {rule_id: _STATUS[transition] for rule_id, transition in rows}


def _encode_cursor(entry: AlertHistory) -> str:
    raw = f"{entry.at.isoformat()}|{entry.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, _, entry_id = raw.partition("|")
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None:
            raise ValueError("naive")
        return moment, uuid.UUID(entry_id)
    except (ValueError, binascii.Error, UnicodeDecodeError) as err:
        raise ApiError(
            422,
            "cursor: not a cursor this history gave; start again without it",
            code="invalid_request",
        ) from err


async def history_page(
    session: AsyncSession,
    app_id: uuid.UUID,
    *,
    rule_id: uuid.UUID | None,
    limit: int,
    cursor: str | None,
) -> HistoryRows:
    """Up to ``limit`` entries older than the cursor, newest first, and the next cursor."""
    query = select(AlertHistory).where(AlertHistory.app_id == app_id)
    if rule_id is not None:
        query = query.where(AlertHistory.rule_id == rule_id)
    if cursor is not None:
        at, entry_id = _decode_cursor(cursor)
        query = query.where(
            or_(AlertHistory.at < at, and_(AlertHistory.at == at, AlertHistory.id < entry_id))
        )
    query = query.order_by(AlertHistory.at.desc(), AlertHistory.id.desc()).limit(limit + 1)
    rows = (await session.scalars(query)).all()
    if len(rows) <= limit:
        return rows, None
    return rows[:limit], _encode_cursor(rows[limit - 1])
