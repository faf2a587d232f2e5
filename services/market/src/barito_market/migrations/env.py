"""Alembic's environment: runs on the connection barito_market.migrations hands it."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from barito_market.models import Base

connection: Connection | None = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "run migrations through barito_market.migrations.upgrade/downgrade, "
        "which hand Alembic an open connection"
    )

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
