"""What the superadmin sees: every infrastructure, every user, the capacity templates."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from barito_common.capacity import CapacityTemplate
from barito_common.schemas import (
    ClusterCoordinates,
    ComponentKind,
    ComponentState,
    InfrastructureState,
    Placement,
)

__all__ = [
    "AdminUserPublic",
    "AdminUsersPublic",
    "CapacityTemplatesPublic",
    "ComponentPublic",
    "InfrastructureDetail",
    "InfrastructurePublic",
    "InfrastructuresPublic",
    "TimelineEntry",
]


class ComponentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str = Field(description='e.g. "kafka-0".')
    kind: ComponentKind
    address: str | None
    state: ComponentState
    message: str | None
    updated_at: datetime


class InfrastructurePublic(BaseModel):
    id: uuid.UUID
    group: str = Field(description="Slug of the app group it serves.")
    group_name: str
    capacity: str = Field(description="Capacity template it was provisioned with.")
    state: InfrastructureState
    placement: Placement = Field(
        description="shared: the installation's cluster; dedicated: a cluster of the group's "
        "own (a dedicated group stays dedicated when its template shrinks)."
    )
    cluster: ClusterCoordinates | None = Field(
        description="The dedicated cluster's addresses, as the provisioner reported them "
        "from ACTIVE on; null before that and for a shared infrastructure."
    )
    message: str | None
    components: list[ComponentPublic]
    created_at: datetime
    updated_at: datetime


class InfrastructuresPublic(BaseModel):
    data: list[InfrastructurePublic]


class TimelineEntry(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    source: str = Field(
        description='"command": what the market asked; "event": what the provisioner reported.'
    )
    state: str = Field(description="The command's kind, or the state reported.")
    command_id: uuid.UUID
    message: str | None
    components: list[dict[str, Any]] = Field(description="Components as the event reported them.")


class InfrastructureDetail(InfrastructurePublic):
    timeline: list[TimelineEntry] = Field(description="Oldest first.")


class AdminUserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    is_superadmin: bool
    is_active: bool
    created_at: datetime
    groups: int = Field(description="App groups the user belongs to.")


class AdminUsersPublic(BaseModel):
    data: list[AdminUserPublic]


class CapacityTemplatesPublic(BaseModel):
    data: list[CapacityTemplate] = Field(description="Smallest first.")
