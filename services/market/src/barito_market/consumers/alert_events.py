"""``<prefix>alerts.events`` records (AlertEvent) into the alert history, each once."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from barito_common.alerts import AlertEvent
from barito_market.alerts.history import store_event
from barito_market.consumers.outcome import Outcome

__all__ = ["apply_alert_event"]


async def apply_alert_event(
    sessions: async_sessionmaker[AsyncSession], event: AlertEvent
) -> Outcome:
    """Store the event unless its ``event_id`` is stored already or its app is unknown."""
    outcome = await store_event(sessions, event)
    if outcome != "stored":
        return Outcome.skipped(outcome, event.app_id)
    return Outcome.done(event.app_id)
