"""Forward keys: each app's fluentd forward shared key, sealed under the installation key.

Existing apps have none until an owner or admin makes one.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("apps") as batch:
        batch.add_column(sa.Column("forward_key_sealed", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("apps") as batch:
        batch.drop_column("forward_key_sealed")
