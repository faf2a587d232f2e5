"""One Kafka record of an app's topic, decoded once and shared by every client.

The shared reader decodes a chunk once; every client of the app then reads
the same :class:`TailRecord`. The JSON line of each event and each encoded
frame are cached on it, because a hundred clients with the same resume
position would otherwise serialise the same event a hundred times. For the
common client (no filters, the whole record new to it) the frames of all the
record's events are cached joined, too: with a hundred clients on one app,
per-event work per client was the server's largest cost (docs/performance.md).
"""

from __future__ import annotations

from typing import Any

import orjson

from barito_common.chunk_codec import Event
from barito_server.resume_token import Position, wrap_token

__all__ = ["TailRecord"]


class TailRecord:
    __slots__ = ("_blobs", "_frames", "_lines", "app", "events", "offset", "partition")

    def __init__(self, app: str, partition: int, offset: int, events: list[Event]) -> None:
        self.app = app
        self.partition = partition
        self.offset = offset
        self.events = events
        self._lines: list[bytes | None] = [None] * len(events)
        self._frames: dict[tuple[str, str], list[bytes | None]] = {}
        self._blobs: dict[tuple[str, str], bytes] = {}

    def record(self, index: int) -> dict[str, Any]:
        return self.events[index].record

    def line(self, index: int) -> bytes:
        """The event as one JSON object: its fields plus ``@timestamp`` (as flow indexes it)."""
        line = self._lines[index]
        if line is None:
            time, record = self.events[index]
            line = orjson.dumps({**record, "@timestamp": time})
            self._lines[index] = line
        return line

    def past(self, index: int) -> Position:
        """The position just past event ``index``: the next event, or the next record."""
        if index + 1 < len(self.events):
            return Position(self.offset, index + 1)
        return Position(self.offset + 1, 0)

    def frame(self, index: int, around: tuple[str, str]) -> bytes:
        """The event's frame line; ``around`` is the token's pieces for the other partitions.

        Clients whose other partitions stand at the same positions share one
        cached frame per event.
        """
        frames = self._frames.get(around)
        if frames is None:
            frames = self._frames[around] = [None] * len(self.events)
        frame = frames[index]
        if frame is None:
            before, after = around
            past = self.past(index)
            token = wrap_token(
                self.app, f"{before}{self.partition}:{past.offset}:{past.event}{after}"
            )
            frame = b'{"event":%b,"resume":"%b"}\n' % (self.line(index), token.encode())
            frames[index] = frame
        return frame

    def all_frames(self, around: tuple[str, str]) -> bytes:
        """The frames of every event of the record, joined: what an unfiltered client gets."""
        blob = self._blobs.get(around)
        if blob is None:
            blob = b"".join([self.frame(i, around) for i in range(len(self.events))])
            self._blobs[around] = blob
        return blob
