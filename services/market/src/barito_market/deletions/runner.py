"""The background loop that runs deletion jobs, one at a time per market replica.

Replicas share the jobs table, so a job is *claimed* before it is worked on:
an UPDATE that succeeds only while no other replica's claim is current
(``claimed_until`` empty or past). The worker renews the claim with every
commit; a replica that dies lets its claim lapse, and another picks the job up
where the row says it was (:mod:`.progress`): it follows the same engine tasks
rather than starting new ones.

A job goes through three steps, each committed before the next:

1. ``total``: the app's indices are refreshed and the matching events counted;
2. the daily indices covered whole are dropped (their documents counted), then
   a delete-by-query is started on each engine (or batches, where the engine
   has none) and the progress stored;
3. the tasks are followed and the batches run until every engine is done:
   ``done`` with the final count, or ``failed`` with the engine's reason.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from barito_common.search import SearchAdapter, SearchError, SearchUnavailable
from barito_common.search.app_indices import list_app_indices
from barito_common.search.delete_requests import DeleteByQueryUnsupported
from barito_market import audit_log
from barito_market.apps.status import app_index_prefix
from barito_market.deletions.audit_details import query_details, without_query
from barito_market.deletions.progress import BATCH, DONE, Progress
from barito_market.deletions.scope import DeletionScope
from barito_market.models import App, User
from barito_market.models.base import utc_now
from barito_market.models.governance import DeletionJob, DeletionState
from barito_market.search.engines import SearchEngines
from barito_market.search.log_query import LogSearch

__all__ = ["DeletionRunner", "run_deletions"]

log = logging.getLogger(__name__)

# Batches run per engine between two commits of the progress (and claim renewals).
_BATCHES_PER_STEP = 20


class DeletionRunner:
    """Claims and runs jobs; :func:`run_deletions` drives it until cancelled."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        engines: SearchEngines,
        *,
        index_prefix: str,
        lease: timedelta,
        poll_interval_s: float,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._engines = engines
        self._index_prefix = index_prefix
        self._lease = lease
        self._poll_interval_s = poll_interval_s

    async def claim(self, session: AsyncSession) -> DeletionJob | None:
        """The oldest unfinished job no live claim holds, now claimed by this replica."""
        now = utc_now()
        unclaimed = or_(DeletionJob.claimed_until.is_(None), DeletionJob.claimed_until < now)
        unfinished = DeletionJob.state.in_([DeletionState.QUEUED, DeletionState.RUNNING])
        candidates = await session.scalars(
            select(DeletionJob.id)
            .where(unfinished, unclaimed)
            .order_by(DeletionJob.created_at)
            .limit(5)
        )
        for job_id in list(candidates):
            # The WHERE repeats the test: of two replicas racing, one updates a row.
            claimed = await session.execute(
                update(DeletionJob)
                .where(DeletionJob.id == job_id, unfinished, unclaimed)
                .values(claimed_until=now + self._lease, state=DeletionState.RUNNING)
            )
            await session.commit()
            if getattr(claimed, "rowcount", 0) == 1:
                return await session.get(DeletionJob, job_id, populate_existing=True)
        return None

    async def run_one(self) -> bool:
        """Claim a job and run it to its end (or until an engine stops answering)."""
        async with self._sessionmaker() as session:
            job = await self.claim(session)
            if job is None:
                return False
            try:
                await self._run(session, job)
            except SearchUnavailable as err:
                # The engine may be back soon: the claim lapses and a replica retries.
                log.warning(
                    "A deletion job waits for a search engine.",
                    extra={"ctx": {"job": str(job.id), "error": str(err)}},
                )
            except SearchError as err:
                await self._finish(session, job, error=err.reason or str(err))
            return True

    async def _run(self, session: AsyncSession, job: DeletionJob) -> None:
        app = await session.get(App, job.app_id)
        if app is None:
            return
        engines = await self._engines.for_app(session, app)
        scope = DeletionScope(
            LogSearch(
                index_prefix=app_index_prefix(self._index_prefix, app),
                app_slug=app.slug,
                start=job.start,
                end=job.end,
                text=job.query,
            )
        )
        if job.total is None:
            for engine in engines:
                await engine.refresh(scope.index_pattern)
            job.total = sum(
                [await e.count(scope.index_pattern, query=scope.query()) for e in engines]
            )
            await self._commit(session, job)
        if job.task_id is None:
            progress = await _start(engines, scope, job)
            job.task_id = progress.encode()
            job.deleted = progress.counted
            await self._commit(session, job)
        progress = Progress.decode(job.task_id)
        while True:
            error = await _advance(engines, scope, progress, job)
            job.task_id = progress.encode()
            if error is not None:
                await self._finish(session, job, error=error)
                return
            if all(part == DONE for part in progress.parts):
                await self._finish(session, job, error=None)
                return
            await self._commit(session, job)
            await asyncio.sleep(self._poll_interval_s)

    async def _commit(self, session: AsyncSession, job: DeletionJob) -> None:
        job.claimed_until = utc_now() + self._lease
        await session.commit()

    async def _finish(self, session: AsyncSession, job: DeletionJob, *, error: str | None) -> None:
        job.state = DeletionState.FAILED if error else DeletionState.DONE
        job.error = error
        job.finished_at = utc_now()
        job.claimed_until = None
        app = await session.get(App, job.app_id)
        requester = await session.get(User, job.requested_by) if job.requested_by else None
        # The audit log and the service's log outlive the job; the query may be a secret.
        told_error = without_query(error, job.query)
        audit_log.record(
            session,
            requester,
            "app.deletion.fail" if error else "app.deletion.finish",
            target_kind="app",
            target_id=job.app_id,
            group_id=app.group_id if app else None,
            app=app.slug if app else None,
            job_id=str(job.id),
            start=job.start.isoformat(),
            end=job.end.isoformat(),
            **query_details(job.query),
            count=job.deleted,
            error=told_error,
        )
        await session.commit()
        log.info(
            "A deletion job ended.",
            extra={"ctx": {"job": str(job.id), "deleted": job.deleted, "error": told_error}},
        )


async def _start(
    engines: Sequence[SearchAdapter], scope: DeletionScope, job: DeletionJob
) -> Progress:
    """Drop the indices covered whole, then start deleting the rest on each engine."""
    progress = Progress()
    dropped: list[str] = list(job.dropped_indices)
    for engine in engines:
        for name in scope.whole_indices(await list_app_indices(engine, scope.search.index_prefix)):
            await engine.refresh(name)
            progress.counted += await engine.count(name)
            await engine.delete_indices([name])
            dropped.append(name)
        try:
            progress.parts.append(
                await engine.start_delete_by_query(scope.index_pattern, query=scope.query())
            )
        except DeleteByQueryUnsupported:
            progress.parts.append(BATCH)
    job.dropped_indices = sorted(set(dropped))
    return progress


async def _advance(
    engines: Sequence[SearchAdapter], scope: DeletionScope, progress: Progress, job: DeletionJob
) -> str | None:
    """One step on every engine; sets ``job.deleted``; the engine's reason if one failed."""
    in_tasks = 0
    for position, engine in enumerate(engines):
        part = progress.parts[position] if position < len(progress.parts) else DONE
        if part == DONE:
            continue
        if part == BATCH:
            for _ in range(_BATCHES_PER_STEP):
                deleted = await engine.delete_matching_batch(
                    scope.index_pattern, query=scope.query()
                )
                progress.counted += deleted
                if deleted == 0:
                    progress.parts[position] = DONE
                    break
            continue
        status = await engine.delete_task_status(part)
        in_tasks += status.deleted
        if status.error is not None:
            job.deleted = progress.counted + in_tasks
            return status.error
        if status.completed:
            # Its count is final: keep it, so the task need not be read again.
            progress.counted += status.deleted
            in_tasks -= status.deleted
            progress.parts[position] = DONE
    job.deleted = progress.counted + in_tasks
    return None


async def run_deletions(runner: DeletionRunner, *, poll_interval_s: float) -> None:
    """Run until cancelled: look for a job every ``poll_interval_s`` and run it."""
    while True:
        try:
            while await runner.run_one():
                pass
        except Exception:
            # The database may be briefly away; the next poll tries again.
            log.warning("Could not run deletion jobs.", exc_info=True)
        await asyncio.sleep(poll_interval_s)
