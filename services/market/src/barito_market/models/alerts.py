"""Alerting: an app group's notification channels, an app's rules, and their history.

Rules and channels hang off their app and group as collections loaded with
them (``App.alert_rules``, ``AppGroup.alert_channels``), because every
publication of an app's profile carries them (``registry.profiles``) and the
profile is built without a database round trip.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    event,
)
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship
from sqlalchemy.orm.attributes import set_committed_value

from barito_common.alerts import AlertChannelKind, AlertSeverity, AlertTransition
from barito_market.models.apps import App
from barito_market.models.base import Base, CreatedMixin, IdMixin, UtcDateTime, utc_now
from barito_market.models.groups import AppGroup

__all__ = ["ALERT_CHANNELS", "ALERT_RULES", "AlertChannel", "AlertHistory", "AlertRule"]

ALERT_RULES = "alert_rules"
ALERT_CHANNELS = "alert_channels"


def _enum(kind: type[Any], length: int) -> Enum:
    return Enum(
        kind, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e]
    )


class AlertChannel(IdMixin, CreatedMixin, Base):
    __tablename__ = "alert_channels"

    group_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("app_groups.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[AlertChannelKind] = mapped_column(_enum(AlertChannelKind, 16))
    # Never a secret: the webhook's URL, the email recipients, PagerDuty's events URL.
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Sealed under the installation key (barito_market.alerts.channels); None for email.
    secret_sealed: Mapped[str | None] = mapped_column(Text, nullable=True, default=None)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, onupdate=utc_now)

    group: Mapped[AppGroup] = relationship(
        backref=backref(
            ALERT_CHANNELS,
            lazy="selectin",
            cascade="all, delete-orphan",
            passive_deletes=True,
            order_by="AlertChannel.created_at",
        )
    )


class AlertRule(IdMixin, CreatedMixin, Base):
    __tablename__ = "alert_rules"
    __table_args__ = (UniqueConstraint("app_id", "name"),)

    app_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("apps.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    # barito_common.alerts.AlertMatch and AlertCondition, as JSON.
    match: Mapped[dict[str, Any]] = mapped_column(JSON)
    condition: Mapped[dict[str, Any]] = mapped_column(JSON)
    severity: Mapped[AlertSeverity] = mapped_column(_enum(AlertSeverity, 16))
    # Ids (as text) of channels of the app's group; a deleted channel is taken out.
    channel_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    renotify_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    muted_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped by every change, so the server drops a state kept for an older version.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, onupdate=utc_now)

    app: Mapped[App] = relationship(
        backref=backref(
            ALERT_RULES,
            lazy="selectin",
            cascade="all, delete-orphan",
            passive_deletes=True,
            order_by="AlertRule.created_at",
        )
    )


class AlertHistory(Base):
    """One transition of a rule (an AlertEvent), kept once: the key is the event's id."""

    __tablename__ = "alert_history"
    __table_args__ = (
        Index("ix_alert_history_app_id_at", "app_id", "at"),
        Index("ix_alert_history_rule_id_at", "rule_id", "at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    app_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("apps.id", ondelete="CASCADE"))
    # No foreign key: the history outlives a deleted rule.
    rule_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    rule_name: Mapped[str] = mapped_column(String(100))
    notification_id: Mapped[str] = mapped_column(String(100))
    transition: Mapped[AlertTransition] = mapped_column(_enum(AlertTransition, 16))
    severity: Mapped[AlertSeverity] = mapped_column(_enum(AlertSeverity, 16))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    count: Mapped[int] = mapped_column(Integer)
    window_s: Mapped[int] = mapped_column(Integer)
    samples: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    muted: Mapped[bool] = mapped_column(Boolean, default=False)
    deliveries: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)


# An app or group made in this process has no rules or channels yet. Saying
# so up front keeps the collections loaded: reading an unloaded one after
# the flush would need a database round trip the profile builder cannot make.
@event.listens_for(App, "init")
def _new_app_has_no_rules(target: App, args: Any, kwargs: Any) -> None:
    set_committed_value(target, ALERT_RULES, [])


@event.listens_for(AppGroup, "init")
def _new_group_has_no_channels(target: AppGroup, args: Any, kwargs: Any) -> None:
    set_committed_value(target, ALERT_CHANNELS, [])
