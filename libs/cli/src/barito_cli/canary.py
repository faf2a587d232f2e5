"""``barito canary``: a marker every interval, read back through the live tail and search.

The canary is a user of Barito like any other: it POSTs to the public ingest
endpoint with an app's secret, follows that app's live tail, and searches its
logs through the market with an API token. It imports no service. What it
finds is exported as Prometheus metrics (``canary_metrics``); what they mean
and which alerts to set is ``docs/operations.md``::

    barito canary --app canary --secret "$SECRET" --token "$TOKEN" --duration 60
    BARITO_CANARY_APP=canary ... barito-canary     # the same, as the image runs it

A bounded run (``--duration``) stops writing when its time is up, waits until
every acknowledged marker was seen or passed its deadline, prints a summary
and exits 1 if a marker is missing or duplicated on either path, or if none
was acknowledged at all; SIGTERM or Ctrl-C end an unbounded run the same way
(a second one cuts the wait short). Exit status 2 is a usage error.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import signal
import sys
import uuid
from dataclasses import dataclass
from typing import Any

import click
import httpx

from barito_cli.canary_markers import PATHS, Ledger
from barito_cli.canary_metrics import CanaryMetrics, ListenError, Tracker, serve_metrics
from barito_cli.canary_search import SearchChecker
from barito_cli.canary_tail import TailWatcher
from barito_cli.canary_writer import MarkerWriter
from barito_common.json_logging import configure_logging

__all__ = ["CanaryConfig", "canary_command", "main", "run_canary"]

log = logging.getLogger("barito_cli.canary")

# How long the writer waits for the tail to start before it writes anyway
# (markers written before that are still read: the tail starts `since` then).
_TAIL_START_WAIT_S = 10.0
_EXPIRE_EVERY_S = 0.25


@dataclass(frozen=True)
class CanaryConfig:
    app: str
    secret: str
    token: str
    ingest_url: str
    tail_url: str
    market_url: str
    interval_s: float
    search_interval_s: float
    deadline_s: float
    duration_s: float
    """0: until SIGTERM or SIGINT."""
    listen: tuple[str, int] | None
    """Where /metrics, /healthz and /readyz are served; None: nowhere."""


async def run_canary(
    config: CanaryConfig, stop: asyncio.Event, hurry: asyncio.Event
) -> dict[str, Any]:
    """Run until ``stop`` (or the duration), drain until ``hurry``; return the summary."""
    metrics = CanaryMetrics.create()
    tracker = Tracker(Ledger(uuid.uuid4().hex[:12], deadline_s=config.deadline_s), metrics)
    tail = TailWatcher(
        tracker,
        tail_url=config.tail_url,
        app=config.app,
        secret=config.secret,
        started_at=tracker.clock(),
    )
    if config.duration_s:
        asyncio.get_running_loop().call_later(config.duration_s, stop.set)
    async with contextlib.AsyncExitStack() as resources:
        if config.listen:
            await resources.enter_async_context(serve_metrics(metrics.registry, *config.listen))
        client = await resources.enter_async_context(httpx.AsyncClient())
        search = SearchChecker(
            client,
            tracker,
            market_url=config.market_url,
            app=config.app,
            token=config.token,
            interval_s=config.search_interval_s,
        )
        writer = MarkerWriter(
            client,
            tracker,
            ingest_url=config.ingest_url,
            secret=config.secret,
            interval_s=config.interval_s,
            # Past the deadline the marker could no longer be judged on time.
            give_up_s=config.deadline_s,
        )
        log.info(
            "Canary started.",
            extra={"ctx": {"run": tracker.ledger.run, "app": config.app, "listen": config.listen}},
        )
        # A task failing for a reason other than the network (a bug) ends the run.
        async with asyncio.TaskGroup() as group:
            background = [
                group.create_task(tail.run()),
                group.create_task(search.run()),
                group.create_task(_expire_every(tracker, _EXPIRE_EVERY_S)),
            ]
            await _wait_for_any(tail.started, stop, within_s=_TAIL_START_WAIT_S)
            await writer.run(stop)
            log.info(
                "Canary stopped writing; waiting for the markers still pending.",
                extra={"ctx": {"run": tracker.ledger.run}},
            )
            await _drain(tracker, hurry)
            for task in background:
                task.cancel()
    tracker.expire()
    return tracker.summary()


async def _expire_every(tracker: Tracker, period_s: float) -> None:
    while True:
        tracker.expire()
        await asyncio.sleep(period_s)


async def _wait_for_any(*events: asyncio.Event, within_s: float) -> None:
    waits = [asyncio.create_task(event.wait()) for event in events]
    try:
        await asyncio.wait(waits, timeout=within_s, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()


async def _drain(tracker: Tracker, hurry: asyncio.Event) -> None:
    """Until every acknowledged marker is seen or missing on both paths (or ``hurry``)."""
    while any(tracker.ledger.pending(path) for path in PATHS):
        tracker.expire()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(hurry.wait(), timeout=_EXPIRE_EVERY_S)
            return


async def _main(config: CanaryConfig) -> dict[str, Any]:
    stop, hurry = asyncio.Event(), asyncio.Event()

    def on_signal() -> None:
        (hurry if stop.is_set() else stop).set()

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, on_signal)
    return await run_canary(config, stop, hurry)


def _listen(_: click.Context, __: click.Parameter, value: str) -> tuple[str, int] | None:
    if not value:
        return None
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise click.BadParameter(f"{value!r} is not HOST:PORT (e.g. 0.0.0.0:18085)")
    return host.strip("[]") or "0.0.0.0", int(port)


def _print_summary(summary: dict[str, Any]) -> None:
    def latency(path: str) -> str:
        values = summary[path]["latency_s"]
        if not values:
            return "no latency measured"
        return ", ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in values.items())

    tail, search = summary["tail"], summary["search"]
    errors = ", ".join(f"{k}={v}" for k, v in summary["errors"].items()) or "none"
    click.echo(f"canary run {summary['run']}: {'ok' if summary['ok'] else 'FAILED'}")
    click.echo(
        f"  written {summary['written']}, given up {summary['write_failures']}, errors: {errors}"
    )
    click.echo(
        f"  tail:   seen {tail['seen']}, missing {tail['missing']}, duplicates "
        f"{tail['duplicates']}, pending {tail['pending']}, out of order {tail['out_of_order']}, "
        f"dropped {tail['dropped']}, reconnects {tail['reconnects']}; ack→tail {latency('tail')}"
    )
    click.echo(
        f"  search: seen {search['seen']}, missing {search['missing']}, duplicates "
        f"{search['duplicates']}, pending {search['pending']}; "
        f"ack→searchable {latency('search')}"
    )


_SECONDS = click.FloatRange(min=0, min_open=True)
# Every setting is an option and a variable (how the chart sets them); --help shows both.
_option = functools.partial(click.option, show_default=True, show_envvar=True)


@click.command("canary")
@_option("--app", envvar="BARITO_CANARY_APP", required=True, help="The canary app's slug.")
@_option("--secret", envvar="BARITO_CANARY_SECRET", required=True, help="The app's secret.")
@_option(
    "--token",
    envvar="BARITO_CANARY_TOKEN",
    required=True,
    help="API token of a member of the app's group, for search.",
)
@_option(
    "--ingest-url",
    envvar="BARITO_CANARY_INGEST_URL",
    default="http://127.0.0.1:18081",
    help="Base URL of the receiver (the public ingest endpoint, without /api/v1/logs).",
)
@_option(
    "--tail-url",
    envvar="BARITO_CANARY_TAIL_URL",
    default="http://127.0.0.1:18084",
    help="Base URL of the tail server.",
)
@_option(
    "--market-url",
    envvar="BARITO_CANARY_MARKET_URL",
    default="http://127.0.0.1:18080",
    help="Base URL of the market (its log search API).",
)
@_option(
    "--interval",
    envvar="BARITO_CANARY_INTERVAL",
    type=_SECONDS,
    default=1.0,
    help="Seconds between two markers.",
)
@_option(
    "--search-interval",
    envvar="BARITO_CANARY_SEARCH_INTERVAL",
    type=_SECONDS,
    default=1.0,
    help="Seconds between two searches for the markers.",
)
@_option(
    "--deadline",
    envvar="BARITO_CANARY_DEADLINE",
    type=_SECONDS,
    default=60.0,
    help="Seconds after its acknowledgement when a marker not read back counts as missing.",
)
@_option(
    "--duration",
    envvar="BARITO_CANARY_DURATION",
    type=click.FloatRange(min=0),
    default=0.0,
    help="Seconds to write for, then drain and exit; 0: until SIGTERM or Ctrl-C.",
)
@_option(
    "--listen",
    envvar="BARITO_CANARY_LISTEN",
    default="127.0.0.1:18085",
    callback=_listen,
    help="HOST:PORT serving /metrics, /healthz and /readyz; empty: no endpoint.",
)
@_option(
    "--log-level",
    envvar="BARITO_CANARY_LOG_LEVEL",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]),
    default="INFO",
    help="Lowest level of the JSON log lines written to stderr.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
def canary_command(
    app: str,
    secret: str,
    token: str,
    ingest_url: str,
    tail_url: str,
    market_url: str,
    interval: float,
    search_interval: float,
    deadline: float,
    duration: float,
    listen: tuple[str, int] | None,
    log_level: str,
    as_json: bool,
) -> None:
    """Write a marker every interval; read each back on the tail and in search; export metrics."""
    config = CanaryConfig(
        app=app,
        secret=secret,
        token=token,
        ingest_url=ingest_url,
        tail_url=tail_url,
        market_url=market_url,
        interval_s=interval,
        search_interval_s=search_interval,
        deadline_s=deadline,
        duration_s=duration,
        listen=listen,
    )
    configure_logging("canary", log_level)
    # httpx logs every request at INFO: a line per marker and per search.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        summary = asyncio.run(_main(config))
    except ListenError as err:
        raise click.ClickException(str(err)) from err
    if as_json:
        click.echo(json.dumps(summary))
    else:
        _print_summary(summary)
    sys.exit(0 if summary["ok"] else 1)


def main() -> None:
    """``barito-canary``: the command alone, as the canary's image runs it."""
    canary_command(prog_name="barito-canary")


if __name__ == "__main__":
    main()
