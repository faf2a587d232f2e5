"""Data governance: an app's redaction rules, deletion jobs, group storage quotas.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "apps",
        sa.Column("redaction_rules", sa.JSON(), nullable=False, server_default=sa.text("'[]'")),
    )
    op.add_column("app_groups", sa.Column("storage_quota_bytes", sa.BigInteger(), nullable=True))
    op.add_column(
        "app_groups",
        sa.Column("storage_notified_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "deletion_jobs",
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("requested_by", sa.Uuid(), nullable=True),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("query", sa.Text(), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "queued",
                "running",
                "done",
                "failed",
                name="deletionstate",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("total", sa.BigInteger(), nullable=True),
        sa.Column("deleted", sa.BigInteger(), nullable=False),
        sa.Column("dropped_indices", sa.JSON(), nullable=False),
        sa.Column("task_id", sa.String(length=200), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_deletion_jobs_app_id_apps"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"],
            ["users.id"],
            name=op.f("fk_deletion_jobs_requested_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deletion_jobs")),
    )
    op.create_index("ix_deletion_jobs_app_id_created_at", "deletion_jobs", ["app_id", "created_at"])
    op.create_table(
        "storage_drops",
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.Column("app_id", sa.Uuid(), nullable=True),
        sa.Column("index", sa.String(length=255), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("documents", sa.BigInteger(), nullable=False),
        sa.Column("dropped_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["app_groups.id"],
            name=op.f("fk_storage_drops_group_id_app_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_storage_drops_app_id_apps"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_storage_drops")),
    )
    op.create_index(
        "ix_storage_drops_group_id_dropped_at", "storage_drops", ["group_id", "dropped_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_storage_drops_group_id_dropped_at", table_name="storage_drops")
    op.drop_table("storage_drops")
    op.drop_index("ix_deletion_jobs_app_id_created_at", table_name="deletion_jobs")
    op.drop_table("deletion_jobs")
    op.drop_column("app_groups", "storage_notified_at")
    op.drop_column("app_groups", "storage_quota_bytes")
    op.drop_column("apps", "redaction_rules")
