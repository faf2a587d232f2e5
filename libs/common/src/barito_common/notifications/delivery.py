"""Delivering one notification to one channel: open its secret, hand it to its kind."""

from __future__ import annotations

import logging
from dataclasses import replace

from barito_common.alerts import AlertChannelKind, AlertChannelSpec
from barito_common.kafka.backoff import Backoff
from barito_common.notifications.contract import DeliveryResult, Notification, SecretOpener
from barito_common.notifications.email_channel import send_email
from barito_common.notifications.pagerduty import PAGERDUTY_EVENTS_URL, send_pagerduty
from barito_common.notifications.retry import DEFAULT_BACKOFF, Tries
from barito_common.notifications.slack import send_slack
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
    private_targets: bool,
) -> DeliveryResult:
    """Send ``notification`` through ``channel``, retrying what may pass later.

    Never raises for a failed delivery: the result says what went wrong, in
    words for the UI and the history, without the channel's secret.
    ``backoff`` sets the waits between attempts (tests make them short).
    ``private_targets`` allows URLs on loopback and private networks, which
    an installation refuses by default (:mod:`.targets`).
    """
    try:
        tries = Tries(attempts=attempts, budget_s=budget_s, backoff=backoff)
        result = await _deliver(channel, notification, opener, smtp, tries, private_targets)
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
    tries: Tries,
    private_targets: bool,
) -> DeliveryResult:
    config = channel.config
    match channel.kind:
        case AlertChannelKind.WEBHOOK:
            url = str(config.get("url") or "")
            if not url:
                return DeliveryResult(False, 0, "the webhook channel has no URL")
            secret = _open(channel, opener)
            result = await send_webhook(
                url, notification, secret, tries=tries, private_targets=private_targets
            )
        case AlertChannelKind.SLACK:
            secret = _open(channel, opener)
            result = await send_slack(
                secret, notification, tries=tries, private_targets=private_targets
            )
        case AlertChannelKind.PAGERDUTY:
            secret = _open(channel, opener)
            events_url = str(config.get("events_url") or PAGERDUTY_EVENTS_URL)
            result = await send_pagerduty(
                events_url, notification, secret, tries=tries, private_targets=private_targets
            )
        case AlertChannelKind.EMAIL:
            to = [str(address) for address in config.get("to") or []]
            if not to:
                return DeliveryResult(False, 0, "the email channel has no recipients")
            result = await send_email(to, notification, smtp, tries=tries)
            secret = smtp.password.get_secret_value() if smtp.password else ""
    return _without(result, secret)


def _without(result: DeliveryResult, secret: str) -> DeliveryResult:
    """The result with the secret cut out of its words, should a receiver have echoed it."""
    if result.error is None or not secret or secret not in result.error:
        return result
    return replace(result, error=result.error.replace(secret, "[secret]"))


def _open(channel: AlertChannelSpec, opener: SecretOpener | None) -> str:
    if not channel.secret_sealed:
        raise _Unopened(f"the {channel.kind} channel has no secret")
    if opener is None:
        raise _Unopened("no installation key to open the channel's secret")
    try:
        return opener(channel.secret_sealed)
    except ValueError as err:
        raise _Unopened(str(err)) from err
