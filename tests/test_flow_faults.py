"""Faults in the middle of a stream: every acknowledged event still ends up indexed once."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from barito_cli.stack.manager import stack_down, stack_up
from tests.flow_pipeline import Pipeline, pipeline

pytestmark = pytest.mark.disruptive

BATCHES, BATCH_SIZE = 40, 100


async def _stream(p: Pipeline, app, *, pause_s: float = 0.1) -> int:
    stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    for batch in range(BATCHES):
        events = [
            {"@timestamp": stamp, "seq": batch * BATCH_SIZE + i, "message": "fault test"}
            for i in range(BATCH_SIZE)
        ]
        await p.send_ndjson(app, events)
        await asyncio.sleep(pause_s)
    return BATCHES * BATCH_SIZE


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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_flow(p: Pipeline, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "BARITO_PORT": str(port),
        "BARITO_KAFKA__BOOTSTRAP_SERVERS": p.kafka.bootstrap_servers,
        "BARITO_KAFKA__TOPIC_PREFIX": p.kafka.topic_prefix,
        "BARITO_SEARCH__ENGINE": p.search_settings.engine,
        "BARITO_SEARCH__URL": p.search_settings.url,
        "BARITO_SEARCH__INDEX_PREFIX": p.search_settings.index_prefix,
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
        port = _free_port()
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
        sending = asyncio.create_task(_stream(p, app, pause_s=0.15))
        await asyncio.sleep(1.5)
        second = _start_flow(p, _free_port())
        try:
            await asyncio.sleep(4)
        finally:
            second.terminate()  # SIGTERM: finish, commit, leave the group
            await asyncio.to_thread(second.wait)
        await _assert_each_once(p, app, await sending)


async def test_kafka_restarted_mid_stream_loses_and_doubles_nothing(stack) -> None:
    async with pipeline(stack, "elasticsearch") as p:
        app = await p.apps.register()
        sending = asyncio.create_task(_stream(p, app))
        await asyncio.sleep(1.5)
        await asyncio.to_thread(stack_down, stack.config, ["kafka"], echo=print)
        await asyncio.to_thread(stack_up, stack.config, ["kafka"], echo=print)
        await _assert_each_once(p, app, await sending)
