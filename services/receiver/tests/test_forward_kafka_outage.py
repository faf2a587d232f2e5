"""A Kafka outage during an acked forward session loses nothing.

fluent-logger-golang with ``RequestAck`` sends marked events to an app of a
dedicated group whose Kafka is ``second_kafka`` (a real broker of the test's
own), so stopping it makes Kafka unreachable for this app without touching
the stack's Kafka the other tests share. While it is down, requests get no
ack and their connection is closed; the logger writes each again until one
is acknowledged. Every marker must be in the topic, and any copy a resend
made must carry the same request id, which the flow indexes once.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from barito_common.chunk_codec import REQUEST_ID_HEADER, decode_chunk
from barito_common.kafka import create_consumer
from barito_testing.fluent_logger_golang import fluent_logger_golang
from barito_testing.ports import free_port
from barito_testing.second_kafka import SecondKafka

COUNT = 60
pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def receiver_settings() -> dict[str, Any]:
    return {
        "forward_port": free_port(),
        "produce_timeout_s": 5.0,
        "retry_after_s": 1,
        "cluster_connect_wait_s": 2.0,
    }


def _kafka_failures(receiver: Any) -> float:
    value = receiver.app.state.metrics.get_sample_value("barito_errors_total", {"stage": "produce"})
    return float(value or 0)


async def _wait_for_line(stream: asyncio.StreamReader, wanted: str, seen: list[str]) -> None:
    while True:
        line = (await stream.readline()).decode()
        if not line:
            raise AssertionError(f"the logger ended before {wanted!r}: {seen[-5:]}")
        seen.append(line.strip())
        if line.strip() == wanted:
            return


async def test_golang_logger_with_request_ack_loses_nothing_across_a_kafka_outage(
    receiver: Any, stack: Any, second_kafka: SecondKafka
) -> None:
    binary = fluent_logger_golang(Path(stack.config.cache_dir))
    cluster = second_kafka.coordinates(search_url=stack.elasticsearch_url)
    app = await receiver.apps.register(cluster=cluster)
    prefix = f"outage-{uuid.uuid4().hex[:6]}"
    process = await asyncio.create_subprocess_exec(
        str(binary),
        *("-port", str(receiver.settings.forward_port), "-tag", f"{app.secret}.web"),
        *("-prefix", prefix, "-count", str(COUNT), "-interval", "100ms", "-max-retry", "200"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert process.stdout is not None
    seen: list[str] = []
    try:
        async with asyncio.timeout(300):
            await _wait_for_line(process.stdout, "sent 10", seen)
            failures = _kafka_failures(receiver)
            await asyncio.to_thread(second_kafka.stop)
            try:
                # Down until the receiver has refused at least one request for it.
                while _kafka_failures(receiver) == failures:
                    await asyncio.sleep(0.2)
            finally:
                await asyncio.to_thread(second_kafka.start)
            await _wait_for_line(process.stdout, f"sent {COUNT - 1}", seen)
            assert await process.wait() == 0, seen[-5:]
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    copies: dict[str, set[str]] = defaultdict(set)
    consumer = create_consumer(
        receiver.apps.kafka_of(app.profile), app.profile.topic, group_id=None
    )
    await consumer.start()
    try:
        async with asyncio.timeout(60):
            while len(copies) < COUNT:
                for batch in (await consumer.getmany(timeout_ms=500)).values():
                    for record in batch:
                        (request,) = [v for k, v in record.headers if k == REQUEST_ID_HEADER]
                        for event in decode_chunk(record.value):
                            copies[event.record["marker"]].add(request.decode())
    finally:
        await consumer.stop()
    assert sorted(copies) == sorted(f"{prefix}-{n}" for n in range(COUNT))
    # A resend (the ack lost with the outage) has the first copy's request id.
    assert all(len(requests) == 1 for requests in copies.values()), copies
