"""Tail benchmark: latency from the receiver's 200 to the frame at the client, 1/10/100 clients.

    uv run python bench/tail/run.py [--rate 5000] [--seconds 20] [--clients 1,10,100]
                                    [--transport ndjson|websocket]

Needs the local stack's Kafka (`uv run barito stack up kafka`). It registers a
throw-away app under a unique topic prefix, starts one receiver and one tail
server process (one uvicorn worker each), and for each client count opens
that many tails (NDJSON streams, or websockets as the Web UI opens them),
spread over two client processes. The load generator posts batches of 100
events at the given rate and notes when each 200 arrives; each client notes
the arrival of the first event of every socket read or websocket message
(see ``_Tail``). The
baseline is a raw aiokafka consumer in the load generator's process: the
same latency measured from the receiver's 200 to the record's arrival.
Printed: p50/p99 for the baseline and the tail, the ratio, and the CPU
shares of the server, each client process and the load generator (of one
core), and how busy the whole machine was (all cores): a client process or
load generator near 100 %, or a machine near 100 % busy, means the figure
measures the benchmark or the neighbours, not the server. A 200 noted late
by a busy load generator makes latencies read low (even negative).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson
import websockets
import websockets.asyncio.client
from aiokafka import TopicPartition

from barito_common.app_registry import AppRegistry, publish_profile
from barito_common.chunk_codec import decode_chunk
from barito_common.kafka import (
    Topics,
    create_admin,
    create_consumer,
    create_producer,
    ensure_topics,
    log_topic_spec,
)
from barito_common.schemas import AppProfile, AppStatus, hash_secret
from barito_common.settings import KafkaSettings
from barito_testing.ports import free_port

BATCH = 100
# The trailing comma makes a number cut by a read boundary not match.
SEQ = re.compile(rb'"seq":(\d+),')
DROPPED = re.compile(rb'"dropped":(\d+)')


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float]:
    """Busy and total CPU time of the whole machine (all cores), from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


# --- client process ------------------------------------------------------------------------


class _Tail:
    """What one tail client saw: the client side must cost next to nothing.

    Each read (a socket read of the NDJSON stream, or a websocket message)
    notes the arrival time of its first event (the one that waited longest,
    so the figure errs high) instead of parsing every frame: on a 2-core
    machine, parsing 500,000 frames/s for 100 clients would measure the
    benchmark's own clients, not the server.
    """

    def __init__(self, arrivals: list[tuple[int, float]]) -> None:
        self.arrivals = arrivals
        self.dropped = 0
        self.started = asyncio.Event()
        self.stopped = asyncio.Event()
        self.last = time.monotonic()

    def note(self, data: bytes) -> None:
        self.last = now = time.monotonic()
        first = SEQ.search(data)
        if first:
            self.arrivals.append((int(first.group(1)), now))
        if b'"started"' in data:
            self.started.set()
        if b'"dropped"' in data:
            self.dropped += sum(int(n) for n in DROPPED.findall(data))
        if b'"stop":true' in data:
            self.stopped.set()


class _NdjsonTail(_Tail, asyncio.Protocol):
    """An NDJSON tail read straight off the socket (what `curl -N` and the CLI use)."""

    def data_received(self, data: bytes) -> None:
        self.note(data)


async def _open_ndjson(url: str, secret: str, arrivals: list[tuple[int, float]]) -> _Opened:
    host, port_path = url.split("//", 1)[1].split(":", 1)
    port, path = port_path.split("/", 1)
    request = (f"GET /{path} HTTP/1.1\r\nHost: {host}\r\nX-App-Secret: {secret}\r\n\r\n").encode()
    transport, tail = await asyncio.get_running_loop().create_connection(
        lambda: _NdjsonTail(arrivals), host, int(port)
    )
    transport.write(request)
    return _Opened(tail, transport.close)


async def _open_websocket(url: str, secret: str, arrivals: list[tuple[int, float]]) -> _Opened:
    """A websocket tail, as the Web UI opens one (permessage-deflate offered, as browsers do)."""
    connection = await websockets.asyncio.client.connect(
        "ws" + url.removeprefix("http"), additional_headers={"X-App-Secret": secret}, max_size=None
    )
    tail = _Tail(arrivals)

    async def read() -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                # Bytes, undecoded: what a browser would decode is not the server's cost.
                tail.note(await connection.recv(decode=False))

    reading = asyncio.create_task(read())

    def close() -> None:
        reading.cancel()
        asyncio.get_running_loop().create_task(connection.close())

    return _Opened(tail, close)


@dataclass
class _Opened:
    """An open tail: what it saw, and how to end it."""

    tail: _Tail
    close: Callable[[], None]


OPENERS = {"ndjson": _open_ndjson, "websocket": _open_websocket}


async def client_process(url: str, secret: str, count: int, transport: str) -> None:
    """Open ``count`` tails, say "ready", read until the stop event or 10 quiet s, report."""
    arrivals: list[tuple[int, float]] = []
    opened = [await OPENERS[transport](url, secret, arrivals) for _ in range(count)]
    tails = [stream.tail for stream in opened]
    for tail in tails:
        await tail.started.wait()
    print("ready", flush=True)
    cpu_before, wall_before = time.process_time(), time.monotonic()
    for tail in tails:
        # The stop event may be skipped for a client that fell behind: ten
        # quiet seconds end its case too.
        while not tail.stopped.is_set() and time.monotonic() - tail.last < 10:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(tail.stopped.wait(), 0.5)
    for stream in opened:
        stream.close()
    dropped = sum(tail.dropped for tail in tails)
    # Its own CPU share: near 100% would mean the clients, not the server, set the pace.
    cpu = (time.process_time() - cpu_before) / (time.monotonic() - wall_before)
    print(json.dumps({"arrivals": arrivals, "dropped": dropped, "cpu": cpu}), flush=True)


# --- load generator and baseline -----------------------------------------------------------


async def register(kafka: KafkaSettings) -> tuple[AppProfile, str]:
    topics = Topics(kafka.topic_prefix)
    secret = secrets.token_urlsafe(24)
    profile = AppProfile(
        app_id=str(uuid.uuid4()), slug="bench", name="bench", group_id="bench",
        group_slug="bench", status=AppStatus.ACTIVE, secret_hashes=[hash_secret(secret)],
        tps=10_000_000, topic=topics.logs("bench"), index_prefix="bench", retention_days=1,
        capacity="custom", updated_at=datetime.now(UTC),
    )  # fmt: skip
    registry = AppRegistry(kafka)
    await registry.start()
    await registry.wait_loaded(30)
    await registry.stop()
    admin = create_admin(kafka)
    await admin.start()
    await ensure_topics(admin, [log_topic_spec(topics, "bench", partitions=2, replication=1)])
    await admin.close()
    producer = create_producer(kafka)
    await producer.start()
    await publish_profile(producer, topics, profile)
    await producer.stop()
    return profile, secret


async def baseline(kafka: KafkaSettings, topic: str, arrivals: list[tuple[int, float]]) -> None:
    consumer = create_consumer(kafka, group_id=None, isolation_level="read_uncommitted")
    await consumer.start()
    partitions = [TopicPartition(topic, p) for p in (0, 1)]
    consumer.assign(partitions)
    await consumer.seek_to_end(*partitions)
    for tp in partitions:
        await consumer.position(tp)
    try:
        while True:
            for records in (await consumer.getmany(timeout_ms=100)).values():
                now = time.monotonic()
                for record in records:
                    # Like the tail clients: the first event of each record.
                    events = decode_chunk(record.value)
                    seq = events[0].record.get("seq", -1) if events else -1
                    if seq >= 0:
                        arrivals.append((seq, now))
    finally:
        await consumer.stop()


async def load(url: str, secret: str, rate: int, seconds: float, base: int) -> dict[int, float]:
    """Post BATCH-event bodies at ``rate`` events/s; the time each batch's 200 arrived."""
    acked: dict[int, float] = {}
    headers = {"X-App-Secret": secret, "Content-Type": "application/x-ndjson"}
    interval = BATCH / rate
    pad = "x" * 60

    async def post(client: httpx.AsyncClient, first: int) -> None:
        body = b"\n".join(
            orjson.dumps(
                {"seq": first + i, "level": "info", "message": f"GET /o/{first + i}", "p": pad}
            )
            for i in range(BATCH)
        )
        response = await client.post(f"{url}/api/v1/logs", content=body, headers=headers)
        response.raise_for_status()
        acked[first] = time.monotonic()

    async with httpx.AsyncClient(timeout=30) as client:
        tasks = []
        start = time.monotonic()
        for n in range(int(seconds * rate / BATCH)):
            await asyncio.sleep(max(0.0, start + n * interval - time.monotonic()))
            tasks.append(asyncio.create_task(post(client, base + n * BATCH)))
        await asyncio.gather(*tasks)
        stop = await client.post(f"{url}/api/v1/logs", json={"stop": True}, headers=headers)
        stop.raise_for_status()
    return acked


def latencies(arrivals: list[tuple[int, float]], acked: dict[int, float]) -> list[float]:
    return [
        (now - acked[seq - seq % BATCH]) * 1000
        for seq, now in arrivals
        if seq - seq % BATCH in acked
    ]


async def wait_ready(url: str) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            try:
                if (await client.get(f"{url}/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} never became ready")


async def run_case(args, clients: int, receiver_url: str, tail_url: str, secret: str,
                   kafka: KafkaSettings, topic: str, server_pid: int) -> None:  # fmt: skip
    procs = []
    split = [clients // 2 + clients % 2, clients // 2] if clients > 1 else [1]
    for count in split:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--client", tail_url, secret, str(count), args.transport,
            stdout=subprocess.PIPE, limit=1 << 30,
        )  # fmt: skip
        assert proc.stdout is not None
        assert (await proc.stdout.readline()).strip() == b"ready"
        procs.append(proc)
    base: list[tuple[int, float]] = []
    consuming = asyncio.create_task(baseline(kafka, topic, base))
    await asyncio.sleep(2)  # the baseline consumer stands at the end
    cpu_before, wall_before = cpu_seconds(server_pid), time.monotonic()
    own_before, (busy_before, total_before) = time.process_time(), machine_busy()
    # Each case numbers its events apart, so no arrival is matched to another case's ack.
    acked = await load(receiver_url, secret, args.rate, args.seconds, base=clients * 10**9)
    arrivals: list[tuple[int, float]] = []
    dropped = 0
    client_cpu: list[float] = []
    for proc in procs:
        assert proc.stdout is not None
        report = json.loads(await proc.stdout.readline())
        arrivals += [(seq, now) for seq, now in report["arrivals"]]
        dropped += report["dropped"]
        client_cpu.append(report["cpu"])
        await proc.wait()
    wall = time.monotonic() - wall_before
    cpu = (cpu_seconds(server_pid) - cpu_before) / wall
    own = (time.process_time() - own_before) / wall
    busy_after, total_after = machine_busy()
    busy = (busy_after - busy_before) / max(1, total_after - total_before)
    consuming.cancel()
    await asyncio.gather(consuming, return_exceptions=True)
    tail, raw = latencies(arrivals, acked), latencies(base, acked)
    print(
        f"{clients:>4} clients: tail p50 {percentile(tail, 50):7.1f} ms"
        f" p99 {percentile(tail, 99):7.1f} ms"
        f" | raw consumer p50 {percentile(raw, 50):6.1f} ms p99 {percentile(raw, 99):6.1f} ms"
        f" | p99 ratio {percentile(tail, 99) / percentile(raw, 99):5.1f}"
        f" | {len(tail)} reads sampled, {dropped} events dropped"
        f" | server CPU {cpu:.0%}"
        f" | clients CPU {'/'.join(f'{c:.0%}' for c in client_cpu)}"
        f" | load generator CPU {own:.0%} | machine busy {busy:.0%}",
        flush=True,
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=5000, help="events/s posted")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", default="1,10,100")
    parser.add_argument("--transport", choices=sorted(OPENERS), default="ndjson")
    parser.add_argument("--bootstrap", default="127.0.0.1:19092")
    args = parser.parse_args()

    kafka = KafkaSettings(
        bootstrap_servers=args.bootstrap, topic_prefix=f"bench{uuid.uuid4().hex[:6]}."
    )
    profile, secret = await register(kafka)
    ports = {"receiver": free_port(), "server": free_port()}
    procs = {}
    for name, port in ports.items():
        env = {
            **os.environ, "BARITO_PORT": str(port), "BARITO_LOG_LEVEL": "WARNING",
            "BARITO_KAFKA__BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
            "BARITO_KAFKA__TOPIC_PREFIX": kafka.topic_prefix,
        }  # fmt: skip
        procs[name] = await asyncio.create_subprocess_exec(
            sys.executable, "-m", f"barito_{name}.main", env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
    receiver_url = f"http://127.0.0.1:{ports['receiver']}"
    server_url = f"http://127.0.0.1:{ports['server']}"
    try:
        await wait_ready(receiver_url)
        await wait_ready(server_url)
        print(
            f"{args.rate} events/s for {args.seconds:g}s, batches of {BATCH}, 2 partitions,"
            f" {args.transport} clients"
        )
        tail_url = f"{server_url}/api/v1/tail/bench"
        for clients in (int(c) for c in args.clients.split(",")):
            await run_case(args, clients, receiver_url, tail_url, secret, kafka, profile.topic,
                           procs["server"].pid)  # fmt: skip
    finally:
        for proc in procs.values():
            proc.terminate()
            await proc.wait()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--client":
        asyncio.run(client_process(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]))
    else:
        asyncio.run(main())
