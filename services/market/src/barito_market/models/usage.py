"""Per-app, per-minute usage roll-ups built from the receiver's and flow's reports."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from barito_market.models.base import Base, IdMixin, UtcDateTime

__all__ = ["UsageMinute"]


class UsageMinute(IdMixin, Base):
    """One app's counts for one UTC minute.

    The receiver and flow count different things about the same events, so
    each writes only its own columns of the one row: received_* and rejected
    from the receiver, indexed_* and dead_lettered from flow. Adding a report
    therefore never counts an event twice across the two sources.
    """

    __tablename__ = "usage_minutes"
    __table_args__ = (UniqueConstraint("app_id", "minute"),)

    app_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("apps.id", ondelete="CASCADE"), index=True
    )
    minute: Mapped[datetime] = mapped_column(UtcDateTime)
    received_events: Mapped[int] = mapped_column(BigInteger, default=0)
    received_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    # {reason: count} of events the receiver refused.
    rejected: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    indexed_events: Mapped[int] = mapped_column(BigInteger, default=0)
    indexed_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    dead_lettered: Mapped[int] = mapped_column(BigInteger, default=0)
