"""Receiver workers bench: the same NDJSON load against 1 worker and 2 workers, one run.

    uv run python bench/workers/run.py [--requests 400] [--join 4] [--concurrency 16] [--rounds 2]
                                       [--gzip]

Needs the local stack's Kafka (`uv run barito stack up kafka`). It registers
a throw-away app (bench/ingest's workload), then for each worker count starts
the receiver as users do (`BARITO_WORKERS=n python -m barito_receiver.main`),
warms it up and posts the same pre-built bodies (bench/ingest's records of
about 245 bytes, 4,000 a request; gzipped with ``--gzip``) from keep-alive
connections, as bytes built beforehand (``drive_raw_http``). Printed per
worker count: events/s and its ratio to 1 worker (the goal: 2 workers >=
1.7x); events per CPU-second of the receiver's processes (supervisor and
workers, from /proc), whose ratio shows whether a second worker costs more
CPU per event; p50/p99 request latency; and, as shares of the machine's
CPU over the load, the receiver, Kafka, the load generator (this process)
and the whole machine (/proc/stat: other work running meanwhile shows here).
With Kafka and the load generator on the same 2 cores, 2 workers cannot
have two whole cores: compare their shares to what is left.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import os
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1]
# bench/ingest's workload and load generator, imported as its own run.py imports them.
sys.path.insert(1, str(BENCH / "ingest"))

from drivers import drive_raw_http  # noqa: E402
from workload import (  # noqa: E402
    EVENTS_PER_REQUEST,
    cpu_seconds,
    make_records,
    ndjson_body,
    percentile,
    register,
)

from barito_common.settings import KafkaSettings  # noqa: E402
from barito_testing.ports import free_port  # noqa: E402
from barito_testing.worker_pool import WorkerPool, worker_pool  # noqa: E402


def _listening_inodes(port: int) -> set[str]:
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":  # LISTEN
                inodes.add(f"socket:[{fields[9]}]")
    return inodes


def _kafka_pid(bootstrap: str) -> int | None:
    """The broker listening on the bootstrap port (other Kafkas may run beside it)."""
    listening = _listening_inodes(int(bootstrap.rsplit(":", 1)[1]))
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if b"kafka.Kafka" not in (entry / "cmdline").read_bytes():
                continue
            if any(os.readlink(fd) in listening for fd in (entry / "fd").iterdir()):
                return int(entry.name)
        except OSError:
            continue
    return None


def _machine_cpu() -> tuple[float, float]:
    """Busy and total CPU seconds of the whole machine so far (/proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(fields) - idle) / tick, sum(fields) / tick


def _pool_cpu(pool: WorkerPool) -> float:
    total = 0.0
    for pid in {pool.pid, *pool.workers()}:
        try:
            total += cpu_seconds(pid)
        except OSError:
            continue  # a worker gone between the listing and the read
    return total


@dataclass
class Figures:
    events_per_s: float
    events_per_cpu_s: float
    p50_ms: float
    p99_ms: float
    receiver_share: float
    kafka_share: float
    driver_share: float
    machine_share: float
    connections: dict[int, int]


async def measure(
    pool: WorkerPool,
    url: str,
    headers: dict[str, str],
    bodies: list[bytes],
    concurrency: int,
    kafka_pid: int | None,
    events_per_body: int,
) -> Figures:
    cores = os.cpu_count() or 1
    events = len(bodies) * events_per_body
    receiver_before = _pool_cpu(pool)
    kafka_before = cpu_seconds(kafka_pid) if kafka_pid else 0.0
    driver_before = time.process_time()
    busy_before, total_before = _machine_cpu()
    port = int(url.split(":")[2].split("/")[0])
    spread: dict[int, int] = {}

    async def watch_connections() -> None:
        while True:
            for pid, count in pool.connections(port).items():
                spread[pid] = max(spread.get(pid, 0), count)
            await asyncio.sleep(0.5)

    watching = asyncio.create_task(watch_connections())
    try:
        elapsed, latencies = await drive_raw_http(url, headers, bodies, concurrency)
    finally:
        watching.cancel()
    busy_after, total_after = _machine_cpu()
    receiver_cpu = _pool_cpu(pool) - receiver_before
    kafka_cpu = (cpu_seconds(kafka_pid) if kafka_pid else 0.0) - kafka_before
    driver_cpu = time.process_time() - driver_before
    return Figures(
        events_per_s=events / elapsed,
        events_per_cpu_s=events / receiver_cpu,
        p50_ms=percentile(latencies, 50) * 1000,
        p99_ms=percentile(latencies, 99) * 1000,
        receiver_share=receiver_cpu / (elapsed * cores),
        kafka_share=kafka_cpu / (elapsed * cores),
        driver_share=driver_cpu / (elapsed * cores),
        machine_share=(busy_after - busy_before) / (total_after - total_before),
        connections=spread,
    )


async def run_workers(
    workers: int,
    kafka: KafkaSettings,
    secret: str,
    bodies: list[bytes],
    concurrency: int,
    *,
    events_per_body: int,
    gzipped: bool,
) -> Figures:
    port = free_port()
    env = {
        "BARITO_WORKERS": str(workers),
        "BARITO_KAFKA__BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "BARITO_KAFKA__TOPIC_PREFIX": kafka.topic_prefix,
        "BARITO_LOG_LEVEL": "WARNING",
    }
    log = Path(tempfile.gettempdir()) / f"bench-workers-{workers}-{uuid.uuid4().hex[:6]}.log"
    url = f"http://127.0.0.1:{port}/api/v1/logs"
    headers = {"X-App-Secret": secret, "Content-Type": "application/x-ndjson"}
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    async with worker_pool("receiver", port, env, log) as pool:
        # Warm-up: every worker's first connections, imports and Kafka metadata.
        await drive_raw_http(url, headers, bodies[: 10 * workers], concurrency)
        figures = await measure(
            pool,
            url,
            headers,
            bodies,
            concurrency,
            _kafka_pid(kafka.bootstrap_servers),
            events_per_body,
        )
    log.unlink(missing_ok=True)
    return figures


def _row(workers: int, figures: Figures, base: Figures) -> str:
    spread = "/".join(str(n) for n in sorted(figures.connections.values(), reverse=True))
    rate_ratio = figures.events_per_s / base.events_per_s
    cpu_ratio = figures.events_per_cpu_s / base.events_per_cpu_s
    return (
        f"{workers:>7} {figures.events_per_s:>11,.0f} {rate_ratio:>5.2f}"
        f" {figures.events_per_cpu_s:>12,.0f} {cpu_ratio:>5.2f}"
        f" {figures.p50_ms:>7.1f} {figures.p99_ms:>7.1f}"
        f" {figures.receiver_share:>8.0%} {figures.kafka_share:>6.0%}"
        f" {figures.driver_share:>7.0%} {figures.machine_share:>8.0%}  {spread}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=400, help="requests sent per run")
    parser.add_argument(
        "--join", type=int, default=4, help="bench/ingest bodies of 1,000 events per request"
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=16,
        help="HTTP requests (connections) at once; the kernel hands each connection to one "
        "worker, so a few can leave one worker short",
    )
    parser.add_argument("--rounds", type=int, default=2, help="1 then 2 workers, this many times")
    parser.add_argument(
        "--gzip",
        action="store_true",
        help="gzip the bodies, as agents with `compress gzip` send them: the load generator "
        "and the receiver then copy a thirtieth of the bytes through the kernel",
    )
    parser.add_argument("--bootstrap", default="127.0.0.1:19092")
    args = parser.parse_args()

    kafka = KafkaSettings(
        bootstrap_servers=args.bootstrap, topic_prefix=f"bench{uuid.uuid4().hex[:6]}."
    )
    _, secret = await register(kafka)
    # Built before any clock runs: the load generator only sends bytes.
    # Each body joins several of bench/ingest's 1,000-event bodies: fewer, larger
    # requests cost the load generator less per event.
    distinct = [ndjson_body(make_records(seed)) for seed in range(100)]
    joined = [
        b"".join(distinct[(n + k) % len(distinct)] for k in range(args.join))
        for n in range(len(distinct))
    ]
    if args.gzip:
        # zlib's default level, as Fluent Bit's and fluentd's `compress gzip` use.
        joined = [gzip.compress(body, compresslevel=6) for body in joined]
    bodies = [joined[n % len(joined)] for n in range(args.requests)]
    per_request = args.join * EVENTS_PER_REQUEST
    print(
        f"{args.requests} requests x {per_request} events "
        f"({sum(map(len, bodies)) / len(bodies) / per_request:.0f} bytes/event), "
        f"HTTP concurrency {args.concurrency}, {os.cpu_count()} cores; shares are of all cores",
        flush=True,
    )
    print(
        "workers    events/s ratio events/CPU-s ratio p50(ms) p99(ms) receiver  kafka"
        " loadgen  machine  connections/worker",
        flush=True,
    )
    base: Figures | None = None
    for _ in range(args.rounds):
        for workers in (1, 2):
            figures = await run_workers(
                workers,
                kafka,
                secret,
                bodies,
                args.concurrency,
                events_per_body=per_request,
                gzipped=args.gzip,
            )
            base = figures if workers == 1 else base
            print(_row(workers, figures, base or figures), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
