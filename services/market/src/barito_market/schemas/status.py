"""The status page of an app: what it holds, what it receives, what it loses."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

__all__ = ["AppStatusPublic", "StoredLogs", "UsagePoint"]


class UsagePoint(BaseModel):
    start: datetime = Field(description="Start of the bucket (UTC).")
    seconds: int = Field(description="Length of the bucket.")
    received_events: int = Field(description="Events the receiver accepted in the bucket.")
    indexed_events: int = Field(description="Events flow indexed in the bucket.")
    rejected: int = Field(description="Events the receiver refused in the bucket, all reasons.")
    dead_lettered: int = Field(description="Events flow could not index in the bucket.")
    events_per_second: float = Field(description="received_events / seconds.")


class StoredLogs(BaseModel):
    """Counted by the search engine now."""

    log_count: int = Field(description="Documents of this app in its indices (engine count).")
    bytes_stored: int = Field(
        description="Store size of the app's daily indices, primary shards only (index stats)."
    )
    indices: int = Field(description="How many daily indices the app has.")


class AppStatusPublic(BaseModel):
    """Usage numbers come from the market's per-minute roll-ups of the receiver's and
    flow's usage reports and of the dead-letter topic; stored numbers from the engine."""

    slug: str
    stored: StoredLogs | None = Field(
        description="From the search engine; null when it did not answer (see stored_error)."
    )
    stored_error: str | None = Field(
        default=None, description="Why the stored numbers are missing, if they are."
    )
    events_per_second: float = Field(
        description="Events received in the last complete minute / 60 (usage roll-ups)."
    )
    indexed_per_second: float = Field(
        description="Events indexed in the last complete minute / 60 (usage roll-ups)."
    )
    received_events_24h: int = Field(description="Events received in the last 24 hours.")
    received_bytes_24h: int = Field(description="Bytes received in the last 24 hours.")
    indexed_events_24h: int = Field(description="Events indexed in the last 24 hours.")
    rejected_24h: dict[str, int] = Field(
        description="Events the receiver refused in the last 24 hours, by reason."
    )
    dead_lettered_24h: int = Field(
        description="Events sent to the dead-letter topic in the last 24 hours (counted from "
        "that topic)."
    )
    last_hour: list[UsagePoint] = Field(
        description="60 one-minute points; the last is the minute in progress."
    )
    last_day: list[UsagePoint] = Field(
        description="96 quarter-hour points; the last holds the minute in progress."
    )
    generated_at: datetime
