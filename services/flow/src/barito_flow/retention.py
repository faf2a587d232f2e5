"""Deleting each app's daily indices once they are older than its retention.

An index ``<index_prefix>-YYYY.MM.DD`` holds the events of that UTC day; it
is deleted when that day is ``retention_days`` or more days before today, so
an app with 7 days keeps today and the 6 days before it. Only the app's own
daily indices are considered (``barito_common.search.app_indices``): its
pattern also matches those of apps whose slug extends its own.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta

from barito_common.schemas import AppProfile
from barito_common.search import SearchAdapter
from barito_common.search.app_indices import app_index_day, list_app_indices

__all__ = ["delete_expired_forever", "delete_expired_indices", "expired_indices"]

log = logging.getLogger(__name__)


def expired_indices(
    names: Iterable[str], *, index_prefix: str, retention_days: int, today: date
) -> list[str]:
    oldest_kept = today - timedelta(days=retention_days - 1)
    expired = []
    for name in names:
        day = app_index_day(name, index_prefix=index_prefix)
        if day is not None and day < oldest_kept:
            expired.append(name)
    return sorted(expired)


async def delete_expired_indices(
    search: SearchAdapter, apps: Iterable[AppProfile], *, today: date | None = None
) -> list[str]:
    """Delete every expired index of every app; return the names deleted."""
    today = today or datetime.now(UTC).date()
    deleted: list[str] = []
    for app in apps:
        names = await list_app_indices(search, app.index_prefix)
        for name in expired_indices(
            names, index_prefix=app.index_prefix, retention_days=app.retention_days, today=today
        ):
            await search.delete_index(name)
            deleted.append(name)
    if deleted:
        log.info("Deleted expired indices.", extra={"ctx": {"indices": deleted}})
    return deleted


async def delete_expired_forever(
    search: SearchAdapter, apps: Callable[[], Iterable[AppProfile]], *, interval_s: float
) -> None:
    """Delete the expired indices of ``apps()`` every ``interval_s``, until cancelled."""
    while True:
        try:
            await delete_expired_indices(search, apps())
        except Exception as err:
            # The next run tries again; an engine away now is no reason to stop.
            log.warning("Retention run failed.", extra={"ctx": {"error": repr(err)}})
        await asyncio.sleep(interval_s)
