"""Each app group's infrastructure, its components and the provisioning timeline."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from barito_common.schemas import ComponentKind, ComponentState, InfrastructureState, Placement
from barito_market.models.base import Base, CreatedMixin, IdMixin, UtcDateTime, utc_now

__all__ = ["Component", "Infrastructure", "ProvisioningEvent"]


def _enum(cls: type[Any]) -> Enum:
    return Enum(cls, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


class Infrastructure(IdMixin, CreatedMixin, Base):
    """One per app group (architecture §6)."""

    __tablename__ = "infrastructures"

    group_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("app_groups.id", ondelete="CASCADE"), unique=True
    )
    capacity: Mapped[str] = mapped_column(String(32))
    state: Mapped[InfrastructureState] = mapped_column(
        _enum(InfrastructureState), default=InfrastructureState.PENDING
    )
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Chosen by the market with each CREATE/UPDATE: the template's, except that
    # a dedicated group stays dedicated (its logs live on its own cluster).
    placement: Mapped[Placement] = mapped_column(
        _enum(Placement), default=Placement.SHARED, server_default=Placement.SHARED.value
    )
    # ClusterCoordinates as the provisioner last reported them (JSON), from the
    # event that made a dedicated infrastructure ACTIVE on; None before that.
    cluster: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, onupdate=utc_now)

    components: Mapped[list[Component]] = relationship(
        back_populates="infrastructure",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Component.name",
    )


class Component(IdMixin, Base):
    __tablename__ = "components"
    __table_args__ = (UniqueConstraint("infrastructure_id", "name"),)

    infrastructure_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("infrastructures.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[ComponentKind] = mapped_column(_enum(ComponentKind))
    address: Mapped[str | None] = mapped_column(String(255), nullable=True)
    state: Mapped[ComponentState] = mapped_column(_enum(ComponentState))
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, onupdate=utc_now)

    infrastructure: Mapped[Infrastructure] = relationship(back_populates="components")


class ProvisioningEvent(IdMixin, Base):
    """One line of an infrastructure's timeline: a command issued or a state reported."""

    __tablename__ = "provisioning_events"

    infrastructure_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("infrastructures.id", ondelete="CASCADE"), index=True
    )
    command_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    # "command" rows record what the market asked for; "event" rows what the
    # provisioner reported.
    source: Mapped[str] = mapped_column(String(16))
    # The command kind for "command" rows, the reported state for "event" rows.
    state: Mapped[str] = mapped_column(String(32))
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    components: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
