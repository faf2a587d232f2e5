"""``barito.provisioning.events`` records (ProvisionEvent) into infrastructure states.

Every event becomes a line of the infrastructure's timeline. It also sets the
infrastructure's state and message and each reported component's state,
address and message, unless a later event was applied already: events of one
infrastructure share a key and so a partition, and arrive in order, but a
redelivery after a crash replays older ones, which must not move the state
back. A redelivered event (same command, state and time) adds no second line.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from barito_common.schemas import Component as ReportedComponent
from barito_common.schemas import ProvisionEvent, from_bytes
from barito_market.consumers.outcome import Outcome
from barito_market.models import Component, Infrastructure, ProvisioningEvent

__all__ = ["EVENT_SOURCE", "apply_provision_event", "handle_provision_event"]

EVENT_SOURCE = "event"
"""``ProvisioningEvent.source`` of the rows this consumer writes."""


async def handle_provision_event(
    sessions: async_sessionmaker[AsyncSession], value: bytes
) -> Outcome:
    """Apply one event; raises ``PayloadError`` for bytes that are not an event."""
    return await apply_provision_event(sessions, from_bytes(ProvisionEvent, value))


async def apply_provision_event(
    sessions: async_sessionmaker[AsyncSession], event: ProvisionEvent
) -> Outcome:
    try:
        infrastructure_id = uuid.UUID(event.infrastructure_id)
    except ValueError:
        return Outcome.skipped("unknown_infrastructure")
    async with sessions() as session, session.begin():
        infrastructure = await session.scalar(
            select(Infrastructure)
            .options(selectinload(Infrastructure.components))
            .where(Infrastructure.id == infrastructure_id)
            .with_for_update()
        )
        if infrastructure is None:
            return Outcome.skipped("unknown_infrastructure")
        seen = await session.scalar(
            select(ProvisioningEvent.id).where(
                ProvisioningEvent.infrastructure_id == infrastructure_id,
                ProvisioningEvent.source == EVENT_SOURCE,
                ProvisioningEvent.command_id == event.command_id,
                ProvisioningEvent.state == event.state.value,
                ProvisioningEvent.at == event.at,
            )
        )
        if seen is not None:
            return Outcome.skipped("duplicate")
        latest = await session.scalar(
            select(ProvisioningEvent.at)
            .where(
                ProvisioningEvent.infrastructure_id == infrastructure_id,
                ProvisioningEvent.source == EVENT_SOURCE,
            )
            .order_by(ProvisioningEvent.at.desc())
            .limit(1)
        )
        session.add(
            ProvisioningEvent(
                infrastructure_id=infrastructure_id,
                command_id=event.command_id,
                source=EVENT_SOURCE,
                state=event.state.value,
                message=event.message,
                components=[component.model_dump(mode="json") for component in event.components],
                at=event.at,
            )
        )
        if latest is not None and latest > event.at:
            return Outcome.skipped("stale")
        infrastructure.state = event.state
        infrastructure.message = event.message
        _update_components(infrastructure, event.components)
    return Outcome.done()


def _update_components(infrastructure: Infrastructure, reported: list[ReportedComponent]) -> None:
    """Set each reported component; components the event does not name are left as they are."""
    by_name = {component.name: component for component in infrastructure.components}
    for part in reported:
        row = by_name.get(part.name)
        if row is None:
            row = Component(name=part.name, kind=part.kind, state=part.state)
            infrastructure.components.append(row)
        row.kind = part.kind
        row.state = part.state
        row.address = part.address
        row.message = part.message
