"""Matching events counted over a sliding window, in coarse buckets.

A window keeps one counter per bucket of ``max(1 s, window / 120)``, so a
day-long window holds at most ~120 counters however busy the app is; the
count is exact to within one bucket at the window's old edge.

    >>> window = SlidingCount(10)
    >>> window.add(100.2); window.add(104.9)
    >>> window.count(105.0), window.count(111.0), window.count(115.0)
    (2, 1, 0)
"""

from __future__ import annotations

from collections import deque

__all__ = ["SlidingCount"]

BUCKETS_PER_WINDOW = 120


class SlidingCount:
    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self.bucket_s = max(1.0, window_s / BUCKETS_PER_WINDOW)
        self._buckets: deque[list[int]] = deque()  # [bucket index, count]
        self._total = 0

    def add(self, now: float, n: int = 1) -> None:
        index = int(now // self.bucket_s)
        if self._buckets and self._buckets[-1][0] == index:
            self._buckets[-1][1] += n
        else:
            self._buckets.append([index, n])
        self._total += n

    def count(self, now: float) -> int:
        """Matches within the last ``window_s`` before ``now``."""
        oldest = now - self.window_s
        while self._buckets and (self._buckets[0][0] + 1) * self.bucket_s <= oldest:
            self._total -= self._buckets.popleft()[1]
        return self._total
