"""/api/v1/audit: the audit log, for a group's owners and admins and for superadmins."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from barito_common.errors import ApiError
from barito_market.dependencies import CurrentUserDep, SessionDep
from barito_market.schemas.audit import AuditPage

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("", response_model=AuditPage)
async def list_audit(user: CurrentUserDep, session: SessionDep) -> Any:
    """The audit log, newest first (being built: issue 21)."""
    raise ApiError(501, "not built yet")
