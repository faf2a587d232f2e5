"""What the market runs beside its routes: the search clients, the consumers, the audit
log's and the alert history's retention, the storage check, the deletions.

Started and stopped by the market's lifespan (one line each), after the
database is migrated and the publisher started::

    observers = await start_observers(app, settings)
    ...
    await observers.stop()

The search engines are not a readiness dependency: the market's control
plane works without them, and the status and search endpoints say
themselves when one does not answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import dataclass
from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from barito_common.schemas import ClusterCoordinates
from barito_market.alerts.history_retention import delete_expired_history
from barito_market.audit_retention import delete_expired_entries
from barito_market.consumers.runner import ConsumerRunner
from barito_market.deletions.runner import DeletionRunner, run_deletions
from barito_market.registry.publisher import Publisher
from barito_market.registry.sync import publish_group
from barito_market.retention import prune_hourly
from barito_market.search.engines import SearchEngines
from barito_market.settings import MarketSettings
from barito_market.storage.checks import keep_storage_within_limits

__all__ = ["Observers", "start_observers"]


@dataclass
class Observers:
    search_engines: SearchEngines
    consumers: ConsumerRunner
    retention: list[asyncio.Task[None]]
    storage_check: asyncio.Task[None]
    deletions: asyncio.Task[None]

    async def stop(self) -> None:
        for task in (*self.retention, self.storage_check, self.deletions):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.consumers.stop()
        await self.search_engines.close()


async def start_observers(app: FastAPI, settings: MarketSettings) -> Observers:
    """Create the search clients (``app.state.search_engines``) and start the consumers."""
    engines = SearchEngines(settings.search)
    app.state.search_engines = engines
    publisher: Publisher = app.state.publisher

    async def republish(
        session: AsyncSession, group_id: uuid.UUID, cluster: ClusterCoordinates
    ) -> int:
        return await publish_group(session, publisher, settings, group_id, cluster)

    consumers = ConsumerRunner(
        settings.kafka, app.state.sessionmaker, registry=app.state.metrics, republish=republish
    )
    await consumers.start()
    retention = [
        asyncio.create_task(
            prune_hourly(app.state.sessionmaker, prune, retention_days=days, what=what),
            name=f"{what} retention",
        )
        for prune, days, what in (
            (delete_expired_entries, settings.audit_retention_days, "audit entries"),
            (delete_expired_history, settings.alert_history_retention_days, "alert history"),
        )
    ]
    storage_check = asyncio.create_task(
        keep_storage_within_limits(app.state.sessionmaker, engines, app.state.templates, settings),
        name="storage-check",
    )
    deletions = asyncio.create_task(
        run_deletions(
            DeletionRunner(
                app.state.sessionmaker,
                engines,
                index_prefix=settings.search.index_prefix,
                lease=timedelta(seconds=settings.deletion_claim_lease_s),
                poll_interval_s=settings.deletion_poll_interval_s,
            ),
            poll_interval_s=settings.deletion_poll_interval_s,
        ),
        name="deletions",
    )
    return Observers(engines, consumers, retention, storage_check, deletions)
