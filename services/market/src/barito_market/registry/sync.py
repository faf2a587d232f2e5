"""Keeping the apps topic in step with the database: one app, a group, or all.

Every profile carries its group's cluster (``barito_market.groups.cluster``),
read under the infrastructure's row lock, so no publish drops it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from barito_common.schemas import ClusterCoordinates
from barito_market.groups.cluster import cluster_of, group_cluster
from barito_market.models import App, AppGroup, Infrastructure
from barito_market.registry.profiles import app_profile
from barito_market.registry.publisher import Publisher
from barito_market.settings import MarketSettings

__all__ = ["publish_app", "publish_apps", "publish_group", "republish_all"]


async def _publish(
    publisher: Publisher,
    settings: MarketSettings,
    app: App,
    group: AppGroup,
    cluster: ClusterCoordinates | None,
) -> None:
    profile = app_profile(
        app,
        group,
        topics=publisher.topics,
        index_prefix=settings.search.index_prefix,
        cluster=cluster,
        now=datetime.now(UTC),
    )
    await publisher.publish_profile(profile)


async def publish_app(
    session: AsyncSession, publisher: Publisher, settings: MarketSettings, app: App, group: AppGroup
) -> None:
    await publish_apps(session, publisher, settings, [app], group)


async def publish_apps(
    session: AsyncSession,
    publisher: Publisher,
    settings: MarketSettings,
    apps: Iterable[App],
    group: AppGroup,
) -> None:
    cluster = await group_cluster(session, group.id, lock=True)
    for app in apps:
        await _publish(publisher, settings, app, group, cluster)


async def publish_group(
    session: AsyncSession,
    publisher: Publisher,
    settings: MarketSettings,
    group_id: uuid.UUID,
    cluster: ClusterCoordinates | None,
) -> int:
    """Publish every app of the group (deleted ones too) naming ``cluster``; returns how many.

    For the caller that holds the infrastructure's row lock and has just
    stored ``cluster`` on it.
    """
    group = await session.get(AppGroup, group_id)
    if group is None:
        return 0
    apps = (await session.scalars(select(App).where(App.group_id == group_id))).all()
    for app in apps:
        await _publish(publisher, settings, app, group, cluster)
    return len(apps)


async def republish_all(
    session: AsyncSession, publisher: Publisher, settings: MarketSettings
) -> int:
    """Publish every app's current profile (``barito admin republish``); returns how many."""
    infrastructures = await session.scalars(select(Infrastructure).with_for_update())
    clusters = {infra.group_id: cluster_of(infra) for infra in infrastructures}
    apps = (await session.scalars(select(App).options(selectinload(App.group)))).all()
    for app in apps:
        await _publish(publisher, settings, app, app.group, clusters.get(app.group_id))
    return len(apps)
