"""The Slack channel: a Slack-compatible incoming webhook message.

The channel's secret is the incoming webhook's URL itself (whoever has it
can post to the channel), so errors and logs call it "the Slack webhook",
never by its URL. The body::

    {"text": "FIRING critical: checkout errors on checkout — 12 matching events in the last 5 min",
     "blocks": [
       {"type": "section", "text": {"type": "mrkdwn", "text": "*FIRING critical: ...*"}},
       {"type": "section", "fields": [rule, app (group), severity, matching events]},
       {"type": "section", "text": {"type": "mrkdwn", "text": "```<up to 3 sample lines>```"}},
       {"type": "context", "elements": [{"type": "mrkdwn", "text": "<url|Open in Barito> · id"}]}]}

``text`` is what clients without blocks (and notifications on a phone) show.
"""

from __future__ import annotations

import json
from typing import Any

from barito_common.notifications.contract import DeliveryResult, Notification
from barito_common.notifications.http_post import post_json
from barito_common.notifications.retry import Tries
from barito_common.notifications.wording import count_words, headline, sample_line

__all__ = ["SLACK_SAMPLES", "send_slack", "slack_body"]

SLACK_SAMPLES = 3
_SAMPLE_WIDTH = 200
WHERE = "the Slack webhook"


def _escaped(text: str) -> str:
    # Slack's mrkdwn reads these three as markup (links, mentions).
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _where(notification: Notification) -> str:
    group = _escaped(notification.group)
    if not notification.app:  # a notice about the whole group
        return f"*Group*\n{group}"
    return f"*App*\n{_escaped(notification.app)} ({group})"


def slack_body(notification: Notification) -> dict[str, Any]:
    title = headline(notification)
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{_escaped(title)}*"}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*Rule*\n{_escaped(notification.rule_name)}"},
                {"type": "mrkdwn", "text": _where(notification)},
                {"type": "mrkdwn", "text": f"*Severity*\n{notification.severity}"},
                {"type": "mrkdwn", "text": f"*Matching events*\n{count_words(notification)}"},
            ],
        },
    ]
    lines = [
        sample_line(sample, width=_SAMPLE_WIDTH).replace("```", "'''")
        for sample in notification.samples[:SLACK_SAMPLES]
    ]
    if lines:
        code = _escaped("\n".join(lines))
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"```{code}```"}})
    footer = f"notification {notification.id}"
    if notification.url:
        footer = f"<{notification.url}|Open in Barito> · {footer}"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": footer}]})
    return {"text": f"{title} — {count_words(notification)}", "blocks": blocks}


async def send_slack(
    webhook_url: str,
    notification: Notification,
    *,
    tries: Tries,
    private_targets: bool,
) -> DeliveryResult:
    body = json.dumps(slack_body(notification), ensure_ascii=False).encode()
    return await post_json(
        webhook_url,
        body,
        where=WHERE,
        headers=dict,
        tries=tries,
        private_targets=private_targets,
    )
