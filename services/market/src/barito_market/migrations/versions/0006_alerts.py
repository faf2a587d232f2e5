"""Alerting: an app group's notification channels, an app's rules and their history.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 16:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=16)


_SEVERITY = ("info", "warning", "critical")


def upgrade() -> None:
    op.create_table(
        "alert_channels",
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "kind",
            _enum("alertchannelkind", "webhook", "slack", "email", "pagerduty"),
            nullable=False,
        ),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("secret_sealed", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["app_groups.id"],
            name=op.f("fk_alert_channels_group_id_app_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_channels")),
    )
    op.create_index(
        op.f("ix_alert_channels_group_id"), "alert_channels", ["group_id"], unique=False
    )
    op.create_table(
        "alert_rules",
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("match", sa.JSON(), nullable=False),
        sa.Column("condition", sa.JSON(), nullable=False),
        sa.Column("severity", _enum("alertseverity", *_SEVERITY), nullable=False),
        sa.Column("channel_ids", sa.JSON(), nullable=False),
        sa.Column("renotify_s", sa.Integer(), nullable=True),
        sa.Column("muted_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_alert_rules_app_id_apps"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_rules")),
        sa.UniqueConstraint("app_id", "name", name=op.f("uq_alert_rules_app_id_name")),
    )
    op.create_index(op.f("ix_alert_rules_app_id"), "alert_rules", ["app_id"], unique=False)
    op.create_table(
        "alert_history",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("rule_id", sa.Uuid(), nullable=False),
        sa.Column("rule_name", sa.String(length=100), nullable=False),
        sa.Column("notification_id", sa.String(length=100), nullable=False),
        sa.Column(
            "transition", _enum("alerttransition", "firing", "resolved", "renotify"), nullable=False
        ),
        sa.Column("severity", _enum("alertseverity", *_SEVERITY), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("window_s", sa.Integer(), nullable=False),
        sa.Column("samples", sa.JSON(), nullable=False),
        sa.Column("muted", sa.Boolean(), nullable=False),
        sa.Column("deliveries", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_alert_history_app_id_apps"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_history")),
    )
    op.create_index("ix_alert_history_app_id_at", "alert_history", ["app_id", "at"], unique=False)
    op.create_index("ix_alert_history_rule_id_at", "alert_history", ["rule_id", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_alert_history_rule_id_at", table_name="alert_history")
    op.drop_index("ix_alert_history_app_id_at", table_name="alert_history")
    op.drop_table("alert_history")
    op.drop_index(op.f("ix_alert_rules_app_id"), table_name="alert_rules")
    op.drop_table("alert_rules")
    op.drop_index(op.f("ix_alert_channels_group_id"), table_name="alert_channels")
    op.drop_table("alert_channels")
