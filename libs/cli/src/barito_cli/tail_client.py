"""Following one tail over the server's NDJSON stream, reconnecting with the resume token.

Every frame carries a token; the client keeps the last one and, after a
network error or a server restart, reconnects with it, so no event is lost
or shown twice while Kafka still holds the data. Refusals (4xx) end the
command with the server's message; 429 and 503 are retried with backoff.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

__all__ = ["TailRefused", "TailRequest", "follow"]

_RETRIED = {429, 502, 503, 504}


class TailRefused(Exception):
    """The server refused the tail for good (bad filter, credentials, unknown app)."""


@dataclass
class TailRequest:
    server: str
    app: str
    headers: dict[str, str]
    filters: list[tuple[str, str]] = field(default_factory=list)
    since: float | None = None
    resume: str | None = None
    read_timeout_s: float = 60.0


def _error_message(response: httpx.Response) -> str:
    try:
        return str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return response.text.strip() or response.reason_phrase


def follow(
    request: TailRequest,
    on_frame: Callable[[dict[str, Any]], bool],
    on_notice: Callable[[str], None],
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Stream frames to ``on_frame`` until it returns False; reconnect on network errors."""
    token = request.resume
    delay = 0.5
    # Heartbeats arrive every 15 s by default, so a minute of silence is a dead link.
    timeout = httpx.Timeout(10.0, read=request.read_timeout_s)
    url = f"{request.server.rstrip('/')}/api/v1/tail/{request.app}"
    with httpx.Client(timeout=timeout) as client:
        while True:
            params: list[tuple[str, str | int | float | bool | None]] = list(request.filters)
            if token:
                params.append(("resume", token))
            elif request.since is not None:
                params.append(("since", f"{request.since:g}"))
            try:
                with client.stream("GET", url, params=params, headers=request.headers) as response:
                    if response.status_code != 200:
                        response.read()
                        message = _error_message(response)
                        if response.status_code not in _RETRIED:
                            raise TailRefused(f"{response.status_code}: {message}")
                        on_notice(f"server busy ({response.status_code}: {message}); retrying")
                    else:
                        for line in response.iter_lines():
                            if not line:
                                continue
                            frame = json.loads(line)
                            token = frame.get("resume") or token
                            delay = 0.5
                            if not on_frame(frame):
                                return
                        on_notice("the server ended the stream; reconnecting")
            except (httpx.TransportError, json.JSONDecodeError) as err:
                on_notice(f"connection lost ({type(err).__name__}); reconnecting")
            sleep(delay)
            delay = min(delay * 2, 10.0)
