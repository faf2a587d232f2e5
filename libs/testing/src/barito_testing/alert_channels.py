"""Channels and notifications to deliver in tests, sealed under a test installation key.

channel = webhook_channel(receiver.url, secret="s3cret")
result = await deliver(channel, sample_notification(), opener=OPENER, smtp=SmtpSettings())
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from barito_common.alerts import (
    AlertChannelKind,
    AlertChannelSpec,
    AlertSeverity,
    AlertTransition,
    notification_id,
)
from barito_common.installation_key import InstallationKey
from barito_common.notifications import Notification

__all__ = [
    "INSTALLATION_KEY",
    "OPENER",
    "email_channel",
    "pagerduty_channel",
    "sample_notification",
    "slack_channel",
    "webhook_channel",
]

INSTALLATION_KEY = InstallationKey("a test installation key, 32+ characters long")
OPENER = INSTALLATION_KEY.open


def _channel(
    kind: AlertChannelKind, config: dict[str, Any], secret: str | None
) -> AlertChannelSpec:
    return AlertChannelSpec(
        id=uuid4(),
        name=f"test {kind}",
        kind=kind,
        config=config,
        secret_sealed=INSTALLATION_KEY.seal(secret) if secret is not None else None,
    )


def webhook_channel(url: str, *, secret: str = "webhook signing secret") -> AlertChannelSpec:
    return _channel(AlertChannelKind.WEBHOOK, {"url": url}, secret)


def slack_channel(webhook_url: str) -> AlertChannelSpec:
    return _channel(AlertChannelKind.SLACK, {}, webhook_url)


def pagerduty_channel(events_url: str, *, routing_key: str = "R0UT1NGKEY") -> AlertChannelSpec:
    return _channel(AlertChannelKind.PAGERDUTY, {"events_url": events_url}, routing_key)


def email_channel(*to: str) -> AlertChannelSpec:
    return _channel(AlertChannelKind.EMAIL, {"to": list(to)}, None)


def sample_notification(
    *,
    transition: AlertTransition = AlertTransition.FIRING,
    severity: AlertSeverity = AlertSeverity.CRITICAL,
    sequence: int = 1,
    samples: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> Notification:
    rule_id = fields.pop("rule_id", uuid4())
    defaults: dict[str, Any] = {
        "id": notification_id(rule_id, sequence),
        "rule_id": str(rule_id),
        "rule_name": "checkout errors",
        "app": "checkout",
        "group": "shop",
        "transition": transition,
        "severity": severity,
        "at": datetime(2026, 12, 5, 16, 0, tzinfo=UTC),
        "count": 12,
        "window_s": 300,
        "samples": samples
        if samples is not None
        else [
            {"@timestamp": "2026-12-05T15:59:58Z", "level": "error", "message": "payment failed"},
        ],
        "url": "https://barito.example/apps/checkout/alerts",
    }
    return Notification(**(defaults | fields))
