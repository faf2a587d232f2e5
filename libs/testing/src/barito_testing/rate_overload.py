"""A steady overload of one app, spread over the receivers that are up, and what they accept.

Shared by the receiver's shared-limit test and ``bench/rates``.

Senders post batches of ``events_per_post`` events in turn to every URL in
``targets`` (a list the bench changes as it starts and kills receivers), each
at a fixed pace whatever the answer, so the demand stays the same while the
answers change. Every 200 is logged with its time; :meth:`Overload.rate`
reads the accepted events/s of any past window.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field

import httpx
from prometheus_client.parser import text_string_to_metric_families


@dataclass
class Overload:
    secret: str
    targets: list[str]
    events_per_post: int = 25
    posts_per_sender_s: float = 5.0
    accepted: list[tuple[float, int]] = field(default_factory=list)
    refused: int = 0
    _senders: list[asyncio.Task[None]] = field(default_factory=list)

    def start(self, client: httpx.AsyncClient, senders: int) -> None:
        self._senders = [asyncio.create_task(self._send(client, n)) for n in range(senders)]

    async def stop(self) -> None:
        for sender in self._senders:
            sender.cancel()
        await asyncio.gather(*self._senders, return_exceptions=True)

    async def _send(self, client: httpx.AsyncClient, sender: int) -> None:
        body = b"".join(
            b'{"sender":%d,"n":%d}\n' % (sender, n) for n in range(self.events_per_post)
        )
        headers = {"X-App-Secret": self.secret, "Content-Type": "application/x-ndjson"}
        for turn in itertools.count(sender):
            pause = asyncio.create_task(asyncio.sleep(1 / self.posts_per_sender_s))
            url = self.targets[turn % len(self.targets)]
            try:
                response = await client.post(f"{url}/api/v1/logs", content=body, headers=headers)
            except httpx.HTTPError:
                pass  # a receiver just killed
            else:
                if response.status_code == 200:
                    self.accepted.append((time.monotonic(), self.events_per_post))
                elif response.status_code == 429:
                    self.refused += 1
                else:
                    raise RuntimeError(f"{url} answered {response.status_code}: {response.text}")
            await pause

    def rate(self, start: float, end: float) -> float:
        """Events/s accepted between two ``time.monotonic()`` moments."""
        return sum(n for at, n in self.accepted if start <= at < end) / (end - start)

    async def measure(self, window_s: float) -> float:
        start = time.monotonic()
        await asyncio.sleep(window_s)
        return self.rate(start, time.monotonic())


async def instances_counted(client: httpx.AsyncClient, url: str) -> float | None:
    """How many receiver processes ``url``'s receiver counts sharing the limits."""
    for family in text_string_to_metric_families((await client.get(f"{url}/metrics")).text):
        if family.name == "barito_rate_instances":
            return family.samples[0].value
    return None


async def until_all_count(
    client: httpx.AsyncClient, urls: list[str], instances: int, wait_s: float = 30
) -> float:
    """Seconds until every receiver of ``urls`` counts ``instances``."""
    start = time.monotonic()
    async with asyncio.timeout(wait_s):
        # Another process's state, seen only by asking it: polled.
        while [url for url in urls if await instances_counted(client, url) != instances]:
            await asyncio.sleep(0.05)
    return time.monotonic() - start
