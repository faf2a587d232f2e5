"""Delivering one notification to one channel: open its secret, hand it to its kind."""

from __future__ import annotations

import logging

from barito_common.alerts import AlertChannelKind, AlertChannelSpec
from barito_common.kafka.backoff import Backoff
from barito_common.notifications.contract import DeliveryResult, Notification, SecretOpener
from barito_common.notifications.retry import DEFAULT_BACKOFF
from barito_common.notifications.webhook import send_webhook
from barito_common.settings import SmtpSettings

__all__ = ["deliver"]

log = logging.getLogger(__name__)


class _Unopened(Exception):
    """The channel's secret is missing or does not open; the message says which."""


async def deliver(
    channel: AlertChannelSpec,
    notification: Notification,
    *,
    opener: SecretOpener | None,
    smtp: SmtpSettings,
    attempts: int = 6,
    budget_s: float = 120.0,
    backoff: Backoff = DEFAULT_BACKOFF,
) -> DeliveryResult:
    """Send ``notification`` through ``channel``, retrying what may pass later.

    Never raises for a failed delivery: the result says what went wrong, in
    words for the UI and the history, without the channel's secret.
    ``backoff`` sets the waits between attempts (tests make them short).
    """
    try:
        result = await _deliver(channel, notification, opener, smtp, attempts, budget_s, backoff)
    except _Unopened as err:
        result = DeliveryResult(delivered=False, attempts=0, error=str(err))
    if not result.delivered:
        log.warning(
            "An alert notification was not delivered.",
            extra={
                "ctx": {
                    "channel_id": str(channel.id),
                    "kind": str(channel.kind),
                    "notification_id": notification.id,
                    "attempts": result.attempts,
                    "error": result.error,
                }
            },
        )
    return result


async def _deliver(
    channel: AlertChannelSpec,
    notification: Notification,
    opener: SecretOpener | None,
    smtp: SmtpSettings,
    attempts: int,
    budget_s: float,
    backoff: Backoff,
) -> DeliveryResult:
    if channel.kind is AlertChannelKind.WEBHOOK:
        url = str(channel.config.get("url") or "")
        if not url:
            return DeliveryResult(False, 0, "the webhook channel has no URL")
        secret = _open(channel, opener)
        return await send_webhook(
            url, notification, secret, attempts=attempts, budget_s=budget_s, backoff=backoff
        )
    return DeliveryResult(False, 0, f"channel kind {channel.kind} cannot deliver yet")


def _open(channel: AlertChannelSpec, opener: SecretOpener | None) -> str:
    if not channel.secret_sealed:
        raise _Unopened(f"the {channel.kind} channel has no secret")
    if opener is None:
        raise _Unopened("no installation key to open the channel's secret")
    try:
        return opener(channel.secret_sealed)
    except ValueError as err:
        raise _Unopened(str(err)) from err
