"""Alert rules and notification channels as they travel, and what the alert evaluator writes.

Written once here because three services share them:

* the **market** keeps rules (per app) and channels (per app group) in its
  database, checks them, and publishes each app's rules with the channels
  they use on the app's profile (``AppProfile.alert_rules`` /
  ``alert_channels``), so the server applies a change within seconds and
  keeps evaluating while the market is down;
* the **server** evaluates the rules on the app's live stream, keeps each
  rule's :class:`RuleState` on the compacted ``<prefix>alerts.state`` topic
  (keyed by rule id; the same topic's partitions decide which server replica
  owns which app, see ``state_partition``) and writes every transition, with
  sample events, as an :class:`AlertEvent` to ``<prefix>alerts.events``;
* the **market** reads those events into the history the API and the web UI
  show.

A channel's secret (the webhook's signing secret, the Slack webhook URL, the
PagerDuty routing key, an SMTP password is not here: SMTP is the
installation's) travels sealed under the installation key
(:mod:`barito_common.installation_key`), never in clear on a topic.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from barito_common.event_filters import BadFilter, EventFilter, parse_filter

__all__ = [
    "MAX_SAMPLE_BYTES",
    "AlertChannelKind",
    "AlertChannelSpec",
    "AlertCondition",
    "AlertConditionKind",
    "AlertEvent",
    "AlertMatch",
    "AlertRuleSpec",
    "AlertSeverity",
    "AlertTransition",
    "RetiredRule",
    "RuleState",
    "RuleStatus",
    "bounded_sample",
    "match_filter",
    "notification_id",
    "state_partition",
]

MIN_WINDOW_S = 10
MAX_WINDOW_S = 24 * 3600
MAX_SAMPLES = 5
# One sample's JSON at most: five whole events of up to the receiver's 1 MiB
# would pass alerts.events' message limit (the firing lost from the history)
# and PagerDuty's 512 KB payload limit (the page refused).
MAX_SAMPLE_BYTES = 8 * 1024
_SAMPLE_TEXT = 1000
_SAMPLE_ITEMS = 20
_SAMPLE_KEPT = ("@timestamp", "level", "severity", "message", "msg", "error")
MAX_MATCH_FIELDS = 20
MAX_MATCH_PART = 1000

NonEmptyStr = Annotated[str, StringConstraints(min_length=1)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AlertMatch(_Frozen):
    """Which events count: the live tail's filter language (``barito_common.event_filters``).

    Every given part must match; none given: every event of the app counts.
    """

    q: str | None = Field(None, description="A substring of the event's JSON line.")
    regex: str | None = Field(None, description="An RE2 regular expression searched in it.")
    level: str | None = Field(None, description="Comma-separated levels, e.g. 'error,fatal'.")
    fields: list[str] = Field(
        default_factory=list, description="name=value pairs; a dotted name reaches nested fields."
    )


class AlertConditionKind(StrEnum):
    ANY = "any"  # fires on a matching event, resolves after a window without one
    THRESHOLD = "threshold"  # at least `count` matching events within `window_s`
    ABSENCE = "absence"  # fewer than `count` matching events within `window_s`


class AlertCondition(_Frozen):
    kind: AlertConditionKind
    count: int = Field(1, ge=1, le=1_000_000, description="N of 'at least / fewer than N'.")
    window_s: int = Field(
        300, ge=MIN_WINDOW_S, le=MAX_WINDOW_S, description="The sliding window W, in seconds."
    )


class AlertSeverity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class AlertChannelKind(StrEnum):
    WEBHOOK = "webhook"  # JSON body, HMAC-SHA256 signature header, notification id
    SLACK = "slack"  # a Slack-compatible incoming webhook
    EMAIL = "email"  # through the installation's SMTP server
    PAGERDUTY = "pagerduty"  # Events API v2 body


class AlertChannelSpec(_Frozen):
    """A notification channel of an app group, as the server needs it to deliver."""

    id: UUID
    name: NonEmptyStr
    kind: AlertChannelKind
    # Not secret: the webhook's URL, the email recipients ({"to": [...]}), the
    # PagerDuty events URL.
    config: dict[str, Any] = Field(default_factory=dict)
    # The webhook's signing secret, the Slack webhook URL or the PagerDuty
    # routing key, sealed under the installation key; None for email.
    secret_sealed: str | None = None


class AlertRuleSpec(_Frozen):
    """One rule of an app, as the server evaluates it."""

    id: UUID
    name: NonEmptyStr
    match: AlertMatch
    condition: AlertCondition
    severity: AlertSeverity
    channel_ids: list[UUID] = Field(default_factory=list)
    renotify_s: int | None = Field(
        None, ge=60, le=7 * 86400, description="Notify again while firing, every this many s."
    )
    muted_until: datetime | None = Field(
        None, description="No notification before this moment (UTC); states still change."
    )
    enabled: bool = True
    # Changes whenever the rule is edited: a state kept for an older version
    # (another threshold, another match) is not carried over.
    revision: int = Field(1, ge=1)


class RuleStatus(StrEnum):
    OK = "ok"
    FIRING = "firing"
    RESOLVED = "resolved"


class AlertTransition(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"
    RENOTIFY = "renotify"


class RetiredRule(_Frozen):
    """A firing rule that left evaluation (deleted or disabled), as it was then.

    Its final resolution goes to these channels, whatever the profile says
    now: a deleted rule is gone from it, a disabled one may have been
    re-routed in the same change. Kept on the rule's state until that
    resolution is delivered, so a replica that takes over sends it.
    """

    spec: AlertRuleSpec
    channels: list[AlertChannelSpec] = Field(default_factory=list)
    app_slug: NonEmptyStr
    group_slug: NonEmptyStr


class RuleState(BaseModel):
    """A rule's state on ``<prefix>alerts.state`` (key: the rule id; a tombstone forgets it)."""

    model_config = ConfigDict(extra="forbid")

    rule_id: UUID
    app_id: NonEmptyStr
    revision: int
    status: RuleStatus
    since: datetime = Field(description="When the rule entered this status (UTC).")
    # The last notification decided, and whether every channel has it: a
    # replica that takes over with `delivered` false sends it again under the
    # same id, which the receiver deduplicates on.
    sequence: int = Field(0, ge=0, description="Number of the last notification decided.")
    last_notified_at: datetime | None = None
    delivered: bool = True
    # Set on the resolution decided when a firing rule was deleted or
    # disabled; cleared by the rule's next decision.
    retired: RetiredRule | None = None


class AlertEvent(BaseModel):
    """A transition of a rule, for the history (``<prefix>alerts.events``, key: the app id)."""

    model_config = ConfigDict(extra="forbid")

    event_id: UUID = Field(description="Idempotency key: the history keeps each once.")
    notification_id: NonEmptyStr = Field(description="What the channels were sent, see below.")
    rule_id: UUID
    rule_name: NonEmptyStr
    app_id: NonEmptyStr
    transition: AlertTransition
    severity: AlertSeverity
    at: datetime = Field(description="When the evaluator decided it (UTC).")
    count: int = Field(ge=0, description="Matching events in the window at that moment.")
    window_s: int
    samples: list[dict[str, Any]] = Field(
        default_factory=list,
        max_length=MAX_SAMPLES,
        description="A few of the events that triggered it, as search shows them; one over "
        "MAX_SAMPLE_BYTES is cut short (see bounded_sample).",
    )
    muted: bool = Field(False, description="Decided while muted: no channel was told.")
    deliveries: dict[str, Literal["delivered", "failed"]] = Field(
        default_factory=dict, description="Per channel id, what became of the notification."
    )


def match_filter(match: AlertMatch) -> EventFilter:
    """The rule's match as a filter, refused (:class:`BadFilter`, naming why) if it would cost
    the evaluator too much on every event of the app."""
    if len(match.fields) > MAX_MATCH_FIELDS:
        raise BadFilter(f"{len(match.fields)} field filters, over the limit of {MAX_MATCH_FIELDS}")
    for part in [match.level or "", *match.fields]:
        if len(part) > MAX_MATCH_PART:
            raise BadFilter(f"{part[:40]!r}... is over the limit of {MAX_MATCH_PART} characters")
    # parse_filter refuses a regex over MAX_REGEX_PROGRAM, as for the tail.
    return parse_filter(
        q=match.q,
        regex=match.regex,
        level=match.level,
        fields=match.fields,
        max_length=MAX_MATCH_PART,
    )


def _cut(value: Any) -> Any:
    if isinstance(value, str) and len(value) > _SAMPLE_TEXT:
        return f"{value[:_SAMPLE_TEXT]}… [{len(value) - _SAMPLE_TEXT} characters cut]"
    if isinstance(value, dict):
        return {k: _cut(v) for k, v in list(value.items())[:_SAMPLE_ITEMS]}
    if isinstance(value, list):
        return [_cut(v) for v in value[:_SAMPLE_ITEMS]]
    return value


def _size(sample: dict[str, Any]) -> int:
    return len(json.dumps(sample, ensure_ascii=False, default=str).encode())


def bounded_sample(sample: dict[str, Any]) -> dict[str, Any]:
    """The event as a notification and the history show it: whole, or within
    ``MAX_SAMPLE_BYTES`` with long texts cut (saying how much) and, if still too
    big, only its timestamp, level and message kept."""
    if _size(sample) <= MAX_SAMPLE_BYTES:
        return sample
    cut = _cut(sample)
    if not isinstance(cut, dict) or _size(cut) > MAX_SAMPLE_BYTES:
        kept = {key: _cut(sample[key]) for key in _SAMPLE_KEPT if key in sample}
        cut = {**kept, "_cut": "the event is too large for an alert; search shows it whole"}
        if _size(cut) > MAX_SAMPLE_BYTES:  # a huge nested message or level
            cut = {"_cut": "the event is too large for an alert; search shows it whole"}
    return cut


def notification_id(rule_id: UUID, sequence: int) -> str:
    """The id a notification carries, the same on every retry and after a takeover."""
    return f"{rule_id}:{sequence}"


def state_partition(app_id: str, partitions: int) -> int:
    """Which partition of ``<prefix>alerts.state`` holds an app's rules' states.

    The server replica assigned that partition (consumer group
    ``<prefix>alerts``) is the only one evaluating the app's rules, so each
    rule is evaluated once however many replicas run. A stable hash, not
    Python's ``hash``, which differs between processes.
    """
    digest = hashlib.sha256(app_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") % partitions
