"""End-to-end latency: the receiver's 200 to the event being searchable, at a steady rate.

    uv run python bench/flow/latency.py [--rate 5000] [--seconds 60] [--engine elasticsearch]

Needs the local stack (`uv run barito stack up`). Starts a real receiver and a
real flow as processes on a fresh topic prefix, registers one app the way the
market does (topic + AppProfile), then posts NDJSON batches of 100 events
every 20 ms (5,000 events/s) and notes when each batch's 200 arrives. A poller
asks the engine every 50 ms (without forcing a refresh: the 1 s refresh
interval is part of what a user waits for) which batches are fully
searchable. Printed: p50, p90, p99 and max of (searchable - acknowledged),
with the poll interval as the resolution. The baseline printed beside it is
the engine's refresh interval, the floor no indexer can beat.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson

from barito_common.app_registry import apps_topic_spec, publish_profile
from barito_common.kafka import Topics, create_producer, create_topics_if_missing, log_topic_spec
from barito_common.schemas import AppProfile, AppStatus, hash_secret
from barito_common.search import create_search_adapter
from barito_common.settings import KafkaSettings, SearchSettings

URLS = {"elasticsearch": "http://127.0.0.1:19200", "opensearch": "http://127.0.0.1:19201"}
RECEIVER_PORT, FLOW_PORT = 18981, 18982
BATCH = 100
POLL_S = 0.05


async def register(kafka: KafkaSettings, index_prefix: str) -> tuple[AppProfile, str]:
    topics = Topics(kafka.topic_prefix)
    secret = secrets.token_urlsafe(24)
    profile = AppProfile(
        app_id=str(uuid.uuid4()), slug="latency", name="latency", group_id="bench",
        group_slug="bench", status=AppStatus.ACTIVE, secret_hashes=[hash_secret(secret)],
        tps=1_000_000, topic=topics.logs("latency"), index_prefix=f"{index_prefix}latency",
        retention_days=1, capacity="small", updated_at=datetime.now(UTC),
    )  # fmt: skip
    await create_topics_if_missing(
        kafka,
        [apps_topic_spec(topics), log_topic_spec(topics, "latency", partitions=2, replication=1)],
    )
    producer = create_producer(kafka)
    await producer.start()
    await publish_profile(producer, topics, profile)
    await producer.stop()
    return profile, secret


def start(module: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", module], env={**env, "BARITO_PORT": str(port)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


async def wait_ready(client: httpx.AsyncClient, url: str) -> None:
    async with asyncio.timeout(60):
        while True:
            try:
                if (await client.get(url)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)


async def send_steadily(
    client: httpx.AsyncClient, secret: str, rate: int, seconds: float, acked: dict[int, float]
) -> None:
    interval = BATCH / rate
    headers = {"X-App-Secret": secret, "Content-Type": "application/x-ndjson"}
    begin = time.perf_counter()
    in_flight: set[asyncio.Task[None]] = set()

    async def post(batch: int) -> None:
        body = b"".join(
            orjson.dumps({"batch": batch, "seq": n, "level": "info", "message": f"event {n}"})
            + b"\n"
            for n in range(BATCH)
        )
        response = await client.post("/api/v1/logs", content=body, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"batch {batch}: {response.status_code} {response.text}")
        acked[batch] = time.perf_counter()

    for batch in range(int(seconds * rate / BATCH)):
        # Paced against the start, so a slow answer does not lower the rate.
        await asyncio.sleep(max(0.0, begin + batch * interval - time.perf_counter()))
        task = asyncio.create_task(post(batch))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
    await asyncio.gather(*in_flight)


async def watch(search: Any, pattern: str, total: int, seen: dict[int, float]) -> None:
    lowest = 0
    while lowest < total:
        await asyncio.sleep(POLL_S)
        try:
            body = await search.search(
                pattern, size=0, query={"range": {"batch": {"gte": lowest}}},
                aggs={"b": {"terms": {"field": "batch", "size": 2000}}},
            )  # fmt: skip
        except Exception:
            continue  # the index does not exist until the first document lands
        now = time.perf_counter()
        for bucket in body.get("aggregations", {}).get("b", {}).get("buckets", []):
            if bucket["doc_count"] == BATCH:
                seen.setdefault(int(bucket["key"]), now)
        while lowest in seen:
            lowest += 1


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 1000) - 1]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=5_000, help="events per second")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--engine", choices=list(URLS), default="elasticsearch")
    args = parser.parse_args()
    run = uuid.uuid4().hex[:6]
    kafka = KafkaSettings(topic_prefix=f"lbench{run}.")
    search_settings = SearchSettings(
        engine=args.engine, url=URLS[args.engine], index_prefix=f"lbench{run}-"
    )
    profile, secret = await register(kafka, search_settings.index_prefix)
    env = {
        **os.environ,
        "BARITO_KAFKA__TOPIC_PREFIX": kafka.topic_prefix,
        "BARITO_SEARCH__ENGINE": args.engine,
        "BARITO_SEARCH__URL": search_settings.url,
        "BARITO_SEARCH__INDEX_PREFIX": search_settings.index_prefix,
        "BARITO_LOG_LEVEL": "WARNING",
    }
    processes = [
        start("barito_receiver.main", RECEIVER_PORT, env),
        start("barito_flow.main", FLOW_PORT, env),
    ]
    search = create_search_adapter(search_settings)
    total = int(args.seconds * args.rate / BATCH)
    acked: dict[int, float] = {}
    seen: dict[int, float] = {}
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{RECEIVER_PORT}", timeout=60
        ) as client:
            await wait_ready(client, "/readyz")
            await wait_ready(client, f"http://127.0.0.1:{FLOW_PORT}/readyz")
            watcher = asyncio.create_task(watch(search, f"{profile.index_prefix}-*", total, seen))
            await send_steadily(client, secret, args.rate, args.seconds, acked)
            try:
                await asyncio.wait_for(watcher, 300)
            except TimeoutError:
                missing = [b for b in range(total) if b not in seen]
                raise SystemExit(
                    f"{len(missing)} of {total} batches never became fully searchable "
                    f"(first: {missing[:5]})"
                ) from None
    finally:
        for process in processes:
            process.terminate()
            process.wait()
        await search.delete_index(f"{search_settings.index_prefix}*")
        await search.close()
    # The first seconds include index creation and the template's first use.
    warm = [seen[b] - acked[b] for b in range(total) if acked[b] - acked[0] >= 5.0]
    print(f"{args.rate} events/s for {args.seconds:.0f} s, engine {args.engine}, "
          f"{len(warm)} batches of {BATCH} after a 5 s warm-up")  # fmt: skip
    resolution = f"poll resolution {POLL_S * 1000:.0f} ms"
    print(f"baseline: the engine's refresh interval, 1,000 ms ({resolution})")
    for name, q in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99)):
        print(f"{name}  {percentile(warm, q) * 1000:>7,.0f} ms")
    print(f"max  {max(warm) * 1000:>7,.0f} ms")


if __name__ == "__main__":
    asyncio.run(main())
