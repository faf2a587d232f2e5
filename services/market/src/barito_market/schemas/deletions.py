"""Deletion requests and jobs: ``/api/v1/apps/{slug}/deletions``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["DeletionCreate", "DeletionJobPublic", "DeletionJobsPublic", "DeletionPreview"]


class DeletionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: datetime = Field(description="Start of the range, inclusive, with a time zone.")
    end: datetime = Field(
        description="End of the range, exclusive, with a time zone; a later end than now "
        "is taken as now (events arriving later are not deleted)."
    )
    query: str | None = Field(
        None,
        max_length=4000,
        description="The log search's query-string syntax (e.g. `level:debug`); only the "
        "events it matches in the range are deleted. Empty deletes the whole range.",
    )


class DeletionPreview(BaseModel):
    count: int = Field(description="Events the request would delete now (what search counts).")
    whole_indices: list[str] = Field(
        description="Daily indices the range covers entirely (no query): dropped whole."
    )


class DeletionJobPublic(BaseModel):
    id: uuid.UUID
    state: Literal["queued", "running", "done", "failed"]
    start: datetime
    end: datetime = Field(description="Exclusive; never later than when it was requested.")
    query: str | None
    total: int | None = Field(description="Events matching when the job started; null before.")
    deleted: int = Field(description="Events deleted so far (dropped indices included).")
    dropped_indices: list[str]
    error: str | None = Field(description="Why the job failed (the engine's reason).")
    requested_by: str | None = Field(description="The requester's email, if still a user.")
    created_at: datetime
    finished_at: datetime | None


class DeletionJobsPublic(BaseModel):
    jobs: list[DeletionJobPublic] = Field(description="Newest first, at most the 100 newest.")
