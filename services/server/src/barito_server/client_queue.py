"""One client's bounded queue: the shared reader never waits for a client.

The reader offers every record to every client synchronously; ``offer``
never blocks. When a client's queue already holds ``max_events`` events the
new record is skipped for that client alone (drop-newest: what is queued
stays in order) and counted in a :class:`Skipped` marker that the client
turns into a ``{"dropped": n}`` notice when it catches up. Consecutive skips
merge into one marker, so a client that stopped reading holds at most
``max_events`` events plus one marker, however long it stalls.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from barito_server.resume_token import Position
from barito_server.tail_record import TailRecord

__all__ = ["ClientQueue", "Skipped"]


@dataclass
class Skipped:
    """Records skipped for a slow client: how many matching events, and where they end."""

    count: int = 0
    past: dict[int, Position] = field(default_factory=dict)

    def add(self, record: TailRecord, matching: int) -> None:
        self.count += matching
        self.past[record.partition] = Position(record.offset + 1, 0)


Item = TailRecord | Skipped


class ClientQueue:
    def __init__(self, max_events: int, count_matching: Callable[[TailRecord], int]) -> None:
        self._max_events = max_events
        self._count_matching = count_matching
        self._items: deque[Item] = deque()
        self._events = 0
        self._ready = asyncio.Event()
        self._timer: asyncio.TimerHandle | None = None

    @property
    def pending_events(self) -> int:
        return self._events

    def offer(self, record: TailRecord) -> int:
        """Queue ``record``, or skip it when full; returns the matching events skipped."""
        size = len(record.events)
        # An empty queue takes any record, so one chunk larger than the bound
        # is still delivered instead of being dropped forever.
        if self._events and self._events + size > self._max_events:
            matching = self._count_matching(record)
            last = self._items[-1] if self._items else None
            if isinstance(last, Skipped):
                last.add(record, matching)
            else:
                skipped = Skipped()
                skipped.add(record, matching)
                self._items.append(skipped)
            self._ready.set()
            return matching
        self._items.append(record)
        self._events += size
        self._ready.set()
        return 0

    def take(self) -> Item | None:
        """The oldest item, or None when the queue is empty."""
        if not self._items:
            self._ready.clear()
            return None
        item = self._items.popleft()
        if isinstance(item, TailRecord):
            self._events -= len(item.events)
        return item

    async def wait(self, timeout_s: float) -> bool:
        """Wait until an item is queued or about ``timeout_s`` passed; True if one is queued.

        It may also return early, so callers check their clock for heartbeats and
        idle timeouts. That is the price of keeping one timer per queue, moved
        only when the wanted deadline is earlier than the armed one: arming a
        timer on every wake (``asyncio.timeout``) was 5-10 % of the server's CPU
        with a hundred clients each woken 50 times a second. A deadline that
        moved later costs at most one early wake.
        """
        if self._items:
            return True
        self._ready.clear()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        timer = self._timer
        if timer is None or timer.when() <= loop.time() or timer.when() > deadline:
            if timer is not None:
                timer.cancel()
            self._timer = loop.call_at(deadline, self._ready.set)
        await self._ready.wait()
        return bool(self._items)

    def close(self) -> None:
        """Cancel the timer, which would otherwise keep the queue alive until it fires."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
