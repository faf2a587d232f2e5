"""Faults in the middle of a stream: every acknowledged event still ends up indexed once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime

import httpx
import pytest
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment
from prometheus_client.parser import text_string_to_metric_families

from barito_cli.stack.manager import stack_down, stack_up
from barito_common.kafka import create_admin
from barito_testing.flow import Pipeline, pipeline
from barito_testing.ports import free_port

pytestmark = pytest.mark.disruptive

BATCHES, BATCH_SIZE = 40, 100


async def _stream(
    p: Pipeline, app, *, pause_s: float = 0.1, until: asyncio.Event | None = None
) -> int:
    """Send batches of BATCH_SIZE events, BATCHES of them; return how many events were sent.

    With ``until``, send until it is set, then BATCHES // 4 more: whatever set it
    happened mid-stream, however long it took to happen.
    """
    stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    sent = 0

    async def send_batch() -> None:
        nonlocal sent
        events = [
            {"@timestamp": stamp, "seq": sent + i, "message": "fault test"}
            for i in range(BATCH_SIZE)
        ]
        await p.send_ndjson(app, events)
        sent += BATCH_SIZE
        await asyncio.sleep(pause_s)

    if until is not None:
        while not until.is_set():
            await send_batch()
    for _ in range(BATCHES if until is None else BATCHES // 4):
        await send_batch()
    return sent


async def _assert_each_once(p: Pipeline, app, total: int) -> None:
    assert await p.wait_for_count(app, total, timeout_s=180) == total
    pattern = f"{app.profile.index_prefix}-*"
    body = await p.search.search(
        pattern, size=0, aggs={"seqs": {"terms": {"field": "seq", "size": total + 10}}}
    )
    counts = [bucket["doc_count"] for bucket in body["aggregations"]["seqs"]["buckets"]]
    assert len(counts) == total and set(counts) == {1}


async def test_search_engine_stopped_mid_stream_loses_and_doubles_nothing(stack) -> None:
    async with pipeline(stack, "elasticsearch") as p:
        app = await p.apps.register()
        sending = asyncio.create_task(_stream(p, app))
        await asyncio.sleep(1.5)
        await asyncio.to_thread(stack_down, stack.config, ["elasticsearch"], echo=print)
        try:
            await asyncio.sleep(30)
        finally:
            await asyncio.to_thread(stack_up, stack.config, ["elasticsearch"], echo=print)
        await _assert_each_once(p, app, await sending)


def _start_flow(p: Pipeline, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "BARITO_PORT": str(port),
        "BARITO_KAFKA__BOOTSTRAP_SERVERS": p.kafka.bootstrap_servers,
        "BARITO_KAFKA__TOPIC_PREFIX": p.kafka.topic_prefix,
        "BARITO_SEARCH__ENGINE": p.search_settings.engine,
        "BARITO_SEARCH__URL": p.search_settings.url,
        "BARITO_SEARCH__INDEX_PREFIX": p.search_settings.index_prefix,
        "BARITO_GROUP_ID": p.group_id,
        "BARITO_RETRY_CAP_S": "2",
        "BARITO_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "barito_flow.main"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def test_flow_killed_with_sigkill_three_times_mid_stream_loses_and_doubles_nothing(
    stack,
) -> None:
    async with pipeline(stack, "elasticsearch", with_flow=False) as p:
        app = await p.apps.register()
        port = free_port()
        flow = _start_flow(p, port)
        try:
            sending = asyncio.create_task(_stream(p, app, pause_s=0.2))
            for _ in range(3):
                await asyncio.sleep(2.5)
                flow.send_signal(signal.SIGKILL)
                await asyncio.to_thread(flow.wait)
                flow = _start_flow(p, port)
            await _assert_each_once(p, app, await sending)
        finally:
            flow.terminate()
            await asyncio.to_thread(flow.wait)


async def test_a_second_flow_joining_and_leaving_mid_stream_loses_and_doubles_nothing(
    stack,
) -> None:
    async with pipeline(stack, "elasticsearch") as p:
        app = await p.apps.register(partitions=4)
        second_left = asyncio.Event()
        sending = asyncio.create_task(_stream(p, app, pause_s=0.15, until=second_left))
        await asyncio.sleep(1.5)
        port = free_port()
        second = _start_flow(p, port)
        try:
            # The group was rebalanced: both flows own some of the app's partitions...
            owners = await _partition_owners(p, app, members=2)
            assert all(owners) and set().union(*owners) == {0, 1, 2, 3}
            # ...and the second indexes what it was given.
            await _second_flow_indexes(port, app)
        finally:
            second.terminate()  # SIGTERM: finish, commit, leave the group
            await asyncio.to_thread(second.wait)
            second_left.set()
        # Rebalanced back: the first flow owns every partition again.
        assert await _partition_owners(p, app, members=1) == [{0, 1, 2, 3}]
        await _assert_each_once(p, app, await sending)


async def _partition_owners(p: Pipeline, app, *, members: int) -> list[set[int]]:
    """The app's partitions each member of the flow's group owns, once it has ``members``."""
    admin = create_admin(p.kafka)
    await admin.start()
    try:
        async with asyncio.timeout(90):
            while True:
                [response] = await admin.describe_consumer_groups([p.group_id])
                [(_, _, state, _, _, described)] = response.groups
                owners = [
                    _partitions(assignment, app.profile.topic) for *_, assignment in described
                ]
                # Assignments are only settled once the group is Stable.
                if state == "Stable" and len(owners) == members and all(owners):
                    return owners
                await asyncio.sleep(0.5)
    finally:
        await admin.close()


def _partitions(assignment: bytes, topic: str) -> set[int]:
    """The partitions of ``topic`` in a member's assignment (empty while it rebalances)."""
    if not assignment:
        return set()
    decoded = ConsumerProtocolMemberAssignment.decode(assignment).assignment
    return {partition for name, partitions in decoded if name == topic for partition in partitions}


async def _second_flow_indexes(port: int, app) -> None:
    """Wait until the flow serving on ``port`` has indexed some of the app's events."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        async with asyncio.timeout(60):
            while True:
                metrics = text_string_to_metric_families((await client.get("/metrics")).text)
                sent = sum(
                    sample.value
                    for family in metrics
                    if family.name == "barito_events_sent"
                    for sample in family.samples
                    if sample.name == "barito_events_sent_total"
                    and sample.labels.get("app") == app.profile.slug
                )
                if sent > 0:
                    return
                await asyncio.sleep(0.5)


async def test_kafka_restarted_mid_stream_loses_and_doubles_nothing(stack) -> None:
    async with pipeline(stack, "elasticsearch") as p:
        app = await p.apps.register()
        sending = asyncio.create_task(_stream(p, app))
        await asyncio.sleep(1.5)
        await asyncio.to_thread(stack_down, stack.config, ["kafka"], echo=print)
        await asyncio.to_thread(stack_up, stack.config, ["kafka"], echo=print)
        await _assert_each_once(p, app, await sending)
