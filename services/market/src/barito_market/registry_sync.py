"""Keeping the apps topic in step with the database: one app, a group, or all."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from barito_market.models import App, AppGroup
from barito_market.profiles import app_profile
from barito_market.publisher import Publisher
from barito_market.settings import MarketSettings

__all__ = ["publish_app", "publish_apps", "republish_all"]


async def publish_app(
    publisher: Publisher, settings: MarketSettings, app: App, group: AppGroup
) -> None:
    profile = app_profile(
        app,
        group,
        topics=publisher.topics,
        index_prefix=settings.search.index_prefix,
        now=datetime.now(UTC),
    )
    await publisher.publish_profile(profile)


async def publish_apps(
    publisher: Publisher, settings: MarketSettings, apps: Iterable[App], group: AppGroup
) -> None:
    for app in apps:
        await publish_app(publisher, settings, app, group)


async def republish_all(
    session: AsyncSession, publisher: Publisher, settings: MarketSettings
) -> int:
    """Publish every app's current profile (``barito admin republish``); returns how many."""
    apps = (await session.scalars(select(App).options(selectinload(App.group)))).all()
    for app in apps:
        await publish_app(publisher, settings, app, app.group)
    return len(apps)
