"""What a channel is given to deliver, and what it answers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from barito_common.alerts import AlertSeverity, AlertTransition

__all__ = ["DeliveryResult", "Notification", "SecretOpener"]

# Opens a channel's sealed secret (barito_common.installation_key); raises
# ValueError naming the problem when it cannot (no key, another key).
SecretOpener = Callable[[str], str]


@dataclass(frozen=True)
class Notification:
    id: str  # barito_common.alerts.notification_id: the receiver's deduplication key
    rule_id: str
    rule_name: str
    app: str  # the app's slug
    group: str  # the group's slug
    transition: AlertTransition
    severity: AlertSeverity
    at: datetime
    count: int
    window_s: int
    samples: list[dict[str, Any]] = field(default_factory=list)
    url: str | None = None  # the app's alerts page in the web UI, when known
    test: bool = False  # sent by "send test", not by a rule


@dataclass(frozen=True)
class DeliveryResult:
    delivered: bool
    attempts: int
    # Why not, in words for the UI and the history: "HTTP 500 from https://…
    # after 6 attempts", "no installation key to open the channel's secret".
    error: str | None = None
