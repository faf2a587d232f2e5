"""The audit log: who changed what, when."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from barito_market.models.base import Base, IdMixin, UtcDateTime, utc_now

__all__ = ["AuditEntry"]


class AuditEntry(IdMixin, Base):
    __tablename__ = "audit_entries"

    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, index=True)
    # The actor's email is copied so the entry still says who after the user is gone.
    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    actor_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    # The client's address, as the market saw it behind its trusted proxies.
    address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_kind: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(64))
    group_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True, index=True)
    # What changed; never a secret, only facts like names, roles and capacity.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
