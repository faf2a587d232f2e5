"""With Kafka not acknowledging, the syslog listener stops reading instead of dropping.

The app belongs to a dedicated group whose Kafka is ``second_kafka``, a real
broker of the test's own, so stopping it leaves the stack's Kafka (and every
other test) alone. While it is down the receiver holds the batch it read and
reads nothing more; once it is back, every message sent meanwhile is in the
app's topic.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest

from barito_common.schemas import ClusterCoordinates
from barito_testing.apps import Apps
from barito_testing.ports import free_port
from barito_testing.rsyslogd import running_rsyslogd, send_lines
from barito_testing.second_kafka import SecondKafka


@pytest.fixture(scope="module")
def receiver_settings() -> dict[str, Any]:
    return {"syslog_port": free_port(), "cluster_connect_wait_s": 2.0}


def frame(secret: str, text: str) -> bytes:
    message = f'<14>1 - h a - - [barito@32473 secret="{secret}"] {text}'.encode()
    return f"{len(message)} ".encode() + message


async def test_kafka_down_holds_messages_back_and_none_is_lost_when_it_returns(
    receiver: Any, second_kafka: SecondKafka, stack: Any
) -> None:
    apps: Apps = receiver.apps
    cluster: ClusterCoordinates = second_kafka.coordinates(search_url=stack.elasticsearch_url)
    app = await apps.register(cluster=cluster)
    run = uuid.uuid4().hex[:8]
    before = [f"before-{run}-{n}" for n in range(5)]
    during = [f"during-{run}-{n}" for n in range(2000)]

    _, writer = await asyncio.open_connection("127.0.0.1", receiver.settings.syslog_port)
    writer.write(b"".join(frame(app.secret, text) for text in before))
    await writer.drain()
    assert [e.record["message"] for e in await apps.events(app, expect=5)] == before

    await asyncio.to_thread(second_kafka.stop)
    try:
        writer.write(b"".join(frame(app.secret, text) for text in during))
        await asyncio.sleep(3)  # let the receiver read and try to send into the outage
    finally:
        await asyncio.to_thread(second_kafka.start)
    await writer.drain()
    writer.write_eof()

    events = await apps.events(app, expect=len(before) + len(during), wait_s=120)
    messages = [event.record["message"] for event in events]
    # A 503 after a chunk was in fact written makes its retry a copy (the flow
    # indexes it once, by its content's id); what matters here is that nothing
    # the sender wrote is missing, in the order it was sent.
    assert set(messages) == set(before) | set(during)
    assert list(dict.fromkeys(messages)) == before + during
    writer.close()


async def test_rsyslog_queues_while_kafka_is_down_and_every_marker_lands_once(
    receiver: Any, second_kafka: SecondKafka, stack: Any, tmp_path: Path
) -> None:
    apps: Apps = receiver.apps
    cluster = second_kafka.coordinates(search_url=stack.elasticsearch_url)
    app = await apps.register(cluster=cluster)
    run = uuid.uuid4().hex[:8]
    # As many as the connection's socket buffers hold while the receiver
    # holds back (~30 KB): a sender whose writes stall for long resets the
    # connection and the kernel drops what the receiver had not read yet, the
    # loss TCP syslog without acknowledgements cannot avoid (docs/agents.md).
    marks = [f"rs-{run}-{n}" for n in range(300)]
    port = receiver.settings.syslog_port
    async with running_rsyslogd(tmp_path, port, {"rfc5424-octet": app}) as input_port:
        await send_lines(input_port, [f"<14>1 - web01 app - - - {marks[0]}"])
        assert [e.record["message"] for e in await apps.events(app, expect=1)] == marks[:1]

        await asyncio.to_thread(second_kafka.stop)
        try:
            await send_lines(input_port, [f"<14>1 - web01 app - - - {m}" for m in marks[1:]])
            await asyncio.sleep(3)  # rsyslog forwards into the outage
        finally:
            await asyncio.to_thread(second_kafka.start)

        # Not in order, and some twice: when its writes stall, omfwd opens a
        # second connection and goes on there, resending what it counted as
        # failed, while the first one's bytes are still read and sent after.
        # So wait for every marker, not for a count.
        async with asyncio.timeout(120):
            while True:
                events = await apps.events(app, expect=len(marks), wait_s=120)
                if {event.record["message"] for event in events} >= set(marks):
                    break
                await asyncio.sleep(1)
    assert {event.record["message"] for event in events} == set(marks)
