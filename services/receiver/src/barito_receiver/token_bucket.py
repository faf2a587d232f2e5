"""Per-app rate limits: a token bucket counting events, not requests.

Each app may send ``tps`` events per second on average and bursts of up to
``tps x burst_seconds`` events. A request is admitted while the bucket holds
at least as many tokens as the request has events, or is full: a batch larger
than the whole bucket would otherwise never pass, so it is admitted and puts
the bucket in debt, which later requests wait out. With several receiver
replicas each enforces its ``share`` of the rate, so together they allow the
app's rate without talking to each other.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["RateLimiter", "TokenBucket"]


@dataclass
class TokenBucket:
    rate: float
    capacity: float
    tokens: float
    updated: float

    def take(self, events: int, now: float) -> float:
        """Take ``events`` tokens; 0.0 if admitted, else seconds until it would be."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= min(events, self.capacity):
            self.tokens -= events
            return 0.0
        return (min(events, self.capacity) - self.tokens) / self.rate


class RateLimiter:
    def __init__(
        self,
        *,
        burst_seconds: float,
        share: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._burst_seconds = burst_seconds
        self._share = share
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}

    def admit(self, app_id: str, tps: int, events: int) -> int:
        """0 when the events are admitted, else the whole seconds to send as Retry-After."""
        rate = tps * self._share
        now = self._clock()
        bucket = self._buckets.get(app_id)
        if bucket is None or bucket.rate != rate:
            # A new app or a changed capacity starts with a full bucket.
            capacity = rate * self._burst_seconds
            bucket = TokenBucket(rate=rate, capacity=capacity, tokens=capacity, updated=now)
            self._buckets[app_id] = bucket
        wait = bucket.take(events, now)
        return 0 if wait == 0 else max(1, math.ceil(wait))
