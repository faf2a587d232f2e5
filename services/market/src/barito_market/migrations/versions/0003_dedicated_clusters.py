"""Dedicated clusters: each infrastructure's placement and its cluster's coordinates.

Existing infrastructures all live on the installation's shared cluster, so
they get ``shared`` and no coordinates.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("infrastructures") as batch:
        batch.add_column(
            sa.Column(
                "placement",
                sa.Enum("shared", "dedicated", name="placement", native_enum=False, length=32),
                server_default="shared",
                nullable=False,
            )
        )
        batch.add_column(sa.Column("cluster", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("infrastructures") as batch:
        batch.drop_column("cluster")
        batch.drop_column("placement")
