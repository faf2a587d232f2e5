"""Single sign-on, token scopes and a readable audit log.

* users: the OpenID provider's issuer and ``sub`` of a single-sign-on user;
* memberships: whether a role was granted by hand or by the provider's claims;
* api_tokens: read-only, and limited to one group;
* sessions: the ID token of a single-sign-on session, for the provider's logout;
* audit_entries: the client's address, and an index to filter by action;
* oidc_logins: logins under way, each state accepted once, by the browser
  that began it.

Existing rows keep what they meant: manual memberships, unlimited tokens.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 16:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("oidc_issuer", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("oidc_subject", sa.String(length=255), nullable=True))
        batch.create_unique_constraint(
            op.f("uq_users_oidc_issuer_oidc_subject"), ["oidc_issuer", "oidc_subject"]
        )
    with op.batch_alter_table("memberships") as batch:
        batch.add_column(
            sa.Column(
                "source",
                sa.Enum(
                    "manual",
                    "identity_provider",
                    name="membershipsource",
                    native_enum=False,
                    length=24,
                ),
                server_default="manual",
                nullable=False,
            )
        )
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(
            sa.Column("read_only", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.add_column(sa.Column("group_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_api_tokens_group_id_app_groups"),
            "app_groups",
            ["group_id"],
            ["id"],
            ondelete="CASCADE",
        )
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("id_token", sa.Text(), nullable=True))
    with op.batch_alter_table("audit_entries") as batch:
        batch.add_column(sa.Column("address", sa.String(length=64), nullable=True))
        batch.create_index(op.f("ix_audit_entries_action"), ["action"], unique=False)
    op.create_table(
        "oidc_logins",
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("browser_hash", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.String(length=128), nullable=False),
        sa.Column("code_verifier", sa.String(length=128), nullable=False),
        sa.Column("next_path", sa.String(length=500), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_logins")),
        sa.UniqueConstraint("state_hash", name=op.f("uq_oidc_logins_state_hash")),
    )
    op.create_index(op.f("ix_oidc_logins_expires_at"), "oidc_logins", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_oidc_logins_expires_at"), table_name="oidc_logins")
    op.drop_table("oidc_logins")
    with op.batch_alter_table("audit_entries") as batch:
        batch.drop_index(op.f("ix_audit_entries_action"))
        batch.drop_column("address")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("id_token")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_constraint(op.f("fk_api_tokens_group_id_app_groups"), type_="foreignkey")
        batch.drop_column("group_id")
        batch.drop_column("read_only")
    with op.batch_alter_table("memberships") as batch:
        batch.drop_column("source")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("uq_users_oidc_issuer_oidc_subject"), type_="unique")
        batch.drop_column("oidc_subject")
        batch.drop_column("oidc_issuer")
