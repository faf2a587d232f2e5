"""Log search answers: one page of an app's events and a histogram of the whole match."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

__all__ = ["HistogramBucketPublic", "LogHistogram", "LogHit", "LogSearchPublic"]


class LogHit(BaseModel):
    id: str = Field(
        description="The document's id: <chunk id>-<n>, n its place in its Kafka chunk."
    )
    timestamp: str | None = Field(description="The event's @timestamp as indexed.")
    source: dict[str, Any] = Field(description="The event as indexed (record plus @timestamp).")


class HistogramBucketPublic(BaseModel):
    start: datetime
    count: int


class LogHistogram(BaseModel):
    interval: str = Field(description="Bucket width (e.g. 1m, 30m), chosen for ~60 buckets.")
    buckets: list[HistogramBucketPublic]


class LogSearchPublic(BaseModel):
    total: int = Field(description="Events matching the search in the range, not only this page.")
    page: int
    size: int
    start: datetime
    end: datetime
    hits: list[LogHit]
    histogram: LogHistogram
