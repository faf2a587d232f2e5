"""Bodies of /api/v1/groups/{slug}/storage: a group's storage limit, use and drops."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["AppStoragePublic", "StorageDropPublic", "StorageLimitSet", "StoragePublic"]


class AppStoragePublic(BaseModel):
    slug: str
    bytes: int = Field(description="Bytes of the app's daily indices (primary shards).")
    indices: int = Field(description="How many daily indices the app has.")


class StorageDropPublic(BaseModel):
    index: str = Field(description="The daily index dropped.")
    app_slug: str | None = Field(description="The app it belonged to.")
    bytes: int = Field(description="Its bytes (primary shards) when dropped.")
    documents: int = Field(description="The logs it held.")
    dropped_at: datetime


class StoragePublic(BaseModel):
    limit_bytes: int = Field(
        description="Bytes the group's indices may hold (primary shards: one copy; the disks "
        "hold each replica too). 0: no limit (no live app of a known template)."
    )
    limit_source: Literal["template", "admin"] = Field(
        description="admin: set by a superadmin; template: the sum of the group's live apps' "
        "capacity templates' storage_quota."
    )
    used_bytes: int = Field(description="Bytes of the group's apps' daily indices now.")
    used_ratio: float = Field(description="used_bytes / limit_bytes (0 without a limit).")
    warning: bool = Field(description="used_ratio is 0.8 or more: the owners have been told.")
    over: bool = Field(
        description="Over the limit: the oldest daily indices are dropped at the next check "
        "(never today's; over with only today's left stays over until tomorrow)."
    )
    apps: list[AppStoragePublic] = Field(description="Each app's share, by slug.")
    drops: list[StorageDropPublic] = Field(
        description="Indices dropped for the limit in the last 30 days, newest first."
    )


class StorageLimitSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit_bytes: Annotated[int, Field(gt=0)] | None = Field(
        description="The group's limit in bytes (primary shards); null: back to the sum of "
        "its apps' templates.",
    )
