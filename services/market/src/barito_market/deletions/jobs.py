"""Deletion requests: the preview count, creating a job, reading jobs.

Routes call these with the app already checked for the caller's role; the
work itself runs in :mod:`barito_market.deletions.runner`.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from barito_common.errors import ApiError
from barito_common.search import SearchAdapter, SearchRequestError, SearchUnavailable
from barito_common.search.app_indices import list_app_indices
from barito_market import audit_log
from barito_market.deletions.audit_details import query_details
from barito_market.deletions.scope import DeletionScope, LogSearchError
from barito_market.models import App, User
from barito_market.models.base import utc_now
from barito_market.models.governance import DeletionJob, DeletionState
from barito_market.schemas.deletions import DeletionJobPublic, DeletionPreview

__all__ = ["create_job", "job_public", "list_jobs", "preview", "read_job", "request_scope"]


def request_scope(
    *, index_prefix: str, app: App, start: datetime, end: datetime, query: str | None
) -> DeletionScope:
    """The scope of a request, or a 422 naming the field at fault."""
    try:
        return DeletionScope.of(
            index_prefix=index_prefix,
            app_slug=app.slug,
            start=start,
            end=end,
            query=query,
            now=utc_now(),
        )
    except LogSearchError as err:
        raise ApiError(
            422,
            f"{err.field}: {err}",
            details={"errors": [{"loc": ["body", err.field], "msg": str(err)}]},
        ) from err


async def preview(engines: Sequence[SearchAdapter], scope: DeletionScope) -> DeletionPreview:
    """What the request would delete now, counted as the log search counts it.

    A query the engine refuses is a 400 here, before any job exists.
    """
    try:
        counts = await asyncio.gather(
            *(engine.count(scope.index_pattern, query=scope.query()) for engine in engines)
        )
        listed = await asyncio.gather(
            *(list_app_indices(engine, scope.search.index_prefix) for engine in engines)
        )
    except SearchRequestError as err:
        raise ApiError(
            400,
            f"The search engine could not run this query: {err.reason}. Check its syntax "
            "(e.g. balanced parentheses and quotes).",
            code="bad_query",
        ) from err
    except SearchUnavailable as err:
        raise ApiError(
            503,
            "The search engine did not answer; try again shortly.",
            headers={"Retry-After": "5"},
        ) from err
    whole = sorted({name for names in listed for name in scope.whole_indices(names)})
    return DeletionPreview(count=sum(counts), whole_indices=whole)


async def create_job(
    session: AsyncSession, *, user: User, app: App, scope: DeletionScope
) -> DeletionJob:
    """Queue a job and audit the request; commits."""
    job = DeletionJob(
        app_id=app.id,
        requested_by=user.id,
        start=scope.start,
        end=scope.end,
        query=scope.text,
        state=DeletionState.QUEUED,
        deleted=0,
        dropped_indices=[],
    )
    session.add(job)
    await session.flush()
    audit_log.record(
        session,
        user,
        "app.deletion.request",
        target_kind="app",
        target_id=app.id,
        group_id=app.group_id,
        app=app.slug,
        job_id=str(job.id),
        start=scope.start.isoformat(),
        end=scope.end.isoformat(),
        **query_details(scope.text),
    )
    await session.commit()
    # Not refreshed: a replica may claim the job at once, and the answer is
    # the job as it was queued (its state, not the runner's).
    return job


LISTED_JOBS = 100
"""The newest jobs an app's list shows; older ones stay readable by id and in the audit log."""


async def list_jobs(session: AsyncSession, app: App) -> list[DeletionJob]:
    rows = await session.scalars(
        select(DeletionJob)
        .where(DeletionJob.app_id == app.id)
        .order_by(DeletionJob.created_at.desc(), DeletionJob.id)
        .limit(LISTED_JOBS)
    )
    return list(rows)


async def read_job(session: AsyncSession, app: App, job_id: uuid.UUID) -> DeletionJob:
    job = await session.scalar(
        select(DeletionJob).where(DeletionJob.app_id == app.id, DeletionJob.id == job_id)
    )
    if job is None:
        raise ApiError(404, f"No deletion job {job_id} for the app '{app.slug}'.")
    return job


async def job_public(session: AsyncSession, job: DeletionJob) -> DeletionJobPublic:
    email = None
    if job.requested_by is not None:
        email = await session.scalar(select(User.email).where(User.id == job.requested_by))
    return DeletionJobPublic(
        id=job.id,
        state=job.state.value,
        start=job.start,
        end=job.end,
        query=job.query,
        total=job.total,
        deleted=job.deleted,
        dropped_indices=list(job.dropped_indices),
        error=job.error,
        requested_by=email,
        created_at=job.created_at,
        finished_at=job.finished_at,
    )
