"""A thousand apps: what grows with the number of apps, next to the same figures at 100.

    uv run python bench/apps/run.py [--apps 1000] [--baseline 100] [--reuse]
                                    [--load-s 20] [--flood-rate 500]

Needs the local stack's Kafka and Postgres (`uv run barito stack up`). For
each fleet size (the baseline first) it uses a fresh Postgres database and
topic prefix with an in-process market, and registers the apps through the
market's API (four groups, capacity "small": two partitions each). Then:

* the market's list and status endpoints: median and p95 of 20 GETs, and the
  SQL statements one GET runs (counted with a SQLAlchemy event listener);
* the app registry (``barito_common.app_registry``) loaded in this process,
  and a receiver and a flow process from start to ready, with their memory;
* a trickle to every app (5 events every 5 s) and a flood to ten (batches of
  100), through the receiver; a flow process indexes into a stand-in engine
  (``stub_engine``: a thousand daily indices do not fit the shared one);
* flow's rebalance: a second flow joins, then leaves; the time until every
  partition is assigned again, and until one marker event per app has been
  indexed (every app's topic consumed again);
* the tail server with 10 and 100 apps tailed (one shared reader per app).

Printed: each figure at both sizes and their ratio; with ten times the apps a ratio
near 10 is linear, near 1 constant. ``--reuse`` keeps each fleet's database
and topics (named in /var/tmp/barito/bench-apps-<size>.json) for the next run.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

from fleet import (
    KAFKA,
    Fleet,
    drop_fleet,
    fleet_market,
    market_latencies,
    new_fleet,
    register,
)
from stub_engine import StubEngine
from tails import Tails
from traffic import Load, markers

from barito_common.app_registry import AppRegistry
from barito_common.kafka import create_consumer
from barito_common.settings import KafkaSettings
from barito_testing.serving import serve
from services import Service, start_service, until

Figures = dict[str, float]


def note(size: int, phase: str) -> None:
    """Progress on stderr: a phase of the 1,000-app fleet may take minutes."""
    print(f"[{size} apps] {phase}", file=sys.stderr, flush=True)


async def registry_load_s(prefix: str) -> float:
    """Median of three loads of the app registry, start to loaded."""
    spent = []
    for _ in range(3):
        registry = AppRegistry(KafkaSettings(bootstrap_servers=KAFKA, topic_prefix=prefix))
        started = time.perf_counter()
        await registry.start()
        await registry.wait_loaded(120)
        spent.append(time.perf_counter() - started)
        await registry.stop()
    return statistics.median(spent)


async def partition_count(fleet: Fleet) -> int:
    consumer = create_consumer(KafkaSettings(bootstrap_servers=KAFKA), group_id=None)
    await consumer.start()
    try:
        cluster = await consumer._client.fetch_all_metadata()
        return sum(len(cluster.partitions_for_topic(a.topic) or ()) for a in fleet.apps)
    finally:
        await consumer.stop()


async def market_figures(fleet: Fleet, size: int, state: Path | None) -> Figures:
    figures: Figures = {}
    async with fleet_market(fleet) as market:
        if len(fleet.apps) < size:
            await register(market, fleet, size)
            if state is not None:
                fleet.save(state)
        figures["registration, per app (ms)"] = fleet.registration_s / len(fleet.apps) * 1000
        for name, latency in (await market_latencies(market, fleet, times=20)).items():
            figures[f"{name} median (ms)"] = latency.median_ms
            figures[f"{name} p95 (ms)"] = latency.p95_ms
            figures[f"{name} SQL statements"] = latency.statements
    return figures


async def flow_figures(fleet: Fleet, env: dict[str, str], receiver: Service, engine: StubEngine,
                       load_s: float, flood_rate: int) -> Figures:  # fmt: skip
    figures: Figures = {}
    total = await partition_count(fleet)
    if total < 2 * len(fleet.apps):
        raise RuntimeError(f"{total} partitions for {len(fleet.apps)} apps of two each")
    flow = await start_service("flow", env)
    figures["flow: start → ready (s)"] = await flow.wait_ready()
    await until(lambda: len(flow.assigned()) == total, 120, "flow assigned every partition")
    figures["flow: start → every partition assigned (s)"] = time.perf_counter() - flow.started
    second: Service | None = None
    load = Load(receiver.url, fleet.apps, flood_rate=flood_rate)
    try:
        await markers(receiver.url, fleet.apps, "start")
        await until(lambda: len(engine.markers["start"]) == len(fleet.apps), 120, "start markers")
        figures["flow: start → every app indexed (s)"] = time.perf_counter() - flow.started
        await asyncio.sleep(load_s)
        figures["receiver: memory under load (MiB)"] = receiver.rss_mib
        figures["flow: memory under load (MiB)"] = flow.rss_mib
        figures["events sent (trickle + flood)"] = load.trickle.events + load.flood.events
        figures["events indexed by flow"] = engine.documents
        figures["requests refused or failed"] = load.trickle.refused + load.flood.refused

        joined = len(flow.assignments)
        second = await start_service("flow", env)
        figures["second flow: start → ready (s)"] = await second.wait_ready()

        def split() -> bool:
            return (
                len(flow.assignments) > joined
                and bool(second.assigned())
                and len(flow.assigned() | second.assigned()) == total
            )

        await until(split, 120, "two flows share every partition")
        figures["rebalance, flow joins: start → all assigned (s)"] = (
            time.perf_counter() - second.started
        )
        started = time.perf_counter()
        await markers(receiver.url, fleet.apps, "join")
        await until(lambda: len(engine.markers["join"]) == len(fleet.apps), 120, "join markers")
        figures["rebalance, flow joins: → every app indexed (s)"] = time.perf_counter() - started

        left = len(flow.assignments)
        started = time.perf_counter()
        await second.stop()
        await until(
            lambda: len(flow.assignments) > left and len(flow.assigned()) == total,
            300,
            "one flow holds every partition again",
        )
        figures["rebalance, flow leaves: stop → all assigned (s)"] = time.perf_counter() - started
        await markers(receiver.url, fleet.apps, "leave")
        await until(lambda: len(engine.markers["leave"]) == len(fleet.apps), 120, "leave markers")
        figures["rebalance, flow leaves: → every app indexed (s)"] = time.perf_counter() - started
    finally:
        await load.stop()
        if second is not None:
            await second.stop()
        await flow.stop()
    return figures


async def tail_figures(fleet: Fleet, env: dict[str, str]) -> Figures:
    figures: Figures = {}
    server = await start_service("server", env | {"BARITO_ALERTS_ENABLED": "false"})
    try:
        figures["tail server: start → ready (s)"] = await server.wait_ready()
        figures["tail server: memory, idle (MiB)"] = server.rss_mib
        tails = Tails(server.url)
        try:
            for count in (10, 100):
                started = time.perf_counter()
                await tails.open(fleet.apps[len(tails._tasks) : count])
                figures[f"tail server: open up to {count} tails (s)"] = (
                    time.perf_counter() - started
                )
                await asyncio.sleep(2)  # let the readers' first fetches settle
                figures[f"tail server: memory, {count} apps tailed (MiB)"] = server.rss_mib
        finally:
            await tails.close()
    finally:
        await server.stop()
    return figures


async def measure(size: int, args: argparse.Namespace) -> Figures:
    state = Path(f"/var/tmp/barito/bench-apps-{size}.json") if args.reuse else None
    fleet = (Fleet.load(state) if state else None) or await new_fleet()
    figures: Figures = {"apps": size}
    try:
        note(size, f"market: {len(fleet.apps)} apps registered, registering up to {size}")
        figures |= await market_figures(fleet, size, state)
        note(size, "app registry, receiver, flow")
        figures["app registry: load in-process (ms)"] = await registry_load_s(fleet.prefix) * 1000
        if args.market_only:
            return figures
        engine = StubEngine()
        async with serve(engine.app, lifespan="off") as engine_url:
            env = {
                "BARITO_KAFKA__BOOTSTRAP_SERVERS": KAFKA,
                "BARITO_KAFKA__TOPIC_PREFIX": fleet.prefix,
                # Flow's group is the installation's; other flows on this Kafka are not ours.
                "BARITO_GROUP_ID": f"{fleet.prefix}flow",
                "BARITO_SEARCH__ENGINE": "opensearch",
                "BARITO_SEARCH__URL": engine_url,
            }
            receiver = await start_service("receiver", env)
            try:
                figures["receiver: start → ready (s)"] = await receiver.wait_ready()
                figures["receiver: memory, ready (MiB)"] = receiver.rss_mib
                figures |= await flow_figures(
                    fleet, env, receiver, engine, args.load_s, args.flood_rate
                )
            finally:
                await receiver.stop()
        note(size, "tail server")
        figures |= await tail_figures(fleet, env)
    finally:
        if state is None:
            await drop_fleet(fleet)
    return figures


def show(baseline: Figures, figures: Figures) -> None:
    print(f"{'':58} {'baseline':>10} {'measured':>10} {'ratio':>7}")
    for name, value in figures.items():
        base = baseline.get(name, 0.0)
        ratio = f"{value / base:7.2f}" if base else f"{'':7}"
        print(f"{name:58} {base:10.2f} {value:10.2f} {ratio}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=1000)
    parser.add_argument("--baseline", type=int, default=100)
    parser.add_argument("--load-s", type=float, default=20)
    parser.add_argument("--flood-rate", type=int, default=500, help="events/s to each of ten")
    parser.add_argument("--market-only", action="store_true", help="the market and registry only")
    parser.add_argument("--reuse", action="store_true", help="keep the fleets for the next run")
    args = parser.parse_args()
    started = time.perf_counter()
    baseline = await measure(args.baseline, args)
    figures = await measure(args.apps, args)
    show(baseline, figures)
    print(f"whole run {time.perf_counter() - started:.0f} s; the machine may have been shared")


if __name__ == "__main__":
    asyncio.run(main())
