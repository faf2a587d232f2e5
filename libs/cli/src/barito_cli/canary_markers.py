"""The canary's markers and their bookkeeping: what was written, what came back, what did not.

Pure: no I/O and no clock of its own; every time is passed in (``at``, ``now``
on one monotonic clock; a marker's ``sent_at`` on the wall clock, because it
becomes the event's ``@timestamp`` and the search range)::

    >>> ledger = Ledger("r1", deadline_s=30)
    >>> marker = ledger.new_marker(sent_at=1_700_000_000.0)
    >>> ledger.seen(Path.TAIL, {"canary": {"run": "r1", "seq": 0}}, at=9.8).kind
    'early'
    >>> ledger.acked(marker.seq, at=10.0)
    [Found(path=<Path.TAIL: 'tail'>, latency_s=0.0)]
    >>> ledger.seen(Path.TAIL, marker.event(), at=10.3).kind
    'duplicate'
    >>> ledger.expire(now=40.5)
    [(<Path.SEARCH: 'search'>, 0)]

Per path (tail, search) an acknowledged marker is pending until it is seen
or, once ``deadline_s`` has passed since its acknowledgement, missing; so
``acked == seen + missing + pending`` holds at every moment. A marker that
arrives after its deadline stays missing (its latency is still reported, as
``late``). A marker seen before its acknowledgement arrived (the tail reads
Kafka, which can be quicker than the receiver's answer) counts from the
acknowledgement, with latency 0. A marker the writer gave up on (never
acknowledged) is expected nowhere.

Duplicates: on the tail, a marker delivered a second time; in search, a
second document (another ``_id``) for one marker. The search checker reads
the same documents again on every pass, so a document id already known is
no news. Out of order (tail only): a marker first seen after one with a
higher sequence number. Barito keeps order within a Kafka partition, and an
app topic has several, so a catch-up after a reconnect may interleave them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

__all__ = ["PATHS", "Found", "Ledger", "Marker", "Path", "Sighting", "marker_id"]


class Path(StrEnum):
    """Where a marker is read back."""

    TAIL = "tail"
    SEARCH = "search"


PATHS = (Path.TAIL, Path.SEARCH)


@dataclass(frozen=True)
class Marker:
    run: str
    seq: int
    sent_at: float
    """Wall-clock seconds since the epoch: the event's ``@timestamp``."""

    def event(self) -> dict[str, Any]:
        moment = datetime.fromtimestamp(self.sent_at, UTC)
        return {
            "@timestamp": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": "info",
            "message": f"barito canary marker {self.run} {self.seq}",
            "canary": {"run": self.run, "seq": self.seq},
        }

    def body(self) -> bytes:
        """One NDJSON line; the same bytes on every retry, as the request id covers them."""
        return json.dumps(self.event(), separators=(",", ":")).encode() + b"\n"

    @property
    def idempotency_key(self) -> str:
        return f"barito-canary-{self.run}-{self.seq}"


def marker_id(event: Mapping[str, Any]) -> tuple[str, int] | None:
    """``(run, seq)`` of a marker event, or None for any other event."""
    canary = event.get("canary")
    if not isinstance(canary, Mapping):
        return None
    run, seq = canary.get("run"), canary.get("seq")
    if not isinstance(run, str) or not isinstance(seq, int) or isinstance(seq, bool):
        return None
    return run, seq


@dataclass(frozen=True)
class Found:
    """A marker counted as seen on ``path``, ``latency_s`` after its acknowledgement."""

    path: Path
    latency_s: float


@dataclass(frozen=True)
class Sighting:
    """What one marker read back means.

    * ``first``: counted as seen now, ``latency_s`` after its acknowledgement;
    * ``early``: seen before its acknowledgement; counted when that arrives;
    * ``late``: seen after its deadline; it stays missing;
    * ``duplicate``: seen again (tail) or in one more document (search);
    * ``ignored``: another run's marker, or a search document already known.
    """

    kind: Literal["first", "early", "late", "duplicate", "ignored"]
    latency_s: float | None = None
    out_of_order: bool = False


_IGNORED = Sighting("ignored")


@dataclass
class _Entry:
    sent_at: float
    acked_at: float | None = None
    seen_at: dict[Path, float] = field(default_factory=dict)
    missing: set[Path] = field(default_factory=set)
    document_ids: set[str] = field(default_factory=set)

    def pending_on(self, path: Path) -> bool:
        return self.acked_at is not None and path not in self.missing and path not in self.seen_at


class Ledger:
    """Every marker of one run, from its sending until it is seen or missing on each path."""

    def __init__(self, run: str, *, deadline_s: float, retain_s: float | None = None) -> None:
        self.run = run
        self.deadline_s = deadline_s
        # Long enough that the search checker's window (which reaches back one
        # deadline) has moved past a marker before it is forgotten.
        self.retain_s = retain_s if retain_s is not None else 2 * deadline_s
        self._entries: dict[int, _Entry] = {}
        self._next_seq = 0
        self._highest_on_tail = -1

    def new_marker(self, *, sent_at: float) -> Marker:
        marker = Marker(self.run, self._next_seq, sent_at)
        self._entries[marker.seq] = _Entry(sent_at)
        self._next_seq += 1
        return marker

    def acked(self, seq: int, *, at: float) -> list[Found]:
        """The receiver answered 2xx: the marker is expected; counts sightings that came first."""
        entry = self._entries[seq]
        entry.acked_at = at
        return [Found(path, max(0.0, seen - at)) for path, seen in entry.seen_at.items()]

    def seen(
        self, path: Path, event: Mapping[str, Any], *, at: float, document_id: str | None = None
    ) -> Sighting:
        found = marker_id(event)
        if found is None or found[0] != self.run or not 0 <= found[1] < self._next_seq:
            return _IGNORED
        seq = found[1]
        entry = self._entries.get(seq)
        if entry is None:
            # Forgotten, which happens only to markers seen on both paths.
            return _IGNORED if path is Path.SEARCH else Sighting("duplicate")
        if path is Path.SEARCH:
            # Without an id, one document cannot be told from another: only the first counts.
            if document_id is None:
                if path in entry.seen_at:
                    return _IGNORED
            elif document_id in entry.document_ids:
                return _IGNORED
            else:
                entry.document_ids.add(document_id)
        if path in entry.seen_at:
            return Sighting("duplicate")
        entry.seen_at[path] = at
        out_of_order = False
        if path is Path.TAIL:
            out_of_order = seq < self._highest_on_tail
            self._highest_on_tail = max(self._highest_on_tail, seq)
        if entry.acked_at is None:
            return Sighting("early", out_of_order=out_of_order)
        latency = max(0.0, at - entry.acked_at)
        kind: Literal["first", "late"] = "late" if path in entry.missing else "first"
        return Sighting(kind, latency, out_of_order)

    def expire(self, *, now: float) -> list[tuple[Path, int]]:
        """Markers whose deadline passed unseen, now missing: ``(path, seq)``, each once."""
        newly: list[tuple[Path, int]] = []
        for seq, entry in self._entries.items():
            if entry.acked_at is None or now - entry.acked_at < self.deadline_s:
                continue
            for path in PATHS:
                if entry.pending_on(path):
                    entry.missing.add(path)
                    newly.append((path, seq))
        return newly

    def pending(self, path: Path) -> int:
        return sum(entry.pending_on(path) for entry in self._entries.values())

    def search_window_start(self, *, now_wall: float) -> float:
        """Wall-clock start of the search range: every marker not yet found, and one deadline back.

        Looking a deadline back even when nothing is pending lets a second
        document of a marker already found be seen (and counted as a duplicate).
        """
        start = now_wall - self.deadline_s
        pending = [e.sent_at for e in self._entries.values() if e.pending_on(Path.SEARCH)]
        return min([start, *pending])

    def prune(self, *, now: float) -> None:
        """Forget markers seen on both paths more than ``retain_s`` ago, so memory stays bounded.

        Missing markers and those the writer gave up on (never acknowledged)
        are kept: they are rare, and a late sighting of one must not pass for
        a duplicate.
        """
        done = [
            seq
            for seq, entry in self._entries.items()
            if entry.acked_at is not None
            and not entry.missing
            and all(path in entry.seen_at for path in PATHS)
            and now - entry.acked_at > self.retain_s
        ]
        for seq in done:
            del self._entries[seq]
