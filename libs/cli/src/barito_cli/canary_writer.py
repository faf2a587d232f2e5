"""Writing one marker every interval through the public ingest endpoint, as an agent would.

Each marker is one NDJSON event POSTed to ``/api/v1/logs`` with the app's
secret. Markers go one at a time: the next is written only after the last
was acknowledged or given up on, as fluentd retries a buffer chunk before
the next, so a slow receiver shows as a longer write time rather than a pile
of concurrent requests, and the markers reach Kafka in sequence order.
"""

from __future__ import annotations

import asyncio
import contextlib

import httpx

from barito_cli.canary_markers import Marker
from barito_cli.canary_metrics import Tracker

__all__ = ["MarkerWriter"]

# The receiver waits up to 30 s for Kafka's acknowledgement before its 503.
WRITE_TIMEOUT = httpx.Timeout(10.0, read=35.0)
_FIRST_RETRY_S = 0.25
_LONGEST_RETRY_S = 5.0


class MarkerWriter:
    def __init__(
        self,
        client: httpx.AsyncClient,
        tracker: Tracker,
        *,
        ingest_url: str,
        secret: str,
        interval_s: float,
        give_up_s: float,
    ) -> None:
        self.client = client
        self.tracker = tracker
        self.url = f"{ingest_url.rstrip('/')}/api/v1/logs"
        self.secret = secret
        self.interval_s = interval_s
        self.give_up_s = give_up_s

    async def run(self, stop: asyncio.Event) -> None:
        """Write markers until ``stop`` is set; a write under way is finished first."""
        clock = self.tracker.clock
        next_at = clock()
        while not stop.is_set():
            await self.write(self.tracker.new_marker(), stop)
            # After a slow write the schedule moves on instead of bursting to catch up.
            next_at = max(next_at + self.interval_s, clock())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=next_at - clock())

    async def write(self, marker: Marker, stop: asyncio.Event) -> None:
        """POST until a 2xx; every attempt carries the marker's Idempotency-Key.

        A retry after an unanswered or failed attempt (a 503 can cover a chunk
        Kafka did take) is indexed once thanks to the key. Every failed attempt
        is counted; after ``give_up_s``, or once the canary is stopping, the
        marker is given up on and expected nowhere.
        """
        clock = self.tracker.clock
        headers = {
            "X-App-Secret": self.secret,
            "Content-Type": "application/x-ndjson",
            "Idempotency-Key": marker.idempotency_key,
        }
        body = marker.body()
        started = clock()
        delay = _FIRST_RETRY_S
        while True:
            retry_after: float | None = None
            try:
                response = await self.client.post(
                    self.url, content=body, headers=headers, timeout=WRITE_TIMEOUT
                )
            except httpx.HTTPError as err:
                reason = type(err).__name__
            else:
                if response.is_success:
                    self.tracker.acked(marker, first_attempt_at=started)
                    return
                reason = str(response.status_code)
                retry_after = _seconds(response.headers.get("Retry-After"))
            self.tracker.error("write", reason)
            wait = min(retry_after if retry_after is not None else delay, _LONGEST_RETRY_S)
            if stop.is_set() or clock() + wait - started > self.give_up_s:
                self.tracker.write_failed(marker, reason=reason)
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)
            delay = min(delay * 2, _LONGEST_RETRY_S)


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
