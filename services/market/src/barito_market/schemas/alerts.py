"""Bodies of the alerting API: a group's notification channels, an app's rules, their history."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from barito_common.alerts import (
    AlertChannelKind,
    AlertCondition,
    AlertMatch,
    AlertSeverity,
    AlertTransition,
    RuleStatus,
)
from barito_market.schemas.display_names import DisplayName

__all__ = [
    "ChannelCreate",
    "ChannelCreated",
    "ChannelPatch",
    "ChannelPublic",
    "ChannelTestResult",
    "ChannelsPublic",
    "HistoryEntryPublic",
    "HistoryPage",
    "RuleCreate",
    "RulePatch",
    "RulePublic",
    "RulesPublic",
]

Name = DisplayName


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChannelCreate(_Body):
    name: Name
    kind: AlertChannelKind
    config: dict[str, Any] = Field(
        default_factory=dict,
        description="webhook: {url}; slack: {}; email: {to: [addresses]}; pagerduty: "
        "{events_url?} (default: PagerDuty's Events API v2).",
    )
    secret: str | None = Field(
        None,
        max_length=2000,
        description="slack: the incoming webhook URL; pagerduty: the routing key; webhook: "
        "leave out and the market makes the signing secret (shown once); email: none.",
    )


class ChannelPatch(_Body):
    name: Name | None = None
    config: dict[str, Any] | None = None
    secret: str | None = Field(None, max_length=2000)


class ChannelPublic(BaseModel):
    id: uuid.UUID
    group: str = Field(description="Slug of the app group it belongs to.")
    name: str
    kind: AlertChannelKind
    config: dict[str, Any] = Field(description="Never a secret.")
    has_secret: bool
    created_at: datetime


class ChannelCreated(ChannelPublic):
    signing_secret: str | None = Field(
        description="webhook: the HMAC-SHA256 key the receiver checks signatures with, shown "
        "this once; None for other kinds."
    )


class ChannelsPublic(BaseModel):
    data: list[ChannelPublic]


class ChannelTestResult(BaseModel):
    delivered: bool
    attempts: int
    error: str | None = Field(description="Why not, in words; None when delivered.")


class RuleCreate(_Body):
    name: Name
    match: AlertMatch = Field(default_factory=AlertMatch)
    condition: AlertCondition
    severity: AlertSeverity = AlertSeverity.WARNING
    channel_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=10, description="Channels of the app's group."
    )
    renotify_s: int | None = Field(None, ge=60, le=7 * 86400)
    muted_until: datetime | None = None
    enabled: bool = True


class RulePatch(_Body):
    name: Name | None = None
    match: AlertMatch | None = None
    condition: AlertCondition | None = None
    severity: AlertSeverity | None = None
    channel_ids: list[uuid.UUID] | None = Field(None, max_length=10)
    renotify_s: int | None = Field(None, ge=60, le=7 * 86400)
    muted_until: datetime | None = None
    enabled: bool | None = None


class RulePublic(BaseModel):
    id: uuid.UUID
    app: str = Field(description="Slug of the app.")
    name: str
    match: AlertMatch
    condition: AlertCondition
    severity: AlertSeverity
    channel_ids: list[uuid.UUID]
    renotify_s: int | None
    muted_until: datetime | None
    enabled: bool
    status: RuleStatus = Field(description="As of the latest transition in the history.")
    created_at: datetime
    updated_at: datetime


class RulesPublic(BaseModel):
    data: list[RulePublic]


class HistoryEntryPublic(BaseModel):
    id: uuid.UUID
    rule_id: uuid.UUID
    rule_name: str
    transition: AlertTransition
    severity: AlertSeverity
    at: datetime
    count: int
    window_s: int
    samples: list[dict[str, Any]]
    muted: bool
    deliveries: dict[str, Literal["delivered", "failed"]]


class HistoryPage(BaseModel):
    data: list[HistoryEntryPublic] = Field(description="Newest first.")
    next_cursor: str | None
