"""How ``barito tail`` prints one event: raw JSON, or a coloured human line."""

from __future__ import annotations

import json
from typing import Any

import click

__all__ = ["render_event"]

_COLOURS = {
    "fatal": "red",
    "critical": "red",
    "error": "red",
    "err": "red",
    "warn": "yellow",
    "warning": "yellow",
    "info": "green",
    "debug": "blue",
    "trace": "blue",
}
_SHOWN = ("@timestamp", "level", "severity", "message", "msg")


def render_event(event: dict[str, Any], *, as_json: bool) -> str:
    if as_json:
        return json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    level = str(event.get("level", event.get("severity", "")))
    message = event.get("message", event.get("msg", ""))
    rest = " ".join(
        f"{key}={json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value}"
        for key, value in event.items()
        if key not in _SHOWN
    )
    parts = [
        click.style(str(event.get("@timestamp", "")), dim=True),
        click.style(f"{level.upper():<5}", fg=_COLOURS.get(level.lower()), bold=True),
        str(message),
    ]
    if rest:
        parts.append(click.style(rest, dim=True))
    return " ".join(part for part in parts if part)
