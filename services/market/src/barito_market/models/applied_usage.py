"""Which usage reports and dead letters the roll-ups already hold (applied once each)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Uuid
from sqlalchemy.orm import Mapped, mapped_column

from barito_market.models.base import Base, UtcDateTime, utc_now

__all__ = ["AppliedUsage"]


class AppliedUsage(Base):
    """One usage report (its ``report_id``) or dead letter already added to a roll-up.

    Kafka delivers at least once, and a producer may send a report again after
    a failed attempt; the key's primary key makes the second application fail
    inside the roll-up's own transaction, so it adds nothing. Rows older than
    the usage topics' retention are pruned: no redelivery can reach that far.
    """

    __tablename__ = "applied_usage"

    key: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    applied_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, index=True)
