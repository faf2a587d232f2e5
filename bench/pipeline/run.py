"""The whole pipeline's knee: receiver → Kafka → flow → engine at rising rates, on each engine.

    uv run python bench/pipeline/run.py [--engine elasticsearch|opensearch|both]
        [--rates 2500,5000,10000,20000,40000,80000,160000] [--step-seconds 20] [--apps 20]

Needs the local stack (`uv run barito stack up`). For each engine, on a fresh
topic and index prefix: registers ``--apps`` apps the way the market does
(two partitions each), starts one real receiver and one real flow process,
warms up (index creation is not steady state), then runs one step per rate.
A step posts NDJSON batches of ~260-byte events from every app in turn
(``offered_load``), each app once every 0.5 s, and polls the engine for when
each batch is fully searchable, without forcing a refresh, exactly as
``bench/flow/latency.py`` does (``bench/flow/searchable.py``). Steps stop at
the first that fails: ack → searchable p99 over ``--p99-limit`` (2 s), any
request refused or failed, or an achieved rate under 95 % of the offered one;
``--refine`` more steps then halve the gap between the last rate sustained
and the first that failed.

Printed per step: offered and achieved events/s, p50/p99 ack → searchable
(batches acknowledged in the step's first seconds left out), refused
requests, and the cores each component used over the step (CPU seconds of
its process tree over wall seconds, from /proc): receiver, flow, Kafka, the
engine, the other engine of the stack (idle, but on the same cores), the
driver (this process: load and poller), and the whole machine; then each
component's largest resident memory, and the knee: the highest rate
sustained. The baseline beside the p99 is the engine's refresh interval
(1 s), the floor no indexer can beat. Kafka's and the engines' figures are
whole processes: on a stack shared with other work they include its load,
and "machine" near the core count means the figures measure contention.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

BENCH = Path(__file__).resolve().parents[1]
# The shared pieces of the flow and ingest benches, imported as they import them.
sys.path[1:1] = [str(BENCH / "flow"), str(BENCH / "ingest")]

from component_usage import Snapshot, snapshot, stack_pids  # noqa: E402
from local_pipeline import URLS, register, start, wait_ready  # noqa: E402
from offered_load import FIRST_BATCH, TICK_S, Offered, batch_size, body_template, offer  # noqa: E402
from searchable import POLL_S, percentile, watch  # noqa: E402

from barito_common.kafka import create_admin  # noqa: E402
from barito_common.search import create_search_adapter  # noqa: E402
from barito_common.settings import KafkaSettings, SearchSettings  # noqa: E402
from barito_testing.ports import free_port  # noqa: E402

COMPONENTS = ("receiver", "flow", "kafka", "engine", "other engine", "driver")
SETTLE_S = 2.0
WARM_UP_LIMIT_S = 180.0
MIB = 1024 * 1024


@dataclass
class Pipeline:
    """One engine's running pipeline, as the steps drive and measure it."""

    client: httpx.AsyncClient
    search: Any
    pattern: str
    secrets: list[str]
    components: dict[str, int]
    next_batch: int = FIRST_BATCH
    # The poller of a step whose batches were not all searchable by the end of its drain.
    backlog: asyncio.Task[None] | None = None

    async def clear_backlog(self, timeout_s: float) -> bool:
        """Wait until the last step's batches are all searchable; False if they were not in time.

        Each step starts from an empty pipeline, so that it measures its own rate."""
        if self.backlog is None:
            return True
        done, _ = await asyncio.wait({self.backlog}, timeout=timeout_s)
        if not done:
            self.backlog.cancel()
        self.backlog = None
        return bool(done)


@dataclass
class Step:
    rate: int
    achieved: float
    p50: float
    p99: float
    unsearchable: int
    refused: dict[str, int]
    late_s: float
    cores: dict[str, float]
    rss: dict[str, int]


async def run_step(pipeline: Pipeline, rate: int, seconds: float, drain_s: float) -> Step:
    apps = len(pipeline.secrets)
    size = batch_size(rate, apps)
    batches = range(pipeline.next_batch, pipeline.next_batch + round(seconds / TICK_S) * apps)
    pipeline.next_batch = batches.stop
    template = body_template(size)
    seen: dict[int, float] = {}
    watcher = asyncio.create_task(watch(pipeline.search, pipeline.pattern, batches, size, seen))
    offered = Offered()
    sender = asyncio.create_task(
        offer(pipeline.client, pipeline.secrets, template, batches, offered)
    )
    # CPU is read over the steady part: after the rate has risen, until the last answer.
    settle = min(SETTLE_S, seconds / 5)
    await asyncio.sleep(settle)
    before: Snapshot = snapshot(pipeline.components)
    began = time.perf_counter()
    await sender
    after = snapshot(pipeline.components)
    cores = after.cores_since(before, time.perf_counter() - began)
    # Past the drain the batches not yet searchable are counted as such, and still polled
    # for: the next step waits for them.
    await asyncio.wait({watcher}, timeout=drain_s)
    gave_up = time.perf_counter()
    pipeline.backlog = None if watcher.done() else watcher
    steady = [b for b, acked in offered.acked.items() if acked >= offered.begin + settle]
    # A batch never seen counts with the time waited for it: a lower bound.
    latencies = [seen.get(b, gave_up) - offered.acked[b] for b in steady]
    return Step(
        rate=round(size * apps / TICK_S),
        achieved=offered.achieved(size),
        p50=percentile(latencies, 0.5) if latencies else float("nan"),
        p99=percentile(latencies, 0.99) if latencies else float("nan"),
        unsearchable=sum(1 for b in steady if b not in seen),
        refused=dict(offered.refused),
        late_s=offered.most_late_s,
        cores=cores,
        rss=after.rss,
    )


def failure(step: Step, p99_limit_s: float) -> str | None:
    """Why ``step`` is past the knee, or None if the pipeline sustained it."""
    if step.refused:
        detail = ", ".join(f"{n} x {why}" for why, n in sorted(step.refused.items()))
        return f"requests refused or failed: {detail}"
    if step.achieved < 0.95 * step.rate:
        return (
            f"achieved {step.achieved / step.rate:.0%} of the offered rate "
            f"(posts up to {step.late_s * 1000:,.0f} ms behind schedule)"
        )
    if not step.p99 <= p99_limit_s:
        never = f", {step.unsearchable} batches not searchable in time" if step.unsearchable else ""
        return f"p99 over {p99_limit_s:g} s{never}"
    return None


HEADER = (
    f"{'offered':>8} {'achieved':>9} {'p50 ms':>7} {'p99 ms':>7} {'refused':>7} | cores: "
    f"{'receiver':>8} {'flow':>5} {'kafka':>5} {'engine':>6} {'other':>5} {'driver':>6} "
    f"{'machine':>7} | verdict"
)


def row(step: Step, verdict: str | None) -> str:
    c = step.cores
    return (
        f"{step.rate:>8,} {step.achieved:>9,.0f} {step.p50 * 1000:>7,.0f} {step.p99 * 1000:>7,.0f} "
        f"{sum(step.refused.values()):>7} |        {c['receiver']:>8.2f} {c['flow']:>5.2f} "
        f"{c['kafka']:>5.2f} {c['engine']:>6.2f} {c['other engine']:>5.2f} {c['driver']:>6.2f} "
        f"{c['machine']:>7.2f} | {verdict or 'sustained'}"
    )


async def climb(pipeline: Pipeline, args: argparse.Namespace) -> tuple[list[Step], int | None]:
    """Run the steps; the steps and the highest rate sustained."""
    steps: list[Step] = []
    good: int | None = None
    bad: int | None = None
    rates = list(args.rates)
    refinements = args.refine
    while rates:
        if not await pipeline.clear_backlog(args.clear_seconds):
            print(f"the backlog was not searchable within {args.clear_seconds:g} s: no more steps")
            break
        step = await run_step(pipeline, rates.pop(0), args.step_seconds, args.drain_seconds)
        steps.append(step)
        verdict = failure(step, args.p99_limit)
        print(row(step, verdict), flush=True)
        if verdict is None:
            good = max(good or 0, step.rate)
        else:
            bad = min(bad or step.rate, step.rate)
            rates = []  # past the knee: no higher rate
        if bad is not None and not rates and refinements > 0 and good and bad - good > good / 10:
            refinements -= 1
            rates = [(good + bad) // 2]
    return steps, good


async def measure(engine: str, args: argparse.Namespace) -> int | None:
    run = uuid.uuid4().hex[:6]
    kafka = KafkaSettings(topic_prefix=f"pbench{run}.")
    search_settings = SearchSettings(engine=engine, url=URLS[engine], index_prefix=f"pbench{run}-")
    other = next(name for name in URLS if name != engine)
    pids = stack_pids("kafka", engine, other)
    apps = await register(
        kafka, search_settings.index_prefix, [f"app{n:03d}" for n in range(args.apps)]
    )
    env = {
        **os.environ,
        "BARITO_KAFKA__TOPIC_PREFIX": kafka.topic_prefix,
        # A group of its own: another bench's flow in the default group would rebalance ours.
        "BARITO_GROUP_ID": f"pbench{run}-flow",
        "BARITO_SEARCH__ENGINE": engine,
        "BARITO_SEARCH__URL": search_settings.url,
        "BARITO_SEARCH__INDEX_PREFIX": search_settings.index_prefix,
        "BARITO_LOG_LEVEL": "WARNING",
    }
    logs = Path(tempfile.mkdtemp(prefix=f"pbench{run}-"))
    receiver_port, flow_port = free_port(), free_port()
    with (logs / "receiver.log").open("wb") as rlog, (logs / "flow.log").open("wb") as flog:
        processes = [
            start("barito_receiver.main", receiver_port, env, rlog),
            start("barito_flow.main", flow_port, env, flog),
        ]
    search = create_search_adapter(search_settings)
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{receiver_port}", timeout=30,
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=200),
        ) as client:  # fmt: skip
            await wait_ready(client, "/readyz")
            await wait_ready(client, f"http://127.0.0.1:{flow_port}/readyz")
            pipeline = Pipeline(
                client, search, f"{search_settings.index_prefix}*", [s for _, s in apps],
                {"receiver": processes[0].pid, "flow": processes[1].pid, "kafka": pids["kafka"],
                 "engine": pids[engine], "other engine": pids[other], "driver": os.getpid()},
            )  # fmt: skip
            print(
                f"\n{engine}: {args.apps} apps (2 partitions each), topic prefix "
                f"{kafka.topic_prefix}, services' logs in {logs}",
                flush=True,
            )
            # Not reported: the first events create every app's index template and daily index.
            warm_up = time.perf_counter()
            await run_step(pipeline, args.rates[0], args.warmup_seconds, 0)
            if not await pipeline.clear_backlog(WARM_UP_LIMIT_S):
                raise SystemExit(f"the warm-up's events were not searchable in {WARM_UP_LIMIT_S} s")
            print(
                f"warm-up: {args.warmup_seconds:g} s at {args.rates[0]:,} events/s, all "
                f"searchable {time.perf_counter() - warm_up:.1f} s after its start",
                flush=True,
            )
            print(HEADER, flush=True)
            try:
                steps, knee = await climb(pipeline, args)
            finally:
                await pipeline.clear_backlog(0)
    finally:
        for process in processes:
            process.terminate()
            process.wait()
        await search.delete_index(f"{search_settings.index_prefix}*")
        await search.close()
        await drop_topics(kafka)
    largest = {name: max(step.rss[name] for step in steps) // MIB for name in COMPONENTS}
    print("largest resident memory, MiB: " + ", ".join(f"{k} {v:,}" for k, v in largest.items()))
    print(f"{engine}: knee at {f'{knee:,} events/s' if knee else 'below the first rate'}")
    at_knee = next((step for step in steps if step.rate == knee), None)
    if at_knee is not None:
        per_1k = {k: at_knee.cores[k] * 1000 / at_knee.achieved for k in COMPONENTS}
        print(
            "cores per 1,000 events/s at the knee: "
            + ", ".join(f"{k} {v:.3f}" for k, v in per_1k.items()),
            flush=True,
        )
    return knee


async def drop_topics(kafka: KafkaSettings) -> None:
    admin = create_admin(kafka)
    await admin.start()
    try:
        mine = [t for t in await admin.list_topics() if t.startswith(kafka.topic_prefix)]
        if mine:
            await admin.delete_topics(mine)
    finally:
        await admin.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--engine", choices=[*URLS, "both"], default="both")
    parser.add_argument(
        "--rates", type=lambda v: [int(r) for r in v.split(",")],
        default=[2_500, 5_000, 10_000, 20_000, 40_000, 80_000, 160_000], help="events/s, rising",
    )  # fmt: skip
    parser.add_argument("--step-seconds", type=float, default=20.0)
    parser.add_argument("--warmup-seconds", type=float, default=5.0)
    parser.add_argument(
        "--drain-seconds", type=float, default=15.0,
        help="how long after a step's last post to wait for its batches to be searchable",
    )  # fmt: skip
    parser.add_argument(
        "--clear-seconds", type=float, default=60.0,
        help="how long a step waits for the previous step's backlog to become searchable",
    )  # fmt: skip
    parser.add_argument("--apps", type=int, default=20)
    parser.add_argument("--p99-limit", type=float, default=2.0, help="seconds")
    parser.add_argument(
        "--refine", type=int, default=1, help="steps halving the gap around the knee"
    )
    args = parser.parse_args()
    engines = list(URLS) if args.engine == "both" else [args.engine]
    memory_gib = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / MIB / 1024
    print(
        f"{os.cpu_count()} cores, {memory_gib:.0f} GiB, load average "
        f"{os.getloadavg()[0]:.2f}; {TICK_S:g} s between an app's posts; steps of "
        f"{args.step_seconds:g} s; baseline: the engine's refresh interval, 1,000 ms "
        f"(poll resolution {POLL_S * 1000:.0f} ms)",
        flush=True,
    )
    knees = {engine: await measure(engine, args) for engine in engines}
    print("\nknee (highest rate with p99 ack → searchable under the limit, nothing refused):")
    for engine, knee in knees.items():
        print(f"  {engine:<14} {f'{knee:,} events/s' if knee else 'below the first rate'}")


if __name__ == "__main__":
    asyncio.run(main())
