"""Delivering alert notifications to a channel: webhook, Slack, email, PagerDuty.

One implementation for the server (which notifies on transitions) and the
market (whose "send test" button sends a sample), so both speak to a
channel the same way. Each delivery carries the notification's id, the same
on every retry, so a receiver can deduplicate.

Example::

    result = await deliver(
        channel, notification, opener=opener, smtp=settings.smtp,
        private_targets=settings.alert_private_targets,
    )
    if not result.delivered: ...
"""

from __future__ import annotations

from barito_common.notifications.contract import (
    DeliveryResult,
    Notification,
    SecretOpener,
)
from barito_common.notifications.delivery import deliver

__all__ = ["DeliveryResult", "Notification", "SecretOpener", "deliver"]
