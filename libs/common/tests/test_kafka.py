"""The common Kafka helpers against the real broker of the local stack."""

from __future__ import annotations

import asyncio

from barito_common.kafka import (
    KafkaProbe,
    KafkaUnavailable,
    Topics,
    TopicSpec,
    create_admin,
    create_consumer,
    create_producer,
    ensure_topics,
)
from barito_common.settings import KafkaSettings


def test_topic_names_carry_the_installation_prefix() -> None:
    topics = Topics("acme.")
    assert topics.logs("checkout") == "acme.logs.checkout"
    assert topics.apps == "acme.apps"
    assert topics.dead_letters == "acme.logs.dlq"


def test_log_topic_pattern_matches_app_topics_but_not_dead_letters_or_other_prefixes() -> None:
    import re

    pattern = re.compile(Topics("acme.").logs_pattern)
    assert pattern.match("acme.logs.checkout")
    assert not pattern.match("acme.logs.dlq")
    assert not pattern.match("other.logs.checkout")
    assert not pattern.match("acme.apps")


async def test_idempotent_producer_writes_are_read_back_in_order(stack, unique_name) -> None:
    settings = KafkaSettings(bootstrap_servers=stack.kafka_bootstrap)
    topic = Topics(f"{unique_name}.").logs("app")
    admin = create_admin(settings)
    await admin.start()
    try:
        await ensure_topics(admin, [TopicSpec(topic, partitions=1)])
        # Creating again is a no-op, not an error.
        await ensure_topics(admin, [TopicSpec(topic, partitions=1)])
    finally:
        await admin.close()

    producer = create_producer(settings)
    await producer.start()
    try:
        for n in range(20):
            await producer.send_and_wait(topic, f"chunk-{n}".encode())
        # Idempotence is on only if the broker issued this producer an id: a retried
        # send after a lost ack is then deduplicated by the broker, not written twice.
        assert producer._txn_manager is not None
        assert producer._txn_manager.producer_id >= 0
    finally:
        await producer.stop()

    consumer = create_consumer(settings, topic, group_id=f"{unique_name}-group")
    await consumer.start()
    try:
        received: list[bytes] = []
        async with asyncio.timeout(30):
            while len(received) < 20:
                batch = await consumer.getmany(timeout_ms=1000)
                for records in batch.values():
                    received.extend(record.value for record in records)
        await consumer.commit()
    finally:
        await consumer.stop()
    assert received == [f"chunk-{n}".encode() for n in range(20)]


async def test_probe_names_the_unreachable_brokers() -> None:
    probe = KafkaProbe(KafkaSettings(bootstrap_servers="127.0.0.1:1"), timeout_s=2)
    try:
        try:
            await probe.check()
        except KafkaUnavailable as err:
            assert "127.0.0.1:1" in str(err)
        else:
            raise AssertionError("a probe of a closed port must fail")
    finally:
        await probe.close()
