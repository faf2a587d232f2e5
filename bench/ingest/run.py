"""Ingest benchmark: one receiver process per protocol vs. a raw aiokafka producer, same run.

    uv run python bench/ingest/run.py [--requests 300] [--concurrency 8]

Needs the local stack's Kafka (`uv run barito stack up kafka`). It registers
a throw-away app under a unique topic prefix, starts one receiver process
(one uvicorn worker, the forward listener on a free port) and sends batches
of 1,000 events of about 245 bytes in each protocol the receiver takes:

* NDJSON (`POST /api/v1/logs`), plain, gzip, and plain with an Idempotency-Key
  (which costs the receiver a BLAKE2b of the body);
* OTLP protobuf (`POST /v1/logs`), one ExportLogsServiceRequest per batch;
* Elasticsearch bulk (`POST /_bulk`, basic auth slug/secret), `create` actions;
* forward PackedForward (TCP, tag `<secret>.bench`), each request asking for a
  `chunk` ack, over a few connections with a few requests in flight on each.

The baseline writes the chunks the receiver would write for the NDJSON bodies,
with the same idempotent acks=all producer, straight to Kafka. Printed for each:
events/s and its ratio to the baseline's; the receiver's events per CPU-second
(its "per core" rate, from /proc) and its ratio to the baseline's events per
CPU-second of the bench process (steadier than wall-clock on a shared machine);
p50/p99 request latency.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import os
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable

import httpx
from drivers import drive_forward, drive_http
from payloads import basic_auth, bulk_body, otlp_body, packed_forward
from workload import (
    EVENTS_PER_REQUEST,
    baseline,
    cpu_seconds,
    make_records,
    ndjson_body,
    percentile,
    register,
)

from barito_common.settings import KafkaSettings
from barito_testing.ports import free_port

Load = Callable[[], Awaitable[tuple[float, list[float]]]]


def _bulk_ok(response: httpx.Response) -> str | None:
    return (
        None
        if response.content.startswith(b'{"took":') and b'"errors":false' in response.content[:60]
        else "bulk items failed"
    )


def _otlp_ok(response: httpx.Response) -> str | None:
    # An ExportLogsServiceResponse without partial_success is an empty message.
    return None if response.content == b"" else "partial success"


async def start_receiver(
    kafka: KafkaSettings, port: int, forward_port: int
) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "BARITO_PORT": str(port),
        "BARITO_FORWARD_PORT": str(forward_port),
        "BARITO_KAFKA__BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "BARITO_KAFKA__TOPIC_PREFIX": kafka.topic_prefix,
        "BARITO_LOG_LEVEL": "WARNING",
    }
    receiver = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "barito_receiver.main", env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            try:
                if (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                    return receiver
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("the receiver did not become ready")


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8, help="HTTP requests at once")
    parser.add_argument("--forward-connections", type=int, default=2)
    parser.add_argument(
        "--forward-in-flight", type=int, default=4, help="unacknowledged requests per connection"
    )
    parser.add_argument("--bootstrap", default="127.0.0.1:19092")
    args = parser.parse_args()

    kafka = KafkaSettings(
        bootstrap_servers=args.bootstrap, topic_prefix=f"bench{uuid.uuid4().hex[:6]}."
    )
    profile, secret = await register(kafka)
    records = [make_records(seed) for seed in range(args.requests)]
    ndjson = [ndjson_body(batch) for batch in records]
    otlp = [otlp_body(batch) for batch in records]
    bulk = [bulk_body(batch) for batch in records]
    gzipped = [gzip.compress(body, 6) for body in ndjson]
    run = uuid.uuid4().hex[:8]
    forward = [
        (chunk, packed_forward(f"{secret}.bench", batch, chunk))
        for n, batch in enumerate(records)
        for chunk in [f"{run}-{n}"]
    ]
    events = args.requests * EVENTS_PER_REQUEST

    port, forward_port = free_port(), free_port()
    receiver = await start_receiver(kafka, port, forward_port)
    url = f"http://127.0.0.1:{port}"
    ndjson_headers = {"X-App-Secret": secret, "Content-Type": "application/x-ndjson"}
    gzip_headers = {**ndjson_headers, "Content-Encoding": "gzip"}
    otlp_headers = {"X-App-Secret": secret, "Content-Type": "application/x-protobuf"}
    bulk_headers = {
        "Authorization": basic_auth(profile.slug, secret),
        "Content-Type": "application/x-ndjson",
    }
    n = args.concurrency
    fwd = ("127.0.0.1", forward_port, args.forward_connections, args.forward_in_flight)
    loads: list[tuple[str, Load]] = [
        ("NDJSON, plain", lambda: drive_http(f"{url}/api/v1/logs", ndjson_headers, ndjson, n)),
        ("NDJSON, gzip", lambda: drive_http(f"{url}/api/v1/logs", gzip_headers, gzipped, n)),
        (
            "NDJSON, plain, keyed",
            lambda: drive_http(f"{url}/api/v1/logs", ndjson_headers, ndjson, n, keyed=True),
        ),
        (
            "OTLP protobuf",
            lambda: drive_http(f"{url}/v1/logs", otlp_headers, otlp, n, check=_otlp_ok),
        ),
        ("bulk NDJSON", lambda: drive_http(f"{url}/_bulk", bulk_headers, bulk, n, check=_bulk_ok)),
        ("forward PackedForward", lambda: drive_forward(*fwd[:2], forward, *fwd[2:])),
    ]
    print(f"receiver pid {receiver.pid}, topic {profile.topic}", flush=True)
    try:
        # Warm-up of every path: first connections, imports, caches, Kafka metadata.
        await drive_http(f"{url}/api/v1/logs", ndjson_headers, ndjson[:10], 2)
        await drive_http(f"{url}/v1/logs", otlp_headers, otlp[:3], 1, check=_otlp_ok)
        await drive_http(f"{url}/_bulk", bulk_headers, bulk[:3], 1, check=_bulk_ok)
        warm = [
            (f"warm-{c}", packed_forward(f"{secret}.bench", records[0], f"warm-{c}"))
            for c in range(3)
        ]
        await drive_forward("127.0.0.1", forward_port, warm, 1, 1)

        sizes = {"NDJSON": ndjson, "OTLP": otlp, "bulk": bulk, "forward": [r for _, r in forward]}
        print(
            f"{args.requests} requests x {EVENTS_PER_REQUEST} events; bytes/event "
            + ", ".join(f"{k} {sum(map(len, v)) / events:.0f}" for k, v in sizes.items())
            + f"; HTTP concurrency {n}; forward {args.forward_connections} connections x "
            f"{args.forward_in_flight} in flight",
            flush=True,
        )
        base_elapsed, base_cpu = await baseline(kafka, profile.topic, ndjson, n)
        base_rate, base_per_cpu = events / base_elapsed, events / base_cpu
        print(
            f"{'raw aiokafka producer':<24} {base_rate:>12,.0f} events/s  ratio 1.00  "
            f"{base_per_cpu:>10,.0f} events/CPU-s (of the bench process)",
            flush=True,
        )
        for label, load in loads:
            cpu_before = cpu_seconds(receiver.pid)
            elapsed, latencies = await load()
            cpu = cpu_seconds(receiver.pid) - cpu_before
            rate = events / elapsed
            print(
                f"{label:<24} {rate:>12,.0f} events/s  ratio {rate / base_rate:.2f}  "
                f"{events / cpu:>10,.0f} events/CPU-s  "
                f"CPU ratio {events / cpu / base_per_cpu:.2f}  "
                f"p50 {percentile(latencies, 50) * 1000:.1f} ms  "
                f"p99 {percentile(latencies, 99) * 1000:.1f} ms",
                flush=True,
            )
    finally:
        receiver.terminate()
        await receiver.wait()


if __name__ == "__main__":
    asyncio.run(main())
