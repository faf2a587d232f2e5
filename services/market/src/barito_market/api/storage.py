"""/api/v1/groups/{slug}/storage: a group's storage limit, what it uses, what was dropped."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from barito_market.accounts.access import readable_group
from barito_market.accounts.authentication import require_superadmin
from barito_market.dependencies import (
    CurrentUserDep,
    SearchEnginesDep,
    SessionDep,
    SettingsDep,
    TemplatesDep,
)
from barito_market.models.base import utc_now
from barito_market.schemas.storage import StorageLimitSet, StoragePublic
from barito_market.storage.views import group_storage, set_limit

__all__ = ["router"]

router = APIRouter(prefix="/groups", tags=["storage"])

_SEEN: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not logged in."},
    404: {"description": "No such group that you can see."},
    503: {"description": "A search engine holding the group's logs did not answer."},
}


@router.get(
    "/{group_slug}/storage",
    response_model=StoragePublic,
    responses=_SEEN,
    description="The group's storage limit, the bytes its apps' daily indices hold now "
    "(primary shards), each app's share, and the indices dropped for the limit in the "
    "last 30 days, newest first. At 80 % `warning` is true and the group's alert channels "
    "are told once; over the limit the oldest daily indices are dropped at the next check, "
    "never today's (UTC). Any member of the group; superadmins see every group.",
)
async def get_storage(
    group_slug: str,
    user: CurrentUserDep,
    session: SessionDep,
    engines: SearchEnginesDep,
    templates: TemplatesDep,
    settings: SettingsDep,
) -> Any:
    """A group's storage: limit, use, each app's share and recent drops."""
    group = await readable_group(session, user, group_slug)
    return await group_storage(session, engines, templates, settings, group=group, now=utc_now())


@router.patch(
    "/{group_slug}/storage",
    response_model=StoragePublic,
    responses={**_SEEN, 403: {"description": "Only a superadmin may set a limit."}},
    description="Set the group's storage limit in bytes (primary shards), or with null "
    "return it to the sum of its live apps' capacity templates' storage_quota. Superadmins "
    "only; the next storage check enforces it. Answers as GET does.",
)
async def set_storage_limit(
    group_slug: str,
    body: StorageLimitSet,
    user: CurrentUserDep,
    session: SessionDep,
    engines: SearchEnginesDep,
    templates: TemplatesDep,
    settings: SettingsDep,
) -> Any:
    """Set or clear a group's storage limit (superadmin)."""
    group = await readable_group(session, user, group_slug)
    require_superadmin(user)
    await set_limit(session, user=user, group=group, limit_bytes=body.limit_bytes)
    return await group_storage(session, engines, templates, settings, group=group, now=utc_now())
