"""Reading back what a consume loop did: its dead letters and its committed offsets.

Shared by the tests of the loop itself (``libs/common/tests``) and of the
services that run it (the market's consumers, the provisioner's commands).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from barito_common.kafka import DeadRecord, Topics, create_admin, create_consumer
from barito_common.settings import KafkaSettings


async def read_dead_records(
    kafka: KafkaSettings,
    enough: Callable[[list[DeadRecord]], bool],
    *,
    wait_s: float = 60,
) -> list[DeadRecord]:
    """The installation's dead records from the start, read until ``enough`` of them."""
    topic = Topics(kafka.topic_prefix).dead_records
    consumer = create_consumer(kafka, topic, group_id=None)
    await consumer.start()
    letters: list[DeadRecord] = []
    try:
        async with asyncio.timeout(wait_s):
            while not enough(letters):
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    letters += [
                        DeadRecord.read(record.key, record.value, record.headers)
                        for record in records
                    ]
    finally:
        await consumer.stop()
    return letters


async def committed_offset(kafka: KafkaSettings, group_id: str, topic: str) -> int | None:
    """The offset ``group_id`` committed on ``topic``'s partition 0; None before any commit."""
    admin = create_admin(kafka)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group_id)
    finally:
        await admin.close()
    for tp, committed in offsets.items():
        if tp.topic == topic and tp.partition == 0 and committed.offset >= 0:
            return int(committed.offset)
    return None


async def wait_for_commit(
    kafka: KafkaSettings, group_id: str, topic: str, offset: int, *, wait_s: float = 60
) -> None:
    """Wait until ``group_id`` has committed ``offset`` (or more) on ``topic``'s partition 0."""
    async with asyncio.timeout(wait_s):
        while (await committed_offset(kafka, group_id, topic) or 0) < offset:
            await asyncio.sleep(0.1)
