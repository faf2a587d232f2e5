"""Load through the receiver: a trickle to every app, a flood to ten, marker rounds."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from dataclasses import dataclass

import httpx
import orjson
from fleet import RegisteredApp

NDJSON = {"Content-Type": "application/x-ndjson"}


def _body(app: str, count: int, seq: int, **extra: str) -> bytes:
    return b"".join(
        orjson.dumps(
            {"level": "info", "seq": seq + i, "app_name": app, **extra,
             "message": f"GET /api/v1/orders/{seq + i} 200 12.3ms user=u{i % 97}"}
        ) + b"\n"
        for i in range(count)
    )  # fmt: skip


@dataclass
class Sent:
    events: int = 0
    requests: int = 0
    refused: int = 0


async def _post(
    client: httpx.AsyncClient, url: str, app: RegisteredApp, body: bytes, sent: Sent
) -> None:
    sent.requests += 1
    try:
        answer = await client.post(
            url, content=body, headers={**NDJSON, "X-App-Secret": app.secret}
        )
    except httpx.HTTPError:
        sent.refused += 1
        return
    if answer.status_code == 200:
        sent.events += body.count(b"\n")
    else:
        sent.refused += 1


async def trickle(url: str, apps: list[RegisteredApp], *, period_s: float, sent: Sent) -> None:
    """Every app gets one request of 5 events every ``period_s``, spread evenly."""
    gap = period_s / len(apps)
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=16)) as client:
        pending: set[asyncio.Task[None]] = set()
        next_at = time.monotonic()
        for seq, app in enumerate(itertools.cycle(apps)):
            next_at += gap
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            task = asyncio.create_task(
                _post(client, f"{url}/api/v1/logs", app, _body(app.slug, 5, seq * 5), sent)
            )
            pending.add(task)
            task.add_done_callback(pending.discard)


async def flood(url: str, app: RegisteredApp, *, events_per_s: int, sent: Sent) -> None:
    """Batches of 100 events at ``events_per_s`` to one app."""
    async with httpx.AsyncClient(timeout=30) as client:
        next_at = time.monotonic()
        for seq in itertools.count(0, 100):
            next_at += 100 / events_per_s
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            await _post(client, f"{url}/api/v1/logs", app, _body(app.slug, 100, seq), sent)


async def markers(url: str, apps: list[RegisteredApp], round_: str) -> None:
    """One event per app carrying ``bench_marker`` = ``round:slug``."""
    sent = Sent()
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=16)) as client:
        semaphore = asyncio.Semaphore(16)

        async def one(app: RegisteredApp) -> None:
            async with semaphore:
                body = _body(app.slug, 1, 0, bench_marker=f"{round_}:{app.slug}")
                await _post(client, f"{url}/api/v1/logs", app, body, sent)

        await asyncio.gather(*(one(app) for app in apps))
    if sent.refused:
        raise RuntimeError(f"marker round {round_}: {sent.refused} requests refused")


class Load:
    """The trickle and the floods, running in the background until stopped."""

    def __init__(self, url: str, apps: list[RegisteredApp], *, flood_rate: int) -> None:
        self.trickle, self.flood = Sent(), Sent()
        self._tasks = [asyncio.create_task(trickle(url, apps, period_s=5.0, sent=self.trickle))]
        self._tasks += [
            asyncio.create_task(flood(url, app, events_per_s=flood_rate, sent=self.flood))
            for app in apps[:10]
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
