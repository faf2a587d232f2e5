"""Alerts benchmark: event accepted → webhook notified, and the server's CPU with and without rules.

    uv run python bench/alerts/run.py [--rate 5000] [--apps 10] [--rules-per-app 10]
                                      [--baseline-seconds 30] [--seconds 60] [--period 15]

Needs the local stack's Kafka (`uv run barito stack up kafka`). Under a
unique topic prefix it registers ``--apps`` apps as the market does
(profiles on the registry topic, log topics of 2 partitions) and starts a
receiver, a server with alerts on (the test installation key, so it opens
the webhook channel's signing secret) and a webhook receiver
(``bench/alerts/webhook.py``), each a process of its own on loopback. A
paced sender posts ``--rate`` events/s in NDJSON bodies of 50 events of
~250 bytes, round-robin over the apps, over 8 connections.

1. **Baseline, no rules** (``--baseline-seconds``, after 5 s of warm-up):
   the server's CPU time (from /proc) per 1,000 events accepted.
2. Every app's profile is published again with ``--rules-per-app`` rules
   (see ``workload.py``: ``any`` with a substring, ``threshold`` level=error
   3 in 10 s, ``any`` with a field equal to a value), all notifying one
   webhook channel; the bench waits until the server's /metrics shows
   every rule evaluated and every app's stream read.
3. **Rules** (``--seconds``): the same traffic, and every rule triggered
   once per ``--period`` s, spread evenly. Rules use the shortest window
   (10 s), so a rule has resolved before its next trigger and every
   trigger is a fresh firing. Timed per firing: from the receiver's 2xx
   for the request carrying the triggering event to the notification's
   arrival at the webhook. The server's CPU per 1,000 events is measured
   over this phase, its firings and resolutions delivered included.

A long ``--period`` (e.g. 6000: one trigger in the phase) measures the
evaluation alone; the difference to the default run is what delivering
~12 transitions/s costs (state writes, the webhook POST, history events).

Printed: firings timed out of triggers sent, p50/p99 and whether p99 is
under the 2 s goal (never a failure), the server's CPU per 1,000 events in
both phases and their ratio, the receiver's (the ingest cost the same
events had, for scale), the load generator's CPU share and how busy the
whole machine was: a machine near 100 % busy measures the neighbours too.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
from workload import BenchRule, Sender, Trigger, drive_triggers, make_rules

from barito_common.alerts import AlertChannelSpec
from barito_common.app_registry import AppRegistry
from barito_common.settings import KafkaSettings
from barito_testing.alert_channels import webhook_channel
from barito_testing.alert_server import INSTALLATION_KEY_TEXT
from barito_testing.apps import App, Apps
from barito_testing.ports import free_port

GOAL_P99_S = 2.0
BATCH = 50
CONNECTIONS = 8
HERE = Path(__file__).parent


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[int, int]:
    """Busy and total CPU time of the whole machine (all cores), from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


@dataclass(frozen=True)
class Snapshot:
    """The counters a phase's figures are differences of."""

    at: float
    events: int
    server_cpu: float
    receiver_cpu: float
    own_cpu: float
    busy: tuple[int, int]


@dataclass(frozen=True)
class Phase:
    events: int
    wall: float
    server_per_k: float  # CPU ms per 1,000 events
    receiver_per_k: float
    own_share: float
    machine_busy: float

    @classmethod
    def between(cls, a: Snapshot, b: Snapshot) -> Phase:
        events = max(1, b.events - a.events)
        wall = b.at - a.at
        return cls(
            events=events,
            wall=wall,
            server_per_k=(b.server_cpu - a.server_cpu) * 1000 / events * 1000,
            receiver_per_k=(b.receiver_cpu - a.receiver_cpu) * 1000 / events * 1000,
            own_share=(b.own_cpu - a.own_cpu) / wall,
            machine_busy=(b.busy[0] - a.busy[0]) / max(1, b.busy[1] - a.busy[1]),
        )

    def line(self, name: str) -> str:
        return (
            f"{name}: server CPU {self.server_per_k:6.1f} ms per 1,000 events"
            f" | receiver {self.receiver_per_k:6.1f} ms | {self.events / self.wall:,.0f} events/s"
            f" accepted over {self.wall:.0f} s | load generator CPU {self.own_share:.0%}"
            f" | machine busy {self.machine_busy:.0%}"
        )


async def start_service(name: str, env: dict[str, str], port: int) -> asyncio.subprocess.Process:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", f"barito_{name}.main", env={**os.environ, **env},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    await poll(lambda: ready(f"http://127.0.0.1:{port}/readyz"), 60, f"the {name} never got ready")
    return proc


async def ready(url: str) -> bool:
    try:
        async with httpx.AsyncClient() as client:
            return (await client.get(url)).status_code == 200
    except httpx.HTTPError:
        return False


async def poll(check: Callable[[], Awaitable[bool]], wait_s: float, failure: str) -> None:
    deadline = time.monotonic() + wait_s
    while not await check():
        if time.monotonic() > deadline:
            raise RuntimeError(failure)
        await asyncio.sleep(0.2)


async def evaluating(server_url: str, apps: list[App], rules: int) -> bool:
    """Whether the server evaluates ``rules`` rules and reads every app's stream (its /metrics)."""
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"{server_url}/metrics")).text
    counted = sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("barito_alert_rules{")
    )
    # The lag gauge appears once an app's stream is positioned at its end and read.
    reading = all(f'barito_alert_evaluation_lag{{app="{a.profile.slug}"}}' in text for a in apps)
    return counted == rules and reading


class WebhookProcess:
    """``webhook.py`` in its own process; its lines collected as they come."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.url = ""

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, str(HERE / "webhook.py"), stdout=subprocess.PIPE, limit=1 << 24
        )
        assert self.proc.stdout is not None
        self.url = (await self.proc.stdout.readline()).decode().strip()
        self._reading = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        async for line in self.proc.stdout:
            self.received.append(orjson.loads(line))

    def firings(self) -> dict[int, float]:
        """Trigger number → arrival of the first firing notification it caused."""
        arrivals: dict[int, float] = {}
        for item in self.received:
            if item["transition"] == "firing" and item["trig"] is not None:
                arrivals.setdefault(item["trig"], item["at"])
        return arrivals

    async def stop(self) -> None:
        self.proc.terminate()
        await self.proc.wait()
        self._reading.cancel()


async def publish_rules(
    apps: Apps, registered: list[App], rules: list[BenchRule], channel: AlertChannelSpec
) -> None:
    for index, app in enumerate(registered):
        specs = [rule.spec for rule in rules if rule.app == index]
        profile = app.profile.model_copy(update={"alert_rules": specs, "alert_channels": [channel]})
        await apps.publish(profile)


def report_latency(triggers: list[Trigger], sender: Sender, webhook: WebhookProcess) -> None:
    arrivals = webhook.firings()
    timed = [
        (t.rule.style, arrivals[t.trig] - sender.acked[t.trig])
        for t in triggers
        if t.trig in arrivals and t.trig in sender.acked
    ]
    latencies = [latency for _, latency in timed]
    styles = {t.rule.style for t in triggers}
    resolved = sum(1 for item in webhook.received if item["transition"] == "resolved")
    print(
        f"triggers sent {len(triggers)} ({', '.join(sorted(styles))}), accepted"
        f" {len(sender.acked)}, firings timed {len(latencies)}, resolutions received {resolved},"
        f" webhook requests {len(webhook.received)}"
    )
    if not latencies:
        print("no firing arrived: nothing to time")
        return
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    met = "met" if p99 < GOAL_P99_S else "NOT met"
    print(
        f"accepted -> notified: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms,"
        f" max {max(latencies) * 1000:.0f} ms over {len(latencies)} firings"
        f" | goal p99 < {GOAL_P99_S:g} s: {met}"
    )
    for style in sorted(styles):
        some = [latency for s, latency in timed if s == style]
        if some:
            print(
                f"  {style:9}: p50 {percentile(some, 50) * 1000:.0f} ms,"
                f" p99 {percentile(some, 99) * 1000:.0f} ms over {len(some)} firings"
            )


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rate", type=int, default=5000, help="events/s posted, all apps")
    parser.add_argument("--apps", type=int, default=10)
    parser.add_argument("--rules-per-app", type=int, default=10)
    parser.add_argument("--baseline-seconds", type=float, default=30, help="phase without rules")
    parser.add_argument("--seconds", type=float, default=60, help="phase with rules")
    parser.add_argument("--period", type=float, default=15, help="s between a rule's triggers")
    parser.add_argument("--bootstrap", default="127.0.0.1:19092")
    args = parser.parse_args()

    kafka = KafkaSettings(
        bootstrap_servers=args.bootstrap, topic_prefix=f"benchalert{uuid.uuid4().hex[:6]}."
    )
    # Starting a registry creates the registry topic, as the market's first start does.
    registry = AppRegistry(kafka)
    await registry.start()
    await registry.wait_loaded(30)
    await registry.stop()
    apps = Apps(kafka)
    await apps.producer.start()
    registered = [await apps.register(tps=10_000_000, partitions=2) for _ in range(args.apps)]
    webhook = WebhookProcess()
    await webhook.start()
    channel = webhook_channel(webhook.url)
    rules = [r for a in range(args.apps) for r in make_rules(a, args.rules_per_app, channel)]

    ports = {"receiver": free_port(), "server": free_port()}
    common = {
        "BARITO_LOG_LEVEL": "WARNING",
        "BARITO_KAFKA__BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "BARITO_KAFKA__TOPIC_PREFIX": kafka.topic_prefix,
    }
    receiver = await start_service(
        "receiver",
        common | {"BARITO_PORT": str(ports["receiver"]), "BARITO_FORWARD_PORT": str(free_port())},
        ports["receiver"],
    )
    server = await start_service(
        "server",
        common
        | {
            "BARITO_PORT": str(ports["server"]),
            "BARITO_ALERTS_ENABLED": "true",
            "BARITO_INSTALLATION_KEY": INSTALLATION_KEY_TEXT,
            # The webhook listens on loopback, which a production server refuses to call.
            "BARITO_ALERT_PRIVATE_TARGETS": "true",
        },
        ports["server"],
    )
    server_url = f"http://127.0.0.1:{ports['server']}"
    sender = Sender(
        f"http://127.0.0.1:{ports['receiver']}", registered, args.rate, BATCH, CONNECTIONS
    )

    def snapshot() -> Snapshot:
        return Snapshot(
            at=time.monotonic(),
            events=sender.accepted,
            server_cpu=cpu_seconds(server.pid),
            receiver_cpu=cpu_seconds(receiver.pid),
            own_cpu=time.process_time(),
            busy=machine_busy(),
        )

    stop = asyncio.Event()
    triggers: list[Trigger] = []
    sending = asyncio.create_task(sender.run(stop))
    try:
        print(
            f"{args.rate} events/s over {args.apps} apps, bodies of {BATCH} events,"
            f" {CONNECTIONS} connections; {len(rules)} rules; {os.cpu_count()} cores"
        )
        await asyncio.sleep(5)  # warm-up: connections open, topics' leaders known
        before = snapshot()
        await asyncio.sleep(args.baseline_seconds)
        baseline = Phase.between(before, snapshot())
        print(baseline.line("no rules    "), flush=True)

        await publish_rules(apps, registered, rules, channel)
        await poll(
            lambda: evaluating(server_url, registered, len(rules)),
            60,
            "the server did not evaluate every rule within 60 s",
        )
        before = snapshot()
        triggers = await drive_triggers(sender, rules, period_s=args.period, seconds=args.seconds)
        with_rules = Phase.between(before, snapshot())
        print(with_rules.line(f"{len(rules)} rules   "), flush=True)
        trigger_events = sum(t.events for t in triggers)
        print(
            f"alert evaluation: {with_rules.server_per_k / baseline.server_per_k:.1f}x the"
            f" server's CPU per 1,000 events without rules | trigger events {trigger_events}"
            f" of {with_rules.events} accepted ({trigger_events / with_rules.events:.2%})",
            flush=True,
        )
        stop.set()
        await sending
        # The last triggers' firings: wait until each accepted one arrived, or 15 s.
        await poll(
            lambda: _all_arrived(triggers, sender, webhook), 15, "some firings never arrived"
        )
    except RuntimeError as err:
        print(f"incomplete: {err}")
    finally:
        stop.set()
        await asyncio.gather(sending, return_exceptions=True)
        # The webhook first: a server stopped mid-delivery would leave it a cut request to log.
        await webhook.stop()
        for proc in (receiver, server):
            proc.terminate()
            await proc.wait()
        await apps.producer.stop()
    if sender.refused:
        print(f"{sender.refused} requests were refused or failed")
    report_latency(triggers, sender, webhook)


async def _all_arrived(triggers: list[Trigger], sender: Sender, webhook: WebhookProcess) -> bool:
    arrivals = webhook.firings()
    return all(t.trig in arrivals for t in triggers if t.trig in sender.acked)


if __name__ == "__main__":
    asyncio.run(main())
