"""An app's status: stored logs from the search engines, usage from the roll-ups.

An app of a dedicated group has logs on two engines (its cluster's, and the
installation's until what was written before the move expires): the stored
figures are their sums.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from barito_common.search import SearchAdapter, SearchError
from barito_common.search.app_indices import app_index_pattern, own_app_indices
from barito_common.search.tenant_field import APP_FIELD
from barito_market.models import App, UsageMinute
from barito_market.schemas.status import AppStatusPublic, StoredLogs, UsagePoint
from barito_market.usage.series import MinuteCounts, SeriesPoint, summarize, window_start

__all__ = ["app_index_prefix", "app_status", "stored_logs"]


def app_index_prefix(search_index_prefix: str, app: App) -> str:
    """The prefix of the app's daily indices, as its AppProfile publishes it."""
    return f"{search_index_prefix}{app.slug}"


async def stored_logs(engines: Sequence[SearchAdapter], index_prefix: str, slug: str) -> StoredLogs:
    """What the engines hold for the app now; raises ``SearchError`` if one does not answer."""
    # The pattern also matches the indices of apps whose slug extends this one
    # ("shop" and "shop-api"): the count filters by the app field, the sizes
    # keep only this app's own daily index names.
    pattern = app_index_pattern(index_prefix)
    count, stored, indices = 0, 0, 0
    for search in engines:
        count += await search.count(pattern, query={"term": {APP_FIELD: slug}})
        sizes = await search.index_sizes(pattern)
        own = [sizes[name] for name in own_app_indices(sizes, index_prefix=index_prefix)]
        stored += sum(size.bytes for size in own)
        indices += len(own)
    return StoredLogs(log_count=count, bytes_stored=stored, indices=indices)


def _point(point: SeriesPoint) -> UsagePoint:
    return UsagePoint(
        start=point.start,
        seconds=point.seconds,
        received_events=point.received_events,
        indexed_events=point.indexed_events,
        rejected=point.rejected,
        dead_lettered=point.dead_lettered,
        events_per_second=point.events_per_second,
    )


async def app_status(
    session: AsyncSession,
    engines: Sequence[SearchAdapter],
    *,
    app: App,
    search_index_prefix: str,
    now: datetime,
) -> AppStatusPublic:
    rows = await session.scalars(
        select(UsageMinute).where(
            UsageMinute.app_id == app.id, UsageMinute.minute >= window_start(now)
        )
    )
    summary = summarize(
        (
            MinuteCounts(
                minute=row.minute,
                received_events=row.received_events,
                received_bytes=row.received_bytes,
                rejected=row.rejected,
                indexed_events=row.indexed_events,
                indexed_bytes=row.indexed_bytes,
                dead_lettered=row.dead_lettered,
            )
            for row in rows
        ),
        now=now,
    )
    stored: StoredLogs | None = None
    stored_error: str | None = None
    try:
        stored = await stored_logs(engines, app_index_prefix(search_index_prefix, app), app.slug)
    except SearchError as err:
        # Usage still helps while the engine is down; say why the rest is missing.
        stored_error = f"The search engine did not answer: {err.reason}"
    return AppStatusPublic(
        slug=app.slug,
        stored=stored,
        stored_error=stored_error,
        events_per_second=summary.events_per_second,
        indexed_per_second=summary.indexed_per_second,
        received_events_24h=summary.received_events,
        received_bytes_24h=summary.received_bytes,
        indexed_events_24h=summary.indexed_events,
        rejected_24h=summary.rejected,
        dead_lettered_24h=summary.dead_lettered,
        last_hour=[_point(p) for p in summary.last_hour],
        last_day=[_point(p) for p in summary.last_day],
        generated_at=now,
    )
