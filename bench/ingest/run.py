"""Ingest benchmark: one receiver process vs. a raw aiokafka producer, same broker, same run.

    uv run python bench/ingest/run.py [--requests 300] [--concurrency 8]

Needs the local stack's Kafka (`uv run barito stack up kafka`). It registers
a throw-away app under a unique topic prefix, starts one receiver process
(one uvicorn worker), and sends NDJSON batches of 1,000 events of about 250
bytes, plain and gzip. The baseline writes the very chunks the receiver would
write, with the same idempotent acks=all producer, straight to Kafka. The
plain bodies are sent twice, the second time each request named by an
Idempotency-Key, which costs the receiver a BLAKE2b of the body. Printed:
events/s of each, their ratio, the receiver's events per CPU-second (its
"per core" rate, from /proc), and p50/p99 request latency.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import os
import secrets
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson

from barito_common.app_registry import AppRegistry, publish_profile
from barito_common.chunk_codec import Event, encode_chunks
from barito_common.kafka import Topics, create_admin, create_producer, ensure_topics, log_topic_spec
from barito_common.schemas import AppProfile, AppStatus, hash_secret
from barito_common.settings import KafkaSettings
from barito_testing.ports import free_port

EVENTS_PER_REQUEST = 1000


def make_batch(seed: int) -> bytes:
    lines = []
    for i in range(EVENTS_PER_REQUEST):
        event = {
            "@timestamp": "2026-11-28T10:00:00.123Z",
            "level": "info",
            "service": "checkout",
            "host": "web-17.example.internal",
            "trace_id": f"{seed:08x}{i:024x}",
            "message": f"GET /api/v1/orders/{seed * 1000 + i} 200 12.3ms user=u{i % 97} "
            "agent=Mozilla/5.0 cache=miss",
        }
        lines.append(orjson.dumps(event))
    return b"\n".join(lines) + b"\n"


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def register(kafka: KafkaSettings) -> tuple[AppProfile, str]:
    topics = Topics(kafka.topic_prefix)
    secret = secrets.token_urlsafe(24)
    slug = "bench"
    profile = AppProfile(
        app_id=str(uuid.uuid4()), slug=slug, name=slug, group_id="bench", group_slug="bench",
        status=AppStatus.ACTIVE, secret_hashes=[hash_secret(secret)], tps=10_000_000,
        topic=topics.logs(slug), index_prefix="bench", retention_days=1, capacity="custom",
        updated_at=datetime.now(UTC),
    )  # fmt: skip
    registry = AppRegistry(kafka)
    await registry.start()
    await registry.wait_loaded(30)
    await registry.stop()
    admin = create_admin(kafka)
    await admin.start()
    await ensure_topics(admin, [log_topic_spec(topics, slug, partitions=2, replication=1)])
    await admin.close()
    producer = create_producer(kafka)
    await producer.start()
    await publish_profile(producer, topics, profile)
    await producer.stop()
    return profile, secret


async def drive(
    url: str,
    secret: str,
    bodies: list[bytes],
    gzipped: bool,
    concurrency: int,
    keyed: bool = False,
):
    headers = {"X-App-Secret": secret, "Content-Type": "application/x-ndjson"}
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    latencies: list[float] = []
    queue: asyncio.Queue[tuple[int, bytes]] = asyncio.Queue()
    for n, body in enumerate(bodies):
        queue.put_nowait((n, body))
    run = uuid.uuid4().hex

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            n, body = queue.get_nowait()
            sent = {**headers, "Idempotency-Key": f"{run}-{n}"} if keyed else headers
            started = time.perf_counter()
            response = await client.post(f"{url}/api/v1/logs", content=body, headers=sent)
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"receiver answered {response.status_code}: {response.text}")

    async with httpx.AsyncClient(timeout=60) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return elapsed, latencies


async def baseline(kafka: KafkaSettings, topic: str, bodies: list[bytes], concurrency: int):
    """The same chunks, produced directly: what Kafka and aiokafka cost on their own."""
    received = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    chunk_sets = [
        encode_chunks([Event(received, orjson.loads(line)) for line in body.splitlines()])
        for body in bodies
    ]
    producer = create_producer(kafka, compression_type="zstd")
    await producer.start()
    queue: asyncio.Queue[list[bytes]] = asyncio.Queue()
    for chunks in chunk_sets:
        queue.put_nowait(chunks)

    async def worker() -> None:
        while not queue.empty():
            chunks = queue.get_nowait()
            acks = [await producer.send(topic, chunk, partition=0) for chunk in chunks]
            await asyncio.gather(*acks)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    await producer.stop()
    return elapsed


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--bootstrap", default="127.0.0.1:19092")
    args = parser.parse_args()

    kafka = KafkaSettings(
        bootstrap_servers=args.bootstrap, topic_prefix=f"bench{uuid.uuid4().hex[:6]}."
    )
    profile, secret = await register(kafka)
    bodies = [make_batch(seed) for seed in range(args.requests)]
    mean_event = sum(len(b) for b in bodies) / (len(bodies) * EVENTS_PER_REQUEST)

    port = free_port()
    env = {
        **os.environ,
        "BARITO_PORT": str(port),
        "BARITO_KAFKA__BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "BARITO_KAFKA__TOPIC_PREFIX": kafka.topic_prefix,
        "BARITO_LOG_LEVEL": "WARNING",
    }
    receiver = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "barito_receiver.main", env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    print(f"receiver pid {receiver.pid}", flush=True)
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(300):
                try:
                    if (await client.get(f"{url}/readyz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
        # Warm-up: first connections, JIT-free Python still fills caches and Kafka metadata.
        await drive(url, secret, bodies[:10], False, 2)

        print(f"{args.requests} requests x {EVENTS_PER_REQUEST} events, ~{mean_event:.0f} B/event, "
              f"concurrency {args.concurrency}")  # fmt: skip
        base_elapsed = await baseline(kafka, profile.topic, bodies, args.concurrency)
        base_rate = args.requests * EVENTS_PER_REQUEST / base_elapsed
        print(f"{'raw aiokafka producer':<24} {base_rate:>12,.0f} events/s")
        variants = [
            ("receiver, plain", False, False),
            ("receiver, gzip", True, False),
            ("receiver, plain, keyed", False, True),
        ]
        for label, gzipped, keyed in variants:
            payloads = [gzip.compress(b, 6) for b in bodies] if gzipped else bodies
            cpu_before = cpu_seconds(receiver.pid)
            elapsed, latencies = await drive(
                url, secret, payloads, gzipped, args.concurrency, keyed
            )
            cpu = cpu_seconds(receiver.pid) - cpu_before
            events = args.requests * EVENTS_PER_REQUEST
            rate = events / elapsed
            print(
                f"{label:<24} {rate:>12,.0f} events/s  ratio {rate / base_rate:.2f}  "
                f"{events / cpu:>10,.0f} events/CPU-s  "
                f"p50 {percentile(latencies, 50) * 1000:.1f} ms  "
                f"p99 {percentile(latencies, 99) * 1000:.1f} ms"
            )
    finally:
        receiver.terminate()
        await receiver.wait()


if __name__ == "__main__":
    asyncio.run(main())
