"""The webhook channel: the notification as JSON, signed with the channel's secret.

Each request is a POST with ``Content-Type: application/json`` and:

* ``X-Barito-Notification-Id`` — the notification's id, the same on every
  retry (and after a server takeover): deduplicate on it;
* ``X-Barito-Timestamp`` — the attempt's time, Unix seconds;
* ``X-Barito-Signature`` — ``sha256=<hex>``, the HMAC-SHA256 of
  ``"<timestamp>.<body bytes>"`` keyed with the channel's signing secret.

A receiver verifies the signature over the raw body bytes (before parsing
the JSON), compares it in constant time, and refuses a timestamp more than
five minutes from its own clock, so a captured request cannot be replayed
later::

    import hashlib, hmac, time

    def verify(secret: str, headers, body: bytes, tolerance_s: int = 300) -> bool:
        timestamp = headers["X-Barito-Timestamp"]
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance_s:
            return False
        signed = timestamp.encode() + b"." + body
        expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        given = headers["X-Barito-Signature"].removeprefix("sha256=")
        return hmac.compare_digest(expected, given)

The body (see :func:`notification_body`)::

    {"id": "<rule id>:<sequence>", "rule": {"id": "...", "name": "..."},
     "app": "checkout", "group": "shop", "transition": "firing",
     "severity": "critical", "at": "2026-12-05T16:00:00Z", "count": 12,
     "window_s": 300, "samples": [{...}], "url": "https://...", "test": false}
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

from barito_common.notifications.contract import DeliveryResult, Notification
from barito_common.notifications.http_post import post_json
from barito_common.notifications.retry import Tries

__all__ = [
    "ID_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "TIMESTAMP_TOLERANCE_S",
    "notification_body",
    "send_webhook",
    "sign",
    "verify_signature",
]

ID_HEADER = "X-Barito-Notification-Id"
TIMESTAMP_HEADER = "X-Barito-Timestamp"
SIGNATURE_HEADER = "X-Barito-Signature"
TIMESTAMP_TOLERANCE_S = 300


def notification_body(notification: Notification) -> dict[str, Any]:
    """The notification as the webhook's JSON body."""
    return {
        "id": notification.id,
        "rule": {"id": notification.rule_id, "name": notification.rule_name},
        "app": notification.app,
        "group": notification.group,
        "transition": str(notification.transition),
        "severity": str(notification.severity),
        "at": notification.at.isoformat().replace("+00:00", "Z"),
        "count": notification.count,
        "window_s": notification.window_s,
        "samples": notification.samples,
        "url": notification.url,
        "test": notification.test,
    }


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Barito-Signature`` value of ``body`` sent at ``timestamp``."""
    signed = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def verify_signature(
    secret: str,
    *,
    timestamp: str,
    body: bytes,
    signature: str,
    now: float | None = None,
    tolerance_s: int = TIMESTAMP_TOLERANCE_S,
) -> bool:
    """Whether a received request is ours: the receiver's side of :func:`sign`."""
    if not timestamp.isdigit():
        return False
    if abs((time.time() if now is None else now) - int(timestamp)) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)


async def send_webhook(
    url: str,
    notification: Notification,
    secret: str,
    *,
    tries: Tries,
    private_targets: bool,
) -> DeliveryResult:
    body = json.dumps(notification_body(notification), default=str).encode()

    def headers() -> dict[str, str]:
        # A fresh timestamp per attempt: a retry after a long wait must still
        # fall inside the receiver's replay tolerance.
        timestamp = int(time.time())
        return {
            ID_HEADER: notification.id,
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(secret, timestamp, body),
        }

    return await post_json(
        url,
        body,
        where=url,
        headers=headers,
        tries=tries,
        private_targets=private_targets,
    )
