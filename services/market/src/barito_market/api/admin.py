"""/api/v1/admin: infrastructures (states, timeline, retry), users, capacity templates.

Superadmins only: anyone else gets 403 (they are logged in, the endpoints
exist, they lack the role), anonymous callers 401.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from barito_common.errors import ApiError
from barito_common.schemas import InfrastructureState, ProvisionCommandKind
from barito_market.access import SuperAdmin
from barito_market.db import DbSession
from barito_market.dependencies import PublisherDep, TemplatesDep
from barito_market.models import AppGroup, Infrastructure, Membership, ProvisioningEvent, User
from barito_market.provisioning import issue_command
from barito_market.schemas.admin import (
    AdminUserPublic,
    AdminUsersPublic,
    CapacityTemplatesPublic,
    ComponentPublic,
    InfrastructureDetail,
    InfrastructurePublic,
    InfrastructuresPublic,
    TimelineEntry,
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


def _public(infrastructure: Infrastructure, group: AppGroup) -> dict[str, Any]:
    return {
        "id": infrastructure.id,
        "group": group.slug,
        "group_name": group.name,
        "capacity": infrastructure.capacity,
        "state": infrastructure.state,
        "placement": infrastructure.placement,
        "cluster": infrastructure.cluster,
        "message": infrastructure.message,
        "components": [ComponentPublic.model_validate(c) for c in infrastructure.components],
        "created_at": infrastructure.created_at,
        "updated_at": infrastructure.updated_at,
    }


async def _infrastructure(session: DbSession, infrastructure_id: uuid.UUID) -> Infrastructure:
    infrastructure = await session.scalar(
        select(Infrastructure)
        .options(selectinload(Infrastructure.components))
        .where(Infrastructure.id == infrastructure_id)
    )
    if infrastructure is None:
        raise ApiError(404, f"No infrastructure with id {infrastructure_id}.")
    return infrastructure


@router.get("/infrastructures", response_model=InfrastructuresPublic, responses=_ADMIN)
async def list_infrastructures(_: SuperAdmin, session: DbSession) -> Any:
    """Every infrastructure with its components and their states."""
    rows = await session.execute(
        select(Infrastructure, AppGroup)
        .join(AppGroup, AppGroup.id == Infrastructure.group_id)
        .options(selectinload(Infrastructure.components))
        .order_by(AppGroup.slug)
    )
    return InfrastructuresPublic(
        data=[InfrastructurePublic(**_public(infra, group)) for infra, group in rows.all()]
    )


@router.get(
    "/infrastructures/{infrastructure_id}", response_model=InfrastructureDetail, responses=_ONE
)
async def read_infrastructure(
    infrastructure_id: uuid.UUID, _: SuperAdmin, session: DbSession
) -> Any:
    """One infrastructure with its components and its provisioning timeline."""
    infrastructure = await _infrastructure(session, infrastructure_id)
    group = await session.get(AppGroup, infrastructure.group_id)
    assert group is not None  # the foreign key cascades deletes
    timeline = await session.scalars(
        select(ProvisioningEvent)
        .where(ProvisioningEvent.infrastructure_id == infrastructure.id)
        .order_by(ProvisioningEvent.at, ProvisioningEvent.source)
    )
    return InfrastructureDetail(
        **_public(infrastructure, group),
        timeline=[TimelineEntry.model_validate(line) for line in timeline],
    )


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
    user: SuperAdmin,
    session: DbSession,
    publisher: PublisherDep,
    templates: TemplatesDep,
) -> Any:
    """Ask the provisioner to retry a failed infrastructure (a ProvisionCommand of kind retry)."""
    infrastructure = await _infrastructure(session, infrastructure_id)
    if infrastructure.state != InfrastructureState.ERROR:
        raise ApiError(
            409,
            f"This infrastructure is {infrastructure.state.value}, not ERROR: only a failed "
            "infrastructure can be retried.",
        )
    template = templates.get(infrastructure.capacity)
    if template is None:
        raise ApiError(
            409,
            f"The capacity template {infrastructure.capacity!r} no longer exists; "
            "resize an app of the group to pick a current one.",
        )
    # PENDING until the provisioner reports: a second retry meanwhile gets 409.
    infrastructure.state = InfrastructureState.PENDING
    infrastructure.message = "retry requested"
    # Published before the commit: if Kafka refuses, nothing is kept (503).
    await issue_command(
        session, publisher, infrastructure, ProvisionCommandKind.RETRY, template, actor=user
    )
    await session.commit()
    return await read_infrastructure(infrastructure_id, user, session)


@router.get("/users", response_model=AdminUsersPublic, responses=_ADMIN)
async def list_users(_: SuperAdmin, session: DbSession) -> Any:
    """Every account, with how many app groups each belongs to."""
    groups = (
        select(Membership.user_id, func.count().label("groups"))
        .group_by(Membership.user_id)
        .subquery()
    )
    rows = await session.execute(
        select(User, func.coalesce(groups.c.groups, 0))
        .outerjoin(groups, groups.c.user_id == User.id)
        .order_by(User.email)
    )
    return AdminUsersPublic(
        data=[
            AdminUserPublic(
                id=user.id,
                email=user.email,
                is_superadmin=user.is_superadmin,
                is_active=user.is_active,
                created_at=user.created_at,
                groups=count,
            )
            for user, count in rows.all()
        ]
    )


@router.get("/capacity-templates", response_model=CapacityTemplatesPublic, responses=_ADMIN)
async def list_capacity_templates(_: SuperAdmin, templates: TemplatesDep) -> Any:
    """The capacity templates apps and infrastructures are sized by, smallest first."""
    return CapacityTemplatesPublic(data=list(templates.values()))
