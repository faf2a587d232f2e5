"""Reading the markers back through the live tail, as ``barito tail`` and the web UI do.

One NDJSON stream of ``GET /api/v1/tail/{app}`` with the app's secret,
filtered by the server to this run's markers (``field=canary.run=<run>``).
Every frame carries a resume token; after the stream ends or fails (a tail
server restarting, a network cut) the watcher reconnects with the last one,
so the server continues exactly where it stopped: a marker missed or
delivered twice across a reconnect is the server's fault, and is counted.

Before the first token, a connection asks for ``since`` the canary started
(plus a second), so markers written before the tail was reached are still
delivered.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from typing import Any

import httpx

from barito_cli.canary_markers import Path
from barito_cli.canary_metrics import Tracker

__all__ = ["TailWatcher"]

log = logging.getLogger("barito_cli.canary")

# The server sends a heartbeat after 15 s of silence; a minute of none is a dead link.
TAIL_TIMEOUT = httpx.Timeout(10.0, read=60.0)
# The tail server's default `max_since_s`: it refuses to reach further back.
_MAX_SINCE_S = 3600
_LONGEST_RETRY_S = 5.0


class TailWatcher:
    def __init__(
        self,
        tracker: Tracker,
        *,
        tail_url: str,
        app: str,
        secret: str,
        started_at: float,
    ) -> None:
        self.tracker = tracker
        self.url = f"{tail_url.rstrip('/')}/api/v1/tail/{app}"
        self.secret = secret
        self.started_at = started_at
        self.token: str | None = None
        self.started = asyncio.Event()
        """Set once the first stream has begun: markers written from then on will be seen."""

    async def run(self) -> None:
        """Follow the tail until cancelled, reconnecting after every end or failure."""
        delay = 0.5
        async with httpx.AsyncClient(timeout=TAIL_TIMEOUT) as client:
            while True:
                try:
                    if await self._follow(client):
                        delay = 0.5
                except (httpx.HTTPError, json.JSONDecodeError) as err:
                    self.tracker.error("tail", type(err).__name__)
                    log.warning(
                        "The canary's tail broke off; reconnecting.",
                        extra={"ctx": {"error": repr(err), "resuming": self.token is not None}},
                    )
                self.tracker.metrics.tail_reconnects.inc()
                await asyncio.sleep(delay)
                delay = min(delay * 2, _LONGEST_RETRY_S)

    async def _follow(self, client: httpx.AsyncClient) -> bool:
        """One stream, to its end; True when the server accepted it."""
        params: list[tuple[str, str | int | float | bool | None]] = [
            ("field", f"canary.run={self.tracker.ledger.run}")
        ]
        if self.token:
            params.append(("resume", self.token))
        else:
            elapsed = self.tracker.clock() - self.started_at
            params.append(("since", str(min(_MAX_SINCE_S, math.ceil(elapsed) + 1))))
        headers = {"X-App-Secret": self.secret}
        async with client.stream("GET", self.url, params=params, headers=headers) as response:
            if response.status_code != 200:
                await response.aread()
                self.tracker.error("tail", str(response.status_code))
                log.warning(
                    "The tail server refused the canary's tail.",
                    extra={"ctx": {"status": response.status_code, "error": response.text[:500]}},
                )
                if response.status_code == 400 and self.token:
                    # A token this server cannot read would be refused forever:
                    # start over from `since` (what it re-sends counts as duplicates).
                    self.token = None
                return False
            async for line in response.aiter_lines():
                if line:
                    self._frame(json.loads(line))
        return True

    def _frame(self, frame: dict[str, Any]) -> None:
        self.token = frame.get("resume") or self.token
        if "event" in frame:
            self.tracker.seen(Path.TAIL, frame["event"])
        elif "started" in frame:
            self.started.set()
        elif "dropped" in frame:
            self.tracker.metrics.tail_dropped.inc(frame["dropped"])
            log.warning(
                "The tail server skipped events for the canary.",
                extra={"ctx": {"dropped": frame["dropped"]}},
            )
        elif "closed" in frame:
            log.info("The tail server closed the canary's tail.", extra={"ctx": frame["closed"]})
