"""Per-app rate limits: a token bucket counting events, not requests.

Each app may send ``tps`` events per second on average and bursts of up to
``tps x burst_seconds`` events. A request is admitted while the bucket holds
at least as many tokens as the request has events, or is full: a batch larger
than the whole bucket would otherwise never pass, so it is admitted and puts
the bucket in debt, which later requests wait out.

Several instances (receiver replicas, worker processes) enforce one limit
together: each fills its bucket at its *share* of the app's rate, which the
shared budget (``rate_budget``) sets a few times a second from what every
instance was asked for. :meth:`RateLimiter.admit` itself never waits for
anything: it counts what it was asked and admitted, for the next report.

    >>> limiter = RateLimiter(burst_seconds=1.0, clock=lambda: 0.0)
    >>> limiter.admit("a1", tps=100, events=100), limiter.admit("a1", tps=100, events=50)
    (0, 1)
    >>> limiter.take_counts()
    {'a1': (150, 100)}
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

__all__ = ["AppRate", "RateLimiter", "TokenBucket"]

# What a refused request is told when this instance holds no share of the app
# right now: the next share is set within a report interval (a fraction of a
# second), so the smallest Retry-After fits.
_NO_SHARE_WAIT_S = 1.0


@dataclass(slots=True)
class TokenBucket:
    rate: float
    capacity: float
    tokens: float
    updated: float

    def take(self, events: int, now: float) -> float:
        """Take ``events`` tokens; 0.0 if admitted, else seconds until it would be."""
        if self.rate <= 0:
            return _NO_SHARE_WAIT_S
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= min(events, self.capacity):
            self.tokens -= events
            return 0.0
        return (min(events, self.capacity) - self.tokens) / self.rate

    def set_rate(self, rate: float, capacity: float, now: float) -> None:
        """Fill at ``rate`` from now on; what the old rate earned until now is kept.

        The bucket is not refilled: a share that moves a few times a second
        would otherwise hand out a fresh burst each time.
        """
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        self.rate, self.capacity = rate, capacity
        self.tokens = min(self.tokens, capacity)


@dataclass(slots=True)
class AppRate:
    """One app at this instance: its bucket, its share, and the counts of this report."""

    tps: int
    share: float
    bucket: TokenBucket
    asked: int = 0
    admitted: int = 0


class RateLimiter:
    def __init__(
        self,
        *,
        burst_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._burst_seconds = burst_seconds
        self._clock = clock
        self._apps: dict[str, AppRate] = {}
        # Alone, an instance holds the whole limit; the shared budget replaces this.
        self.initial_share: Callable[[str, int], float] = lambda _app_id, _tps: 1.0

    def admit(self, app_id: str, tps: int, events: int) -> int:
        """0 when the events are admitted, else the whole seconds to send as Retry-After."""
        now = self._clock()
        app = self._apps.get(app_id)
        if app is None or app.tps != tps:
            app = self._new_app(app_id, tps, now)
        app.asked += events
        wait = app.bucket.take(events, now)
        if wait == 0:
            app.admitted += events
            return 0
        return max(1, math.ceil(wait))

    def _new_app(self, app_id: str, tps: int, now: float) -> AppRate:
        # A new app or a changed capacity starts with a full bucket of its share.
        share = self.initial_share(app_id, tps)
        rate = tps * share
        capacity = rate * self._burst_seconds
        app = AppRate(tps, share, TokenBucket(rate, capacity, capacity, now))
        previous = self._apps.get(app_id)
        if previous is not None:
            app.asked, app.admitted = previous.asked, previous.admitted
        self._apps[app_id] = app
        return app

    def apps(self) -> Iterator[tuple[str, AppRate]]:
        """Every app this instance has a bucket for."""
        return iter(self._apps.items())

    def set_share(self, app_id: str, share: float) -> None:
        """Fill the app's bucket at ``share`` of its limit from now on."""
        app = self._apps[app_id]
        if share != app.share:
            app.share = share
            rate = app.tps * share
            app.bucket.set_rate(rate, rate * self._burst_seconds, self._clock())

    def take_counts(self) -> dict[str, tuple[int, int]]:
        """(asked, admitted) events per app since the last call, for apps asked anything."""
        counts: dict[str, tuple[int, int]] = {}
        for app_id, app in self._apps.items():
            if app.asked:
                counts[app_id] = (app.asked, app.admitted)
                app.asked = app.admitted = 0
        return counts
