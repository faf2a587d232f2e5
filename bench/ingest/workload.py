"""What every protocol of the ingest bench sends, and the baseline it is measured against.

The same records in every protocol: NDJSON lines of about 245 bytes, the
events an agent would ship. The baseline writes the chunks the receiver would
write for the NDJSON bodies, with the receiver's own idempotent acks=all
producer, straight to Kafka: what Kafka and aiokafka cost without a receiver.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import statistics
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from barito_common.app_registry import AppRegistry, publish_profile
from barito_common.chunk_codec import Event, encode_chunks
from barito_common.kafka import Topics, create_admin, create_producer, ensure_topics, log_topic_spec
from barito_common.schemas import AppProfile, AppStatus, hash_secret
from barito_common.settings import KafkaSettings

EVENTS_PER_REQUEST = 1000
TIMESTAMP = "2026-11-28T10:00:00.123Z"
# TIMESTAMP as seconds and nanoseconds, for the protocols that carry time natively.
TIMESTAMP_S = int(datetime.fromisoformat(TIMESTAMP).timestamp())
TIMESTAMP_NS = TIMESTAMP_S * 1_000_000_000 + 123_000_000


def make_records(seed: int) -> list[dict[str, Any]]:
    return [
        {
            "@timestamp": TIMESTAMP,
            "level": "info",
            "service": "checkout",
            "host": "web-17.example.internal",
            "trace_id": f"{seed:08x}{i:024x}",
            "message": f"GET /api/v1/orders/{seed * 1000 + i} 200 12.3ms user=u{i % 97} "
            "agent=Mozilla/5.0 cache=miss",
        }
        for i in range(EVENTS_PER_REQUEST)
    ]


def ndjson_body(records: list[dict[str, Any]]) -> bytes:
    return b"\n".join(orjson.dumps(record) for record in records) + b"\n"


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process ``pid`` (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


async def register(kafka: KafkaSettings) -> tuple[AppProfile, str]:
    """A throw-away active app with a rate no run reaches, and its secret."""
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


async def baseline(
    kafka: KafkaSettings, topic: str, bodies: list[bytes], concurrency: int
) -> tuple[float, float]:
    """Wall-clock and CPU seconds (this process's) to produce the chunks of ``bodies``
    directly, ``concurrency`` requests at once; the chunks are encoded before the clocks run."""
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

    started, cpu_started = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    await producer.stop()
    return elapsed, cpu
