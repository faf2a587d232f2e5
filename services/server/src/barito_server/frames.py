"""The control frames of a tail stream (event frames are built by ``TailRecord``).

A stream is NDJSON: one JSON object per line, each carrying ``resume``, the
token to reconnect with. Over a websocket, one text message holds one or more
whole lines. The kinds:

* ``{"started": {"app", "from"}, "resume"}`` — first, once the start point is fixed;
* ``{"event": {...fields, "@timestamp"}, "resume"}`` — a log event;
* ``{"dropped": n, "resume"}`` — n matching events were skipped: the client fell behind;
* ``{"heartbeat": "<UTC time>", "resume"}`` — nothing else to say for a while;
* ``{"closed": {"code", "message"}, "resume"}`` — last: the server ends the tail.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from barito_common.chunk_codec import format_event_time

__all__ = ["closed_frame", "dropped_frame", "heartbeat_frame", "started_frame"]


def _frame(body: dict[str, Any], token: str) -> bytes:
    return orjson.dumps({**body, "resume": token}) + b"\n"


def started_frame(app: str, start: str, token: str) -> bytes:
    return _frame({"started": {"app": app, "from": start}}, token)


def dropped_frame(count: int, token: str) -> bytes:
    return _frame({"dropped": count}, token)


def heartbeat_frame(token: str) -> bytes:
    return _frame({"heartbeat": format_event_time(datetime.now(UTC))}, token)


def closed_frame(code: str, message: str, token: str) -> bytes:
    return _frame({"closed": {"code": code, "message": message}}, token)
