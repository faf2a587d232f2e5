"""/api/v1/admin: infrastructures (states, timeline, retry), users, capacity templates.

Superadmins only: anyone else gets 403 (they are logged in, the endpoints
exist, they lack the role), anonymous callers 401.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from barito_market.accounts import users
from barito_market.dependencies import PublisherDep, SessionDep, SuperAdminDep, TemplatesDep
from barito_market.infrastructure import provisioning, views
from barito_market.schemas.admin import (
    AdminUsersPublic,
    CapacityTemplatesPublic,
    InfrastructureDetail,
    InfrastructuresPublic,
)

__all__ = ["router"]

router = APIRouter(prefix="/admin", tags=["admin"])

_ADMIN: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not logged in."},
    403: {"description": "Only a superadmin may do this."},
}
_ONE: dict[int | str, dict[str, Any]] = {
    **_ADMIN,
    404: {"description": "No infrastructure with this id."},
}


@router.get("/infrastructures", response_model=InfrastructuresPublic, responses=_ADMIN)
async def list_infrastructures(_: SuperAdminDep, session: SessionDep) -> Any:
    """Every infrastructure with its components and their states."""
    return await views.list_infrastructures(session)


@router.get(
    "/infrastructures/{infrastructure_id}", response_model=InfrastructureDetail, responses=_ONE
)
async def read_infrastructure(
    infrastructure_id: uuid.UUID, _: SuperAdminDep, session: SessionDep
) -> Any:
    """One infrastructure with its components and its provisioning timeline."""
    return await views.infrastructure_detail(session, infrastructure_id)


@router.post(
    "/infrastructures/{infrastructure_id}/retry",
    response_model=InfrastructureDetail,
    status_code=202,
    responses={
        **_ONE,
        409: {"description": "The infrastructure is not in ERROR; there is nothing to retry."},
        503: {"description": "Kafka did not answer; nothing changed."},
    },
)
async def retry_infrastructure(
    infrastructure_id: uuid.UUID,
    user: SuperAdminDep,
    session: SessionDep,
    publisher: PublisherDep,
    templates: TemplatesDep,
) -> Any:
    """Ask the provisioner to retry a failed infrastructure (a ProvisionCommand of kind retry)."""
    infrastructure, _ = await views.find_infrastructure(session, infrastructure_id)
    await provisioning.retry_infrastructure(
        session, publisher, templates, infrastructure, actor=user
    )
    return await views.infrastructure_detail(session, infrastructure_id)


@router.get("/users", response_model=AdminUsersPublic, responses=_ADMIN)
async def list_users(_: SuperAdminDep, session: SessionDep) -> Any:
    """Every account, with how many app groups each belongs to."""
    return await users.list_users(session)


@router.get("/capacity-templates", response_model=CapacityTemplatesPublic, responses=_ADMIN)
async def list_capacity_templates(_: SuperAdminDep, templates: TemplatesDep) -> Any:
    """The capacity templates apps and infrastructures are sized by, smallest first."""
    return CapacityTemplatesPublic(data=list(templates.values()))
