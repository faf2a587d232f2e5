"""Applied usage keys: each usage report and dead letter is rolled up once.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "applied_usage",
        sa.Column("key", sa.Uuid(), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_applied_usage")),
    )
    op.create_index(
        op.f("ix_applied_usage_applied_at"), "applied_usage", ["applied_at"], unique=False
    )


def downgrade() -> None:
    op.drop_table("applied_usage")
