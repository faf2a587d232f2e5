"""The body of ``/api/v1/groups/{slug}/storage``, and a superadmin's change of the limit."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from barito_common.capacity import CapacityTemplate
from barito_common.errors import ApiError
from barito_common.schemas import AppStatus
from barito_common.search import SearchError
from barito_market import audit_log
from barito_market.models import App, AppGroup, StorageDrop, User
from barito_market.schemas.storage import AppStoragePublic, StorageDropPublic, StoragePublic
from barito_market.search.engines import SearchEngines
from barito_market.settings import MarketSettings
from barito_market.storage.checks import measure
from barito_market.storage.quota import WARNING_RATIO

__all__ = ["DROPS_SHOWN_DAYS", "group_storage", "set_limit"]

DROPS_SHOWN_DAYS = 30


async def group_storage(
    session: AsyncSession,
    engines: SearchEngines,
    templates: Mapping[str, CapacityTemplate],
    settings: MarketSettings,
    *,
    group: AppGroup,
    now: datetime,
) -> StoragePublic:
    """The group's limit, use now, each app's share and the recent drops; 503 without engine."""
    try:
        apps, limit, usage = await measure(session, engines, templates, settings, group)
    except SearchError as err:
        raise ApiError(503, f"The search engine did not answer: {err.reason}") from err
    shares: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for index in usage.indices:
        shares[index.app_slug][0] += index.bytes
        shares[index.app_slug][1] += 1
    shown = sorted(
        app.slug for app in apps if app.status != AppStatus.DELETED or app.slug in shares
    )
    drops = await session.execute(
        select(StorageDrop, App.slug)
        .outerjoin(App, App.id == StorageDrop.app_id)
        .where(
            StorageDrop.group_id == group.id,
            StorageDrop.dropped_at >= now - timedelta(days=DROPS_SHOWN_DAYS),
        )
        .order_by(StorageDrop.dropped_at.desc(), StorageDrop.index.desc())
    )
    used = usage.used_bytes
    ratio = used / limit.bytes if limit.bytes else 0.0
    return StoragePublic(
        limit_bytes=limit.bytes,
        limit_source=limit.source,
        used_bytes=used,
        used_ratio=ratio,
        warning=ratio >= WARNING_RATIO,
        over=bool(limit.bytes) and used > limit.bytes,
        apps=[
            AppStoragePublic(slug=slug, bytes=shares[slug][0], indices=shares[slug][1])
            for slug in shown
        ],
        drops=[
            StorageDropPublic(
                index=drop.index,
                app_slug=slug,
                bytes=drop.bytes,
                documents=drop.documents,
                dropped_at=drop.dropped_at,
            )
            for drop, slug in drops
        ],
    )


async def set_limit(
    session: AsyncSession, *, user: User, group: AppGroup, limit_bytes: int | None
) -> None:
    """Set (or with None, clear) the group's own limit; audited. Commits."""
    previous = group.storage_quota_bytes
    group.storage_quota_bytes = limit_bytes
    audit_log.record(
        session,
        user,
        "storage.set_limit",
        target_kind="app_group",
        target_id=group.id,
        group_id=group.id,
        limit_bytes=limit_bytes,
        previous_limit_bytes=previous,
    )
    await session.commit()
