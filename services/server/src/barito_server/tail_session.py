"""One client's tail: start point, catch-up, then the shared feed, filtered and batched.

The session keeps, per partition, the position just past the last event it
handed to the client (filtered-out and skipped events included), and stamps
every frame with the token of those positions. Frames queued together go out
in one write (one websocket message or one stream chunk): per-write costs,
not per-event ones, dominate a Python server at thousands of events/s.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from barito_common.event_filters import EventFilter
from barito_server.catch_up import CatchUp
from barito_server.client_queue import ClientQueue, Skipped
from barito_server.frames import closed_frame, dropped_frame, heartbeat_frame, started_frame
from barito_server.metrics import TailMetrics
from barito_server.resume_token import Position, encode_token, token_parts
from barito_server.tail_record import TailRecord
from barito_server.topic_reader import TopicReader

__all__ = ["SessionLimits", "TailSession", "Write"]

Write = Callable[[bytes], Awaitable[None]]


@dataclass(frozen=True)
class SessionLimits:
    queue_events: int
    heartbeat_s: float
    idle_timeout_s: float
    batch_bytes: int


class TailSession:
    def __init__(
        self,
        *,
        reader: TopicReader,
        event_filter: EventFilter,
        limits: SessionLimits,
        metrics: TailMetrics,
        catch_up: CatchUp | None = None,
        start: str = "end",
    ) -> None:
        self._reader = reader
        self._app = reader.app
        self._filter = event_filter
        self._passes_all = event_filter.passes_all
        self._limits = limits
        self._catch_up = catch_up
        self._start = start
        self._sent = metrics.events.sent.labels(self._app)
        self._dropped = metrics.events.dropped.labels(self._app, "slow_client")
        self._queue = ClientQueue(limits.queue_events, self._count_matching)
        self._positions: dict[int, Position] = {}
        self._parts: dict[int, str] = {}
        self._subscribed = False
        if catch_up is None:
            # Subscribing here, before any await, makes the start point exactly
            # the shared reader's position now: nothing between is missed.
            self._set_positions({p: Position(o, 0) for p, o in reader.next_offsets.items()})
            self._subscribe()
        else:
            self._set_positions(catch_up.positions)

    # --- the subscriber side (called by the shared reader; never awaits) ---------

    def offer(self, record: TailRecord) -> None:
        skipped = self._queue.offer(record)
        if skipped:
            self._dropped.inc(skipped)

    def _count_matching(self, record: TailRecord) -> int:
        if self._passes_all:
            return len(record.events)
        return sum(
            self._filter.matches(record.record(i), record.line(i))
            for i in range(len(record.events))
        )

    def _subscribe(self) -> None:
        self._reader.subscribe(self)
        self._subscribed = True

    def close(self) -> None:
        if self._subscribed:
            self._reader.unsubscribe(self)
            self._subscribed = False
        self._queue.close()

    # --- positions and tokens -------------------------------------------------------

    def _set_positions(self, positions: dict[int, Position]) -> None:
        self._positions = dict(positions)
        self._parts = token_parts(self._positions)

    def _advance(self, partition: int, position: Position) -> None:
        if position > self._positions.get(partition, Position(-1, 0)):
            self._positions[partition] = position
            self._parts[partition] = f"{partition}:{position.offset}:{position.event}"

    @property
    def token(self) -> str:
        return encode_token(self._app, self._positions)

    def _around(self, partition: int) -> tuple[str, str]:
        before = "".join(self._parts[p] + "," for p in sorted(self._parts) if p < partition)
        after = "".join("," + self._parts[p] for p in sorted(self._parts) if p > partition)
        return before, after

    def frames_for(self, record: TailRecord) -> tuple[bytes, int]:
        """The frames of the record's matching events this client has not had yet, and how many."""
        here = self._positions.get(record.partition, Position(0, 0))
        if record.offset < here.offset:
            return b"", 0  # delivered already, by the catch-up reader
        first = here.event if record.offset == here.offset else 0
        around = self._around(record.partition)
        self._advance(record.partition, Position(record.offset + 1, 0))
        if self._passes_all and first == 0:
            # Shared by every client whose other partitions stand where this one's do.
            return record.all_frames(around), len(record.events)
        frames = [
            record.frame(i, around)
            for i in range(first, len(record.events))
            if self._passes_all or self._filter.matches(record.record(i), record.line(i))
        ]
        return b"".join(frames), len(frames)

    # --- the client side -------------------------------------------------------------

    async def run(self, write: Write) -> None:
        """Stream until the client leaves (the caller cancels) or the tail goes idle."""
        try:
            await write(started_frame(self._app, self._start, self.token))
            if self._catch_up is not None:
                await self._run_catch_up(write)
            await self._run_live(write)
        finally:
            self.close()

    async def _run_catch_up(self, write: Write) -> None:
        catch_up = self._catch_up
        if catch_up is None:
            return
        try:
            while not self._caught_up():
                records, read_to = await catch_up.fetch()
                chunks = [self.frames_for(record) for record in records]
                for partition, offset in read_to.items():
                    self._advance(partition, Position(offset, 0))
                await self._write_chunks(write, chunks)
            # No await between the check above and this: the shared reader
            # cannot hand out a record in between, so none is missed.
            self._subscribe()
        finally:
            await catch_up.close()

    def _caught_up(self) -> bool:
        here = self._positions
        return all(
            p in here and here[p].offset >= offset
            for p, offset in self._reader.next_offsets.items()
        )

    async def _write_chunks(self, write: Write, chunks: list[tuple[bytes, int]]) -> None:
        """Write records' frames, whole records at a time, about ``batch_bytes`` per write."""
        batch: list[bytes] = []
        size = events = 0
        for data, count in chunks:
            if not count:
                continue
            batch.append(data)
            size += len(data)
            events += count
            if size >= self._limits.batch_bytes:
                await write(b"".join(batch))
                self._sent.inc(events)
                batch, size, events = [], 0, 0
        if batch:
            await write(b"".join(batch))
            self._sent.inc(events)

    async def _run_live(self, write: Write) -> None:
        limits = self._limits
        last_write = last_event = time.monotonic()
        while True:
            wait = max(0.0, limits.heartbeat_s - (time.monotonic() - last_write))
            await self._queue.wait(min(wait, limits.idle_timeout_s))
            frames: list[bytes] = []
            size = events = 0
            while size < limits.batch_bytes and (item := self._queue.take()) is not None:
                if isinstance(item, Skipped):
                    for partition, position in item.past.items():
                        self._advance(partition, position)
                    frames.append(dropped_frame(item.count, self.token))
                else:
                    data, count = self.frames_for(item)
                    if count:
                        frames.append(data)
                        events += count
                        size += len(data)
            now = time.monotonic()
            if frames:
                await write(b"".join(frames))
                self._sent.inc(events)
                last_write = last_event = now
            elif now - last_event >= limits.idle_timeout_s:
                message = f"No event for {limits.idle_timeout_s:g}s; reconnect to continue."
                await write(closed_frame("idle_timeout", message, self.token))
                return
            elif now - last_write >= limits.heartbeat_s:
                await write(heartbeat_frame(self.token))
                last_write = now
