"""Where an app group's logs live: its placement and, once ACTIVE, its cluster (§6).

The market decides each group's placement when it asks for infrastructure,
and learns the dedicated cluster's coordinates from the provisioner's events.
Everything that points a client at an app's Kafka or search engine, or puts
the cluster in an app's profile, reads it here::

    cluster = await group_cluster(session, group.id, lock=True)
    kafka = kafka_settings_for(settings.kafka, cluster)

``lock=True`` is for whoever publishes a profile: the consumer that stores new
coordinates holds the same row lock while it republishes the group's
profiles, so a route's profile is published either before that (and then
overwritten) or after it (and then carries the coordinates), never with the
old ones after the new.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from barito_common.capacity import CapacityTemplate
from barito_common.schemas import ClusterCoordinates, Placement
from barito_market.models import Infrastructure

__all__ = ["cluster_of", "group_cluster", "placement_for"]


def placement_for(template: CapacityTemplate, infrastructure: Infrastructure | None) -> Placement:
    """The template's placement, except that a dedicated group stays dedicated.

    Its logs live on its own cluster; moving them back to the shared one is
    not offered, so a shrinking template only resizes the dedicated cluster.
    """
    if infrastructure is not None and infrastructure.placement == Placement.DEDICATED:
        return Placement.DEDICATED
    return template.placement


def cluster_of(infrastructure: Infrastructure | None) -> ClusterCoordinates | None:
    """The cluster holding the group's logs now; None: the installation's own.

    A shared group names none whatever was stored; a dedicated one none until
    its cluster is ACTIVE, since until then its logs still go to the
    installation's cluster.
    """
    if (
        infrastructure is None
        or infrastructure.placement != Placement.DEDICATED
        or infrastructure.cluster is None
    ):
        return None
    return ClusterCoordinates.model_validate(infrastructure.cluster)


async def group_cluster(
    session: AsyncSession, group_id: uuid.UUID, *, lock: bool = False
) -> ClusterCoordinates | None:
    """The group's cluster (see :func:`cluster_of`); ``lock`` holds its row till commit."""
    query = select(Infrastructure).where(Infrastructure.group_id == group_id)
    if lock:
        query = query.with_for_update()
    return cluster_of(await session.scalar(query))
