"""The consume loop's failure policy against the real Kafka of the local stack.

Each test runs a :class:`ConsumeLoop` on a topic and a consumer group of its
own, with a handler that records what it was given, and reads back the dead
letters and the group's committed offset from Kafka itself.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from barito_common.kafka import (
    Backoff,
    ConsumeLoop,
    Polling,
    Subscription,
    TopicSpec,
    create_producer,
    ensure_topics,
)
from barito_common.settings import KafkaSettings
from barito_testing.apps import partition_count
from barito_testing.dead_records import committed_offset, read_dead_records, wait_for_commit


class Refused(Exception):
    """A handler's error that no retry cures."""


def decode(value: bytes) -> str:
    if value.startswith(b"!"):
        raise ValueError("not a payload: it starts with '!'")
    return value.decode()


@dataclass
class Work:
    """A topic, a group, and what a loop's handler was given from them."""

    kafka: KafkaSettings
    topic: str
    group_id: str
    handled: list[str] = field(default_factory=list)
    attempts: list[str] = field(default_factory=list)

    async def publish(self, *values: bytes) -> None:
        await ensure_topics(self.kafka, [TopicSpec(self.topic)])
        producer = create_producer(self.kafka)
        await producer.start()
        try:
            for value in values:
                await producer.send_and_wait(self.topic, value, key=b"k")
        finally:
            await producer.stop()

    @contextlib.asynccontextmanager
    async def running(self, handle: Callable[[str], Awaitable[None]]) -> AsyncIterator[None]:
        """A loop consuming the topic with ``handle`` until the block ends."""

        async def recorded(payload: str) -> None:
            self.attempts.append(payload)
            await handle(payload)
            self.handled.append(payload)

        loop = ConsumeLoop(
            self.kafka,
            Subscription(
                topic=self.topic,
                group_id=self.group_id,
                decode=decode,
                handle=recorded,
                creates=(TopicSpec(self.topic),),
            ),
            name="test",
            backoff=Backoff(base_s=0.05, cap_s=0.2),
            polling=Polling(timeout_ms=100),
        )
        task = asyncio.create_task(loop.run())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def handled_until(self, count: int) -> list[str]:
        async with asyncio.timeout(60):
            while len(self.handled) < count:
                await asyncio.sleep(0.05)
        return self.handled


@pytest.fixture
def work(stack: Any, unique_name: str) -> Work:
    kafka = KafkaSettings(bootstrap_servers=stack.kafka_bootstrap, topic_prefix=f"{unique_name}.")
    return Work(kafka, topic=f"{unique_name}.work", group_id=f"{unique_name}-group")


async def accept(payload: str) -> None:
    if payload == "refused":
        raise Refused("the handler's rules refuse this record")


async def test_poison_records_land_in_the_dead_letters_with_their_origin_and_the_next_is_handled(
    work: Work,
) -> None:
    await work.publish(b"first", b"!garbled", b"refused", b"after")

    async with work.running(accept):
        handled = await work.handled_until(2)
        await wait_for_commit(work.kafka, work.group_id, work.topic, 4)

    assert handled == ["first", "after"]
    letters = await read_dead_records(work.kafka, lambda letters: len(letters) >= 2)
    assert [(d.topic, d.partition, d.offset, d.stage) for d in letters] == [
        (work.topic, 0, 1, "decode"),
        (work.topic, 0, 2, "handle"),
    ]
    # The original bytes and key, byte for byte, and why it failed.
    assert [(d.key, d.value, d.consumer) for d in letters] == [
        (b"k", b"!garbled", work.group_id),
        (b"k", b"refused", work.group_id),
    ]
    assert letters[0].error == "ValueError: not a payload: it starts with '!'"
    assert letters[1].error == "Refused: the handler's rules refuse this record"


async def test_a_transient_failure_is_retried_and_nothing_is_committed_until_it_succeeds(
    work: Work,
) -> None:
    database_back = asyncio.Event()

    async def flaky(payload: str) -> None:
        if payload == "flaky" and not database_back.is_set():
            raise ConnectionRefusedError("the database is away")

    await work.publish(b"before", b"flaky", b"after")

    async with work.running(flaky):
        async with asyncio.timeout(60):
            while work.attempts.count("flaky") < 3:
                await asyncio.sleep(0.05)
        # Retried in place: what came before is committed, the failing record is not,
        # and nothing after it was handled past it.
        assert await committed_offset(work.kafka, work.group_id, work.topic) == 1
        assert work.handled == ["before"]
        database_back.set()
        handled = await work.handled_until(3)
        await wait_for_commit(work.kafka, work.group_id, work.topic, 3)

    assert handled == ["before", "flaky", "after"]
    letters = await read_dead_records(work.kafka, lambda _: True, wait_s=1)
    assert letters == []


async def test_a_restarted_consumer_resumes_after_the_last_commit_without_skipping_or_repeating(
    work: Work,
) -> None:
    await work.publish(*(f"r{n}".encode() for n in range(5)))
    async with work.running(accept):
        await wait_for_commit(work.kafka, work.group_id, work.topic, 5)

    await work.publish(*(f"r{n}".encode() for n in range(5, 10)))
    async with work.running(accept):
        await work.handled_until(10)
        await wait_for_commit(work.kafka, work.group_id, work.topic, 10)
        # A moment more: a repeat would show up as an eleventh.
        await asyncio.sleep(0.5)

    assert work.handled == [f"r{n}" for n in range(10)]


async def test_ensure_topics_creates_what_is_missing_and_waits_for_kafka_when_told(
    work: Work,
) -> None:
    spec = TopicSpec(work.topic, partitions=2)
    await ensure_topics(work.kafka, [spec])
    await ensure_topics(work.kafka, [spec])  # again: a no-op, not an error
    assert await partition_count(work.kafka, work.topic) == 2

    nowhere = KafkaSettings(bootstrap_servers="127.0.0.1:1", request_timeout_ms=1000)
    with pytest.raises(Exception):  # noqa: B017 - whatever the client raises for a closed port
        await ensure_topics(nowhere, [spec])
    # Told to wait, it keeps trying rather than failing.
    waiting = asyncio.create_task(ensure_topics(nowhere, [spec], retry=Backoff(base_s=0.05)))
    await asyncio.sleep(1.5)
    assert not waiting.done()
    waiting.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await waiting
