"""End-to-end latency: the receiver's 200 to the event being searchable, at a steady rate.

    uv run python bench/flow/latency.py [--rate 5000] [--seconds 60] [--engine elasticsearch]
    uv run python bench/flow/latency.py --dedicated [--rate 2500]   # + a dedicated group

With ``--dedicated`` (needs a Docker engine and `make images`) it first makes
a dedicated group's cluster (one Kafka broker, one Elasticsearch node with a
512 MiB heap, one flow) with the provisioner's own drivers, the provision and
bootstrap steps a CREATE runs between PROVISIONING and ACTIVE, and prints how
long that took; then a second app, of that group, is posted to at the same
rate beside the shared one, through the same receiver: its events go to the
group's Kafka and are indexed by the group's flow container into the group's
engine. Each app's latency is printed; the cluster is removed at the end.

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
import time
import uuid
from typing import Any

import httpx
import orjson
from local_pipeline import URLS, app_profile, publish, register, start, wait_ready
from searchable import POLL_S, percentile, watch

from barito_common.schemas import AppProfile
from barito_common.search import create_search_adapter
from barito_common.settings import KafkaSettings, SearchSettings

RECEIVER_PORT, FLOW_PORT = 18981, 18982
BATCH = 100


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


DEDICATED_TEMPLATE = {
    "name": "bench-dedicated", "events_per_second": 10_000, "placement": "dedicated",
    "kafka": {"brokers": 1, "controllers": "combined", "partitions": 2, "replication": 1,
              "min_insync_replicas": 1},
    "search": {"nodes": 1, "heap": "512MiB", "primary_shards": 1, "replicas": 0},
    "flow": {"replicas": 1}, "kibana": {"replicas": 1}, "retention_days": 1,
}  # fmt: skip


async def make_cluster(
    kafka: KafkaSettings, search: SearchSettings, run: str, app: AppProfile
) -> tuple[Any, Any, AppProfile, float]:
    """The group's cluster through the provisioner's drivers; the app's profile naming it."""
    # Imported here: only --dedicated needs the provisioner (and Docker).
    from barito_common.capacity import CapacityTemplate
    from barito_common.schemas import Placement
    from barito_provisioner.drivers.base import InfrastructureSpec
    from barito_provisioner.drivers.factory import create_driver
    from barito_provisioner.settings import DockerSettings, ProvisionerSettings

    settings = ProvisionerSettings(
        driver="docker", kafka=kafka, search=search,
        docker=DockerSettings(
            kafka_image="barito-local/kafka:4.1.1",
            search_image="barito-local/elasticsearch:8.19.21",
            flow_image="barito/flow:dev", name_prefix=f"lbench{run}-",
        ),
    )  # fmt: skip
    driver = create_driver(settings)
    spec = InfrastructureSpec(
        str(uuid.uuid4()), app.group_id, CapacityTemplate.model_validate(DEDICATED_TEMPLATE),
        Placement.DEDICATED,
    )  # fmt: skip
    begin = time.perf_counter()
    await driver.provision(spec)
    components = await driver.bootstrap(spec, [app])
    took = time.perf_counter() - begin
    return driver, spec, app.model_copy(update={"cluster": driver.cluster(spec, components)}), took


def report(name: str, acked: dict[int, float], seen: dict[int, float], total: int) -> None:
    # The first seconds include index creation and the template's first use.
    warm = [seen[b] - acked[b] for b in range(total) if acked[b] - acked[0] >= 5.0]
    print(f"{name}: {len(warm)} batches of {BATCH} after a 5 s warm-up")
    for label, q in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99)):
        print(f"  {label}  {percentile(warm, q) * 1000:>7,.0f} ms")
    print(f"  max  {max(warm) * 1000:>7,.0f} ms")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=5_000, help="events per second, per app")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--engine", choices=list(URLS), default="elasticsearch")
    parser.add_argument("--dedicated", action="store_true", help="a dedicated group beside")
    args = parser.parse_args()
    run = uuid.uuid4().hex[:6]
    kafka = KafkaSettings(topic_prefix=f"lbench{run}.")
    search_settings = SearchSettings(
        engine=args.engine, url=URLS[args.engine], index_prefix=f"lbench{run}-"
    )
    [(profile, secret)] = await register(kafka, search_settings.index_prefix, ["latency"])
    apps = {"shared": (profile, secret, create_search_adapter(search_settings))}
    cluster = None
    if args.dedicated:
        other_secret = secrets.token_urlsafe(24)
        other = app_profile(kafka, search_settings.index_prefix, "dedicated", other_secret)
        cluster = await make_cluster(kafka, search_settings, run, other)
        other = cluster[2]
        await publish(kafka, other)
        print(f"dedicated cluster provisioned and bootstrapped (to ACTIVE) in {cluster[3]:.1f} s")
        group_search = SearchSettings(engine="elasticsearch", url=other.cluster.search_url)  # type: ignore[union-attr]
        apps["dedicated"] = (other, other_secret, create_search_adapter(group_search))
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
    total = int(args.seconds * args.rate / BATCH)
    acked: dict[str, dict[int, float]] = {name: {} for name in apps}
    seen: dict[str, dict[int, float]] = {name: {} for name in apps}
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{RECEIVER_PORT}", timeout=60
        ) as client:
            await wait_ready(client, "/readyz")
            await wait_ready(client, f"http://127.0.0.1:{FLOW_PORT}/readyz")
            watchers = [
                asyncio.create_task(
                    watch(search, f"{app.index_prefix}-*", range(total), BATCH, seen[name])
                )
                for name, (app, _, search) in apps.items()
            ]
            await asyncio.gather(
                *(
                    send_steadily(client, app_secret, args.rate, args.seconds, acked[name])
                    for name, (_, app_secret, _) in apps.items()
                )
            )
            try:
                await asyncio.wait_for(asyncio.gather(*watchers), 300)
            except TimeoutError:
                missing = {n: [b for b in range(total) if b not in seen[n]] for n in apps}
                raise SystemExit(f"batches never fully searchable: {missing}") from None
    finally:
        for process in processes:
            process.terminate()
            process.wait()
        for _, _, search in apps.values():
            await search.delete_index(f"{search_settings.index_prefix}*")
            await search.close()
        if cluster is not None:
            driver, spec, other, _ = cluster
            await driver.deprovision(spec, [other])
            await driver.close()
    print(f"{args.rate} events/s per app for {args.seconds:.0f} s, engine {args.engine}")
    resolution = f"poll resolution {POLL_S * 1000:.0f} ms"
    print(f"baseline: the engine's refresh interval, 1,000 ms ({resolution})")
    for name in apps:
        report(name, acked[name], seen[name], total)


if __name__ == "__main__":
    asyncio.run(main())
