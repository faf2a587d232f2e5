"""Tails held open on the tail server, one per app: what each shared reader costs."""

from __future__ import annotations

import asyncio
import contextlib

import httpx
from fleet import RegisteredApp


class Tails:
    """NDJSON tails (as `curl -N` opens them), each open until ``close``."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(30, read=None))
        self._tasks: list[asyncio.Task[None]] = []

    async def open(self, apps: list[RegisteredApp]) -> None:
        """Open a tail of each app; return once every one has said it started."""
        started = [asyncio.Event() for _ in apps]
        for app, event in zip(apps, started, strict=True):
            self._tasks.append(asyncio.create_task(self._tail(app, event)))
        async with asyncio.timeout(120):
            await asyncio.gather(*(event.wait() for event in started))

    async def _tail(self, app: RegisteredApp, started: asyncio.Event) -> None:
        path = f"{self._url}/api/v1/tail/{app.slug}"
        headers = {"X-App-Secret": app.secret}
        async with self._client.stream("GET", path, headers=headers) as response:
            if response.status_code != 200:
                raise RuntimeError(f"tail of {app.slug}: {response.status_code}")
            async for data in response.aiter_raw():
                if b'"started"' in data:
                    started.set()

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
                await task
        self._tasks.clear()
        await self._client.aclose()
