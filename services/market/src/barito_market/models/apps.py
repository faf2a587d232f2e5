"""Registered applications: each has its own log topic, indices and secret."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, Integer, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from barito_common.schemas import AppStatus
from barito_market.models.base import Base, CreatedMixin, IdMixin, UtcDateTime, utc_now
from barito_market.models.groups import AppGroup

__all__ = ["App"]


class App(IdMixin, CreatedMixin, Base):
    __tablename__ = "apps"
    __table_args__ = (
        # A deleted app keeps its row (its slug names a topic that may still
        # hold logs, so the slug must never be reused) but frees its name.
        Index(
            "uq_apps_group_id_name_live",
            "group_id",
            "name",
            unique=True,
            postgresql_where=text("status <> 'deleted'"),
            sqlite_where=text("status <> 'deleted'"),
        ),
    )

    group_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("app_groups.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    # Unique installation-wide and immutable: it names the Kafka topic and indices.
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    # Name of the capacity template (small, medium, large); a custom events/s
    # keeps the smallest template that fits and sets custom_tps.
    capacity: Mapped[str] = mapped_column(String(32))
    custom_tps: Mapped[int | None] = mapped_column(Integer, nullable=True)
    tps: Mapped[int] = mapped_column(Integer)
    retention_days: Mapped[int] = mapped_column(Integer)
    status: Mapped[AppStatus] = mapped_column(
        Enum(
            AppStatus,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=AppStatus.ACTIVE,
    )
    secret_hash: Mapped[str] = mapped_column(String(64))
    # [{"hash": ..., "valid_until": ISO-8601}] — see barito_common.schemas.RetiringSecret.
    retiring_secrets: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The fluentd forward handshake needs the key itself, not a hash, so it is
    # kept sealed under the installation key (barito_market.apps.forward_keys);
    # never the plain key. None: the app has no forward key.
    forward_key_sealed: Mapped[str | None] = mapped_column(Text, nullable=True, default=None)
    # barito_common.redaction.RedactionRuleSpec dumps, in the order they apply.
    # A list on the app (not a table): every profile publication carries it whole.
    redaction_rules: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, onupdate=utc_now)

    group: Mapped[AppGroup] = relationship()
