"""A full client queue skips new records for that client and says how many, in order."""

from __future__ import annotations

import asyncio

from barito_common.chunk_codec import Event
from barito_server.client_queue import ClientQueue, Skipped
from barito_server.resume_token import Position
from barito_server.tail_record import TailRecord


def record(offset: int, events: int, partition: int = 0) -> TailRecord:
    chunk = [Event("2026-01-01T00:00:00.000Z", {"n": i}) for i in range(events)]
    return TailRecord("app", partition, offset, chunk)


def drain(queue: ClientQueue) -> list[TailRecord | Skipped]:
    items = []
    while (item := queue.take()) is not None:
        items.append(item)
    return items


def test_records_beyond_the_bound_are_skipped_and_counted_once() -> None:
    queue = ClientQueue(10, count_matching=lambda r: len(r.events))
    assert queue.offer(record(0, 6)) == 0
    assert queue.offer(record(1, 4)) == 0
    assert queue.offer(record(2, 5)) == 5
    assert queue.offer(record(3, 5, partition=1)) == 5
    items = drain(queue)
    assert [getattr(i, "offset", None) for i in items] == [0, 1, None]
    skipped = items[2]
    assert isinstance(skipped, Skipped)
    assert skipped.count == 10
    assert skipped.past == {0: Position(3, 0), 1: Position(4, 0)}


def test_new_records_queue_again_after_the_client_catches_up() -> None:
    queue = ClientQueue(4, count_matching=lambda r: 1)
    queue.offer(record(0, 4))
    assert queue.offer(record(1, 4)) == 1  # only the matching events count
    drain(queue)
    assert queue.offer(record(2, 4)) == 0
    assert queue.pending_events == 4


def test_a_chunk_larger_than_the_bound_still_gets_through_an_empty_queue() -> None:
    queue = ClientQueue(3, count_matching=lambda r: len(r.events))
    assert queue.offer(record(0, 50)) == 0
    assert [i.offset for i in drain(queue) if isinstance(i, TailRecord)] == [0]


async def test_a_waiting_client_wakes_for_a_record_and_otherwise_when_its_wait_ends() -> None:
    queue = ClientQueue(10, count_matching=lambda r: len(r.events))
    assert await queue.wait(0.01) is False  # nothing came: time for a heartbeat
    waiting = asyncio.create_task(queue.wait(3600))
    await asyncio.sleep(0)
    queue.offer(record(0, 1))
    # Guarded so a wake that never comes fails the test instead of hanging it.
    assert await asyncio.wait_for(waiting, 10) is True
    queue.close()
