"""/api/v1/audit: the audit log, for a group's owners and admins and for superadmins.

Who sees which entries: :mod:`barito_market.audit_views`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from barito_market.audit_views import (
    AuditFilter,
    audit_filter,
    audit_lines,
    audit_page,
    decode_cursor,
)
from barito_market.dependencies import CurrentUserDep, SessionDep
from barito_market.schemas.audit import AuditPage

__all__ = ["router"]

router = APIRouter(prefix="/audit", tags=["audit"])

_SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not logged in."},
    403: {"description": "You are a member of the group, not its owner or admin."},
    404: {"description": "No such group that you can see."},
    422: {"description": "A filter, limit or cursor is not valid; the message names it."},
}


@dataclass(frozen=True)
class _Filters:
    group: str | None
    actor: str | None
    action: str | None
    since: datetime | None
    until: datetime | None


def _filters(
    group: Annotated[
        str | None,
        Query(max_length=63, pattern=_SLUG, description="Only this app group's entries (slug)."),
    ] = None,
    actor: Annotated[
        str | None, Query(max_length=320, description="Only what this email did (exact).")
    ] = None,
    action: Annotated[
        str | None,
        Query(
            max_length=64,
            description="One action (`app.register`), or every action under a prefix ending "
            "in a dot (`app.`).",
        ),
    ] = None,
    since: Annotated[
        datetime | None, Query(description="From this moment on (ISO-8601; UTC without zone).")
    ] = None,
    until: Annotated[
        datetime | None, Query(description="Before this moment (ISO-8601, exclusive).")
    ] = None,
) -> _Filters:
    return _Filters(group, actor, action, since, until)


FiltersDep = Annotated[_Filters, Depends(_filters)]


async def _allowed(filters: FiltersDep, user: CurrentUserDep, session: SessionDep) -> AuditFilter:
    return await audit_filter(
        session,
        user,
        group=filters.group,
        actor=filters.actor,
        action=filters.action,
        since=filters.since,
        until=filters.until,
    )


AllowedDep = Annotated[AuditFilter, Depends(_allowed)]


@router.get("", response_model=AuditPage, responses=_ERRORS)
async def list_audit(
    where: AllowedDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500, description="Entries per page.")] = 100,
    cursor: Annotated[
        str | None,
        Query(max_length=200, description="next_cursor of the previous page (older entries)."),
    ] = None,
) -> Any:
    """One page of the audit log you may read, newest first."""
    after = decode_cursor(cursor) if cursor else None
    return await audit_page(session, where, limit=limit, after=after)


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={
        **_ERRORS,
        200: {
            "content": {"application/x-ndjson": {}},
            "description": "Every matching entry, one AuditEntryPublic JSON a line, newest first.",
        },
    },
)
async def export_audit(where: AllowedDep, request: Request) -> StreamingResponse:
    """Every entry you may read that matches the filters, as an NDJSON download."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return StreamingResponse(
        audit_lines(request.app.state.sessionmaker, where),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": f'attachment; filename="barito-audit-{stamp}.ndjson"'},
    )
