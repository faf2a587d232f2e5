"""App groups, the unit of tenancy, and who belongs to them with which role."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Enum, ForeignKey, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from barito_market.models.base import Base, CreatedMixin, IdMixin, UtcDateTime

__all__ = ["AppGroup", "Membership", "MembershipSource", "Role"]


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"


class MembershipSource(StrEnum):
    MANUAL = "manual"
    # Granted from the provider's groups claim, and taken away by it at the
    # member's next sign-in.
    IDENTITY_PROVIDER = "identity_provider"


class AppGroup(IdMixin, CreatedMixin, Base):
    __tablename__ = "app_groups"

    name: Mapped[str] = mapped_column(String(100))
    # Immutable and unique installation-wide: it appears in URLs and viewer hosts.
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    # The group secret (X-App-Group-Secret) is optional; null until first issued.
    secret_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # [{"hash": ..., "valid_until": ISO-8601}] — see barito_common.schemas.RetiringSecret.
    retiring_secrets: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Bytes the group's indices may hold, set by a superadmin; None: the sum of
    # its apps' capacity templates' storage_quota (barito_market.storage).
    storage_quota_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # When the owners were last told the group passed 80 % of its quota;
    # cleared once it falls back under, so the next crossing tells them again.
    storage_notified_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="group", cascade="all, delete-orphan", passive_deletes=True
    )


class Membership(IdMixin, CreatedMixin, Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("group_id", "user_id"),)

    group_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("app_groups.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    source: Mapped[MembershipSource] = mapped_column(
        Enum(
            MembershipSource,
            native_enum=False,
            length=24,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=MembershipSource.MANUAL,
    )

    group: Mapped[AppGroup] = relationship(back_populates="memberships")
