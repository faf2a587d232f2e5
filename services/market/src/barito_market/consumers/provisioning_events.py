"""``barito.provisioning.events`` records (ProvisionEvent) into infrastructure states.

Every event becomes a line of the infrastructure's timeline. It also sets the
infrastructure's state and message and each reported component's state,
address and message, unless a later event was applied already: events of one
infrastructure share a key and so a partition, and arrive in order, but a
redelivery after a crash replays older ones, which must not move the state
back. A redelivered event (same command, state and time) adds no second line.

An applied event that names a dedicated cluster (every event from the one
that makes it ACTIVE on) stores its coordinates; when they changed, every
app of the group is republished naming them, so the data path follows the
group to its cluster. The profiles are published inside the event's
transaction, under the infrastructure's row lock, before the commit: if
Kafka refuses, the event is rolled back too and the consume loop retries
the record (a transient failure) until both are done; if the commit fails after the publish, the
redelivered record publishes the same profiles again. An event without
coordinates never clears them, and a stale or duplicate one changes nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from barito_common.schemas import ClusterCoordinates, ProvisionEvent
from barito_common.schemas import Component as ReportedComponent
from barito_market.consumers.outcome import Outcome
from barito_market.groups.cluster import cluster_of
from barito_market.models import Component, Infrastructure, ProvisioningEvent

__all__ = [
    "EVENT_SOURCE",
    "GroupRepublisher",
    "apply_provision_event",
]

log = logging.getLogger(__name__)

GroupRepublisher = Callable[[AsyncSession, uuid.UUID, ClusterCoordinates], Awaitable[int]]
"""Publishes every app of a group naming the cluster, in the caller's session; returns how many
(``barito_market.registry.sync.publish_group`` with the market's publisher and settings)."""

EVENT_SOURCE = "event"
"""``ProvisioningEvent.source`` of the rows this consumer writes."""


async def apply_provision_event(
    sessions: async_sessionmaker[AsyncSession],
    event: ProvisionEvent,
    *,
    republish: GroupRepublisher,
) -> Outcome:
    """Apply one event once: a duplicate or a stale one changes no state (module docstring)."""
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
        if event.cluster is not None:
            await _store_cluster(session, infrastructure, event.cluster, republish)
    return Outcome.done()


async def _store_cluster(
    session: AsyncSession,
    infrastructure: Infrastructure,
    reported: ClusterCoordinates,
    republish: GroupRepublisher,
) -> None:
    coordinates = reported.model_dump(mode="json")
    if infrastructure.cluster == coordinates:
        return
    infrastructure.cluster = coordinates
    cluster = cluster_of(infrastructure)
    if cluster is None:
        return  # a shared group's profiles name no cluster
    # Before the commit, holding the row lock (see the module docstring).
    await session.flush()
    published = await republish(session, infrastructure.group_id, cluster)
    log.info(
        "Republished the group's apps on their dedicated cluster.",
        extra={
            "ctx": {
                "infrastructure": str(infrastructure.id),
                "apps": published,
                "kafka": cluster.kafka_bootstrap_servers,
                "search": cluster.search_url,
            }
        },
    )


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
