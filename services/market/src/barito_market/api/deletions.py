"""/api/v1/apps/{slug}/deletions: delete an app's logs in a time range, optionally by query."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from barito_market.accounts.access import readable_app, require_role
from barito_market.apps.status import app_index_prefix
from barito_market.deletions import jobs
from barito_market.deletions.scope import DeletionScope
from barito_market.dependencies import CurrentUserDep, SearchEnginesDep, SessionDep, SettingsDep
from barito_market.models import App, Role
from barito_market.schemas.deletions import (
    DeletionCreate,
    DeletionJobPublic,
    DeletionJobsPublic,
    DeletionPreview,
)

__all__ = ["router"]

router = APIRouter(prefix="/apps", tags=["deletions"])

_SCOPE = (
    " The range is start inclusive, end exclusive (an end later than now is taken as now); "
    "the query is the log search's, so exactly what the search shows for the same range "
    "and query is deleted, and never another app's logs."
)
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "The search engine refused the query; the message says why."},
    401: {"description": "Not logged in."},
    403: {"description": "Needs the admin role in the app's group, or a read-only token."},
    404: {"description": "No such app that you can see."},
    422: {
        "description": "Start or end without a time zone, end not after start, start in "
        "the future, or a range over ten years."
    },
    503: {"description": "A search engine holding the app's logs did not answer."},
}


async def _admin_scope(
    slug: str,
    body: DeletionCreate,
    user: CurrentUserDep,
    session: SessionDep,
    settings: SettingsDep,
) -> tuple[App, DeletionScope]:
    """The app (its owners and admins only) and what the request would delete."""
    app = await readable_app(session, user, slug)
    await require_role(session, user, app.group_id, Role.ADMIN)
    scope = jobs.request_scope(
        index_prefix=app_index_prefix(settings.search.index_prefix, app),
        app=app,
        start=body.start,
        end=body.end,
        query=body.query,
    )
    return app, scope


@router.post(
    "/{slug}/deletions/preview",
    response_model=DeletionPreview,
    responses=_ERRORS,
    description="How many events a deletion request would delete now, counted as the log "
    "search counts them, and the daily indices it would drop whole (a range covering their "
    "entire UTC day, without a query). Deletes nothing." + _SCOPE,
)
async def preview_deletion(
    slug: str,
    body: DeletionCreate,
    user: CurrentUserDep,
    session: SessionDep,
    settings: SettingsDep,
    engines: SearchEnginesDep,
) -> Any:
    """Count what a deletion would remove (owners and admins)."""
    app, scope = await _admin_scope(slug, body, user, session, settings)
    return await jobs.preview(await engines.for_app(session, app), scope)


@router.post(
    "/{slug}/deletions",
    response_model=DeletionJobPublic,
    status_code=202,
    responses=_ERRORS,
    description="Queue a job deleting the app's events in a time range (optionally only those "
    "a query matches) on every engine holding them. A market replica runs it in the "
    "background: follow it with GET. Irreversible; audited on request and on completion." + _SCOPE,
)
async def create_deletion(
    slug: str,
    body: DeletionCreate,
    user: CurrentUserDep,
    session: SessionDep,
    settings: SettingsDep,
    engines: SearchEnginesDep,
) -> Any:
    """Queue a deletion of the app's logs (owners and admins)."""
    app, scope = await _admin_scope(slug, body, user, session, settings)
    # A query the engine refuses is refused now, not when the job runs.
    await jobs.preview(await engines.for_app(session, app), scope)
    job = await jobs.create_job(session, user=user, app=app, scope=scope)
    return await jobs.job_public(session, job)


@router.get(
    "/{slug}/deletions",
    response_model=DeletionJobsPublic,
    responses={401: _ERRORS[401], 404: _ERRORS[404]},
    description=f"The app's {jobs.LISTED_JOBS} newest deletion jobs, newest first, with their "
    "progress.",
)
async def list_deletions(slug: str, user: CurrentUserDep, session: SessionDep) -> Any:
    """The app's deletion jobs (any member)."""
    app = await readable_app(session, user, slug)
    return DeletionJobsPublic(
        jobs=[await jobs.job_public(session, job) for job in await jobs.list_jobs(session, app)]
    )


@router.get(
    "/{slug}/deletions/{job_id}",
    response_model=DeletionJobPublic,
    responses={401: _ERRORS[401], 404: {"description": "No such app or job that you can see."}},
    description="One deletion job: its state, total, events deleted so far, dropped indices "
    "and, if it failed, the engine's reason.",
)
async def read_deletion(
    slug: str, job_id: uuid.UUID, user: CurrentUserDep, session: SessionDep
) -> Any:
    """One deletion job of the app (any member)."""
    app = await readable_app(session, user, slug)
    return await jobs.job_public(session, await jobs.read_job(session, app, job_id))
