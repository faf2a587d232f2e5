"""The words every channel shows a person: the headline, the window, sample lines.

>>> window_words(300), window_words(90), window_words(7200)
('5 min', '90 s', '2 h')
>>> sample_line({"level": "error", "message": "x" * 300}, width=40)
'{"level":"error","message":"xxxxxxxxxxx…'
"""

from __future__ import annotations

import json
from typing import Any

from barito_common.alerts import AlertTransition
from barito_common.notifications.contract import Notification

__all__ = ["count_words", "headline", "sample_line", "window_words"]

_STATE = {
    AlertTransition.FIRING: "FIRING",
    AlertTransition.RENOTIFY: "STILL FIRING",
    AlertTransition.RESOLVED: "RESOLVED",
}


def headline(notification: Notification) -> str:
    """``FIRING critical: <rule> on <app>`` (``TEST`` first when sent by "send test").

    A notice about a whole group (its storage quota) names no app.
    """
    state = _STATE[AlertTransition(notification.transition)]
    text = f"{state} {notification.severity}: {notification.rule_name}"
    if notification.app:
        text = f"{text} on {notification.app}"
    return f"TEST {text}" if notification.test else text


def count_words(notification: Notification) -> str:
    """``12 matching events in the last 5 min``; a notice that counts no events
    over no window (a group's storage quota) says so instead."""
    if notification.window_s == 0:
        return "a notice about the group, not a count of events"
    noun = "event" if notification.count == 1 else "events"
    return f"{notification.count} matching {noun} in the last {window_words(notification.window_s)}"


def window_words(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def sample_line(sample: dict[str, Any], *, width: int) -> str:
    """A sample event as one JSON line, cut at ``width`` characters."""
    line = json.dumps(sample, ensure_ascii=False, separators=(",", ":"), default=str)
    return line if len(line) <= width else line[: width - 1] + "…"
