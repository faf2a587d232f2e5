"""The PagerDuty channel: an Events API v2 event.

The routing key (the channel's secret) names the PagerDuty service. The
rule's id is the ``dedup_key``: a re-notification folds into the open
incident and a resolve closes it. The body of a trigger::

    {"routing_key": "<secret>", "event_action": "trigger", "dedup_key": "<rule id>",
     "client": "Barito", "client_url": "<the app's alerts page>",
     "payload": {"summary": "FIRING critical: checkout errors on checkout — 12 matching ...",
                 "source": "checkout", "severity": "critical", "group": "shop",
                 "timestamp": "2026-12-05T16:00:00+00:00", "class": "barito alert",
                 "custom_details": {"notification_id": "...", "rule": "...", "count": 12,
                                    "window_s": 300, "samples": [...], "test": false}}}

A resolve carries only ``routing_key``, ``event_action: resolve`` and the
``dedup_key``, as the API asks.
"""

from __future__ import annotations

import json
from typing import Any

from barito_common.alerts import AlertTransition
from barito_common.notifications.contract import DeliveryResult, Notification
from barito_common.notifications.http_post import post_json
from barito_common.notifications.retry import Tries
from barito_common.notifications.wording import count_words, headline

__all__ = ["PAGERDUTY_EVENTS_URL", "pagerduty_body", "send_pagerduty"]

PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
_SUMMARY_CHARS = 1024  # the API's limit


def pagerduty_body(notification: Notification, routing_key: str) -> dict[str, Any]:
    resolve = AlertTransition(notification.transition) is AlertTransition.RESOLVED
    body: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": "resolve" if resolve else "trigger",
        "dedup_key": notification.rule_id,
    }
    if resolve:
        return body
    summary = f"{headline(notification)} — {count_words(notification)}"
    body["client"] = "Barito"
    if notification.url:
        body["client_url"] = notification.url
    body["payload"] = {
        "summary": summary[:_SUMMARY_CHARS],
        "source": notification.app,
        # Barito's severities are three of PagerDuty's four (critical, error,
        # warning, info), with the same names.
        "severity": str(notification.severity),
        "timestamp": notification.at.isoformat(),
        "group": notification.group,
        "class": "barito alert",
        "custom_details": {
            "notification_id": notification.id,
            "rule": notification.rule_name,
            "transition": str(notification.transition),
            "count": notification.count,
            "window_s": notification.window_s,
            "samples": notification.samples,
            "url": notification.url,
            "test": notification.test,
        },
    }
    return body


async def send_pagerduty(
    events_url: str,
    notification: Notification,
    routing_key: str,
    *,
    tries: Tries,
    private_targets: bool,
) -> DeliveryResult:
    body = json.dumps(pagerduty_body(notification, routing_key), default=str).encode()
    return await post_json(
        events_url,
        body,
        where=events_url,
        headers=dict,
        tries=tries,
        private_targets=private_targets,
    )
