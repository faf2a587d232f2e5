"""The storage check: every group measured, the over-limit trimmed, the owners told.

``check_storage_once`` is one pass; ``keep_storage_within_limits`` runs it
every ``storage_check_interval_s`` until cancelled. Every market replica
runs the loop, but a pass runs only while it holds a Postgres advisory lock
(``pg_try_advisory_xact_lock``, on a transaction of its own that the pass
keeps open): a replica that finds it taken skips that pass, so two replicas
never measure the same group and both drop an index for one excess. The
lock is a transaction's, so it goes with the connection should the replica
die. Embedded SQLite serves a single market process and needs none.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from barito_common.capacity import CapacityTemplate
from barito_common.schemas import AppStatus
from barito_common.search import SearchError
from barito_market.groups.cluster import group_cluster
from barito_market.models import App, AppGroup
from barito_market.models.base import utc_now
from barito_market.search.engines import SearchEngines
from barito_market.settings import MarketSettings
from barito_market.storage.enforcement import drop_oldest, plan_drops
from barito_market.storage.notice import send_storage_notice, storage_notice
from barito_market.storage.quota import WARNING_RATIO, GroupLimit, group_limit
from barito_market.storage.usage import GroupUsage, measure_group

__all__ = [
    "GroupCheck",
    "check_group",
    "check_storage_once",
    "keep_storage_within_limits",
    "measure",
    "storage_lock",
]

log = logging.getLogger(__name__)

# A fixed key of the advisory lock held by the replica that checks storage
# ("barito-s" in ASCII); the migrations take another ("barito-m").
_STORAGE_LOCK_KEY = int.from_bytes(b"barito-s", "big") & 0x7FFF_FFFF_FFFF_FFFF


@dataclass(frozen=True)
class GroupCheck:
    group: str
    limit_bytes: int
    used_bytes: int
    dropped: list[str]
    # Over the limit with only today's indices left (kept).
    stuck: bool
    notified: bool


async def measure(
    session: AsyncSession,
    engines: SearchEngines,
    templates: Mapping[str, CapacityTemplate],
    settings: MarketSettings,
    group: AppGroup,
) -> tuple[list[App], GroupLimit, GroupUsage]:
    """The group's apps (deleted ones too), its limit and what its indices hold now."""
    apps = list(await session.scalars(select(App).where(App.group_id == group.id)))
    live = [app.capacity for app in apps if app.status != AppStatus.DELETED]
    limit = group_limit(group, live, templates)
    adapters = engines.for_cluster(await group_cluster(session, group.id))
    usage = await measure_group(adapters, index_prefix=settings.search.index_prefix, apps=apps)
    return apps, limit, usage


async def check_group(
    session: AsyncSession,
    engines: SearchEngines,
    templates: Mapping[str, CapacityTemplate],
    settings: MarketSettings,
    group: AppGroup,
    *,
    now: datetime,
) -> GroupCheck:
    """Measure one group, drop its oldest indices if over, tell its owners at 80 %."""
    _, limit, usage = await measure(session, engines, templates, settings, group)
    used, dropped, stuck = usage.used_bytes, [], False
    # A limit of 0 comes from a group without live apps of a known template:
    # nothing was promised, so nothing is enforced (retention still applies).
    if limit.bytes > 0 and used > limit.bytes:
        plan = plan_drops(usage.indices, limit_bytes=limit.bytes, today=now.date())
        gone = await drop_oldest(session, group, plan, limit_bytes=limit.bytes, now=now)
        used -= sum(index.bytes for index in gone)
        dropped, stuck = [index.name for index in gone], plan.stuck
    notified = False
    warn = limit.bytes > 0 and used >= WARNING_RATIO * limit.bytes
    if warn and group.storage_notified_at is None:
        # Recorded before sending: a replica that takes over after a crash
        # must not tell the owners a second time.
        group.storage_notified_at = now
        await session.commit()
        notice = storage_notice(group, used_bytes=used, limit_bytes=limit.bytes, at=now)
        await send_storage_notice(settings, group, notice)
        notified = True
    elif not warn and group.storage_notified_at is not None:
        group.storage_notified_at = None
        await session.commit()
    return GroupCheck(group.slug, limit.bytes, used, dropped, stuck, notified)


@asynccontextmanager
async def storage_lock(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[bool]:
    """Whether this replica holds the storage lock, held until the block ends."""
    async with sessionmaker() as session:
        if session.get_bind().dialect.name != "postgresql":
            yield True
            return
        held = await session.scalar(
            text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _STORAGE_LOCK_KEY}
        )
        yield bool(held)
        # Closing the session rolls its transaction back, which releases the lock.


async def check_storage_once(
    sessionmaker: async_sessionmaker[AsyncSession],
    engines: SearchEngines,
    templates: Mapping[str, CapacityTemplate],
    settings: MarketSettings,
    *,
    now: datetime | None = None,
) -> list[GroupCheck] | None:
    """One pass over every group; None when another replica holds the lock.

    A group whose engine does not answer is skipped (logged); the others go on.
    """
    async with storage_lock(sessionmaker) as held:
        if not held:
            return None
        async with sessionmaker() as session:
            group_ids = list(await session.scalars(select(AppGroup.id).order_by(AppGroup.slug)))
        checks: list[GroupCheck] = []
        for group_id in group_ids:
            async with sessionmaker() as session:
                group = await session.get(AppGroup, group_id)
                if group is None:  # deleted meanwhile
                    continue
                try:
                    checks.append(
                        await check_group(
                            session, engines, templates, settings, group, now=now or utc_now()
                        )
                    )
                except SearchError as err:
                    log.warning(
                        "Could not check a group's storage: its search engine did not answer.",
                        extra={"ctx": {"group": group.slug, "error": str(err)}},
                    )
        return checks


async def keep_storage_within_limits(
    sessionmaker: async_sessionmaker[AsyncSession],
    engines: SearchEngines,
    templates: Mapping[str, CapacityTemplate],
    settings: MarketSettings,
) -> None:
    """Run until cancelled: a pass now, then every ``storage_check_interval_s``."""
    while True:
        try:
            await check_storage_once(sessionmaker, engines, templates, settings)
        except Exception:
            # The database may be briefly away; the next pass tries again.
            log.warning("The storage check failed.", exc_info=True)
        await asyncio.sleep(settings.storage_check_interval_s)
