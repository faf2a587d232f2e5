"""/api/v1/apps/{slug}/status: what an app holds, receives and loses."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter

from barito_market.accounts.access import readable_app
from barito_market.apps.status import app_status
from barito_market.dependencies import CurrentUserDep, SearchEnginesDep, SessionDep, SettingsDep
from barito_market.schemas.status import AppStatusPublic

__all__ = ["router"]

router = APIRouter(prefix="/apps", tags=["status"])


@router.get(
    "/{slug}/status",
    response_model=AppStatusPublic,
    responses={
        401: {"description": "Not logged in."},
        404: {"description": "No such app that you can see."},
    },
)
async def read_status(
    slug: str,
    user: CurrentUserDep,
    session: SessionDep,
    settings: SettingsDep,
    engines: SearchEnginesDep,
) -> Any:
    """An app's stored logs (search engine) and its usage over the last hour and day."""
    app = await readable_app(session, user, slug)
    return await app_status(
        session,
        await engines.for_app(session, app),
        app=app,
        search_index_prefix=settings.search.index_prefix,
        now=datetime.now(UTC),
    )
