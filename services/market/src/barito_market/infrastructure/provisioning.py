"""Asking the provisioner for infrastructure: one per app group (architecture §6).

A group gets its Infrastructure row (PENDING) and a CREATE command with its
first app; when the largest template its apps need changes, an UPDATE.
Each command carries the infrastructure's placement, decided here
(:func:`barito_market.groups.cluster.placement_for`) and kept on the row, and is also a line of
the infrastructure's timeline.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from barito_common.capacity import CapacityTemplate
from barito_common.errors import ApiError
from barito_common.schemas import (
    AppStatus,
    InfrastructureState,
    ProvisionCommand,
    ProvisionCommandKind,
)
from barito_market import audit_log
from barito_market.groups.cluster import placement_for
from barito_market.models import App, AppGroup, Infrastructure, ProvisioningEvent, User
from barito_market.registry.publisher import Publisher

__all__ = ["group_template", "issue_command", "retry_infrastructure", "sync_group_capacity"]


def group_template(
    templates: Mapping[str, CapacityTemplate], capacities: list[str]
) -> CapacityTemplate | None:
    """The largest template any of the group's apps needs (none without apps)."""
    needed = [templates[name] for name in capacities if name in templates]
    return max(needed, key=lambda t: t.events_per_second, default=None)


async def issue_command(
    session: AsyncSession,
    publisher: Publisher,
    infrastructure: Infrastructure,
    kind: ProvisionCommandKind,
    template: CapacityTemplate,
    *,
    actor: User | None,
) -> ProvisionCommand:
    now = datetime.now(UTC)
    command = ProvisionCommand(
        command_id=uuid.uuid4(),
        kind=kind,
        infrastructure_id=str(infrastructure.id),
        group_id=str(infrastructure.group_id),
        capacity=template.name,
        template=template.model_dump(mode="json"),
        placement=infrastructure.placement,
        issued_at=now,
    )
    session.add(
        ProvisioningEvent(
            infrastructure_id=infrastructure.id,
            command_id=command.command_id,
            source="command",
            state=kind.value,
            message=f"{kind.value} with capacity {template.name}, "
            f"{infrastructure.placement.value} placement",
            at=now,
        )
    )
    audit_log.record(
        session,
        actor,
        f"infrastructure.{kind.value}",
        target_kind="infrastructure",
        target_id=infrastructure.id,
        group_id=infrastructure.group_id,
        capacity=template.name,
        placement=infrastructure.placement.value,
        command_id=str(command.command_id),
    )
    await publisher.publish_command(command)
    return command


async def sync_group_capacity(
    session: AsyncSession,
    publisher: Publisher,
    templates: Mapping[str, CapacityTemplate],
    group: AppGroup,
    *,
    actor: User | None,
) -> Infrastructure | None:
    """Create the group's infrastructure, or resize it, to fit its live apps."""
    capacities = list(
        await session.scalars(
            select(App.capacity).where(App.group_id == group.id, App.status != AppStatus.DELETED)
        )
    )
    template = group_template(templates, capacities)
    infrastructure = await session.scalar(
        select(Infrastructure).where(Infrastructure.group_id == group.id)
    )
    if template is None:
        return infrastructure
    placement = placement_for(template, infrastructure)
    if infrastructure is None:
        infrastructure = Infrastructure(
            group_id=group.id,
            capacity=template.name,
            state=InfrastructureState.PENDING,
            placement=placement,
        )
        session.add(infrastructure)
        await session.flush()
        await issue_command(
            session, publisher, infrastructure, ProvisionCommandKind.CREATE, template, actor=actor
        )
    elif infrastructure.capacity != template.name or infrastructure.placement != placement:
        infrastructure.capacity = template.name
        infrastructure.placement = placement
        await issue_command(
            session, publisher, infrastructure, ProvisionCommandKind.UPDATE, template, actor=actor
        )
    return infrastructure


async def retry_infrastructure(
    session: AsyncSession,
    publisher: Publisher,
    templates: Mapping[str, CapacityTemplate],
    infrastructure: Infrastructure,
    *,
    actor: User,
) -> None:
    """Ask the provisioner to retry a failed infrastructure (a command of kind retry)."""
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
        session, publisher, infrastructure, ProvisionCommandKind.RETRY, template, actor=actor
    )
    await session.commit()
