"""Data governance: deletion jobs on an app's logs and indices a group's quota dropped."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Enum, ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from barito_market.models.base import Base, CreatedMixin, IdMixin, UtcDateTime

__all__ = ["DeletionJob", "DeletionState", "StorageDrop"]


class DeletionState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class DeletionJob(IdMixin, CreatedMixin, Base):
    """``POST /api/v1/apps/{slug}/deletions``: delete an app's logs in a time range."""

    __tablename__ = "deletion_jobs"
    __table_args__ = (Index("ix_deletion_jobs_app_id_created_at", "app_id", "created_at"),)

    app_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("apps.id", ondelete="CASCADE"))
    requested_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    start: Mapped[datetime] = mapped_column(UtcDateTime)
    end: Mapped[datetime] = mapped_column(UtcDateTime)
    # The log search's query string; None deletes everything in the range.
    query: Mapped[str | None] = mapped_column(Text, nullable=True)
    state: Mapped[DeletionState] = mapped_column(
        Enum(
            DeletionState,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=DeletionState.QUEUED,
    )
    # Events matching when the job started, and deleted so far (whole indices
    # dropped count their documents).
    total: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    deleted: Mapped[int] = mapped_column(BigInteger, default=0)
    # Indices dropped whole because the range covered their day.
    dropped_indices: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The engine's task id while a delete-by-query runs, so a restarted market
    # follows it instead of starting another.
    task_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # A worker's claim on a running job (market replicas share the table).
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class StorageDrop(IdMixin, Base):
    """A daily index removed because its group was over its storage quota."""

    __tablename__ = "storage_drops"
    __table_args__ = (Index("ix_storage_drops_group_id_dropped_at", "group_id", "dropped_at"),)

    group_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("app_groups.id", ondelete="CASCADE")
    )
    app_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("apps.id", ondelete="SET NULL"), nullable=True
    )
    index: Mapped[str] = mapped_column(String(255))
    bytes: Mapped[int] = mapped_column(BigInteger)
    documents: Mapped[int] = mapped_column(BigInteger)
    dropped_at: Mapped[datetime] = mapped_column(UtcDateTime)
