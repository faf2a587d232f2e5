"""The load of one step: many apps, each posting a batch of events every ``TICK_S``.

An agent ships what it gathered once per flush interval, so the load is
requests at a steady pace (apps / ``TICK_S`` a second, the apps staggered
evenly within each tick) whose size grows with the rate. Each request is paced
against the step's start, so a slow answer does not lower the offered rate;
it shows as an achieved rate below the offered one. Events are the ingest
bench's (``bench/ingest/workload.py``, ~245 bytes) plus the ``batch`` number
the searchability poller counts by.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from workload import EVENTS_PER_REQUEST, make_records, ndjson_body

__all__ = ["FIRST_BATCH", "TICK_S", "Offered", "batch_size", "body_template", "offer"]

TICK_S = 0.5
# Batch numbers all have ten digits, so one template body serves every batch of a
# step: its placeholder number is swapped for the batch's at C speed.
FIRST_BATCH = 1_000_000_001
_PLACEHOLDER = b'"batch":1000000000'


def batch_size(rate: int, apps: int) -> int:
    """Events in each request for ``rate`` events/s over ``apps`` apps."""
    return max(1, round(rate * TICK_S / apps))


def body_template(size: int) -> bytes:
    """An NDJSON body of ``size`` events stamped now, numbered by the placeholder batch."""
    stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    seeds = range(-(-size // EVENTS_PER_REQUEST))
    records = [record for seed in seeds for record in make_records(seed)][:size]
    # Today's stamp: the flow's retention would delete the bench's fixed, older day.
    return ndjson_body([{**r, "@timestamp": stamp, "batch": 1_000_000_000} for r in records])


@dataclass
class Offered:
    """What one step sent and what the receiver answered."""

    begin: float = 0.0
    acked: dict[int, float] = field(default_factory=dict)
    refused: Counter[str] = field(default_factory=Counter)
    most_late_s: float = 0.0

    def achieved(self, size: int) -> float:
        """Events/s acknowledged, from the step's start to its last acknowledgement."""
        if not self.acked:
            return 0.0
        return len(self.acked) * size / (max(self.acked.values()) - self.begin)


async def offer(
    client: httpx.AsyncClient,
    secrets: list[str],
    template: bytes,
    batches: range,
    offered: Offered,
) -> None:
    """Post ``batches`` in order, one per app in turn, ``len(secrets)`` every ``TICK_S``."""
    headers = [{"X-App-Secret": s, "Content-Type": "application/x-ndjson"} for s in secrets]
    slot = TICK_S / len(secrets)
    in_flight: set[asyncio.Task[None]] = set()

    async def post(batch: int, app: int) -> None:
        body = template.replace(_PLACEHOLDER, b'"batch":%d' % batch)
        try:
            response = await client.post("/api/v1/logs", content=body, headers=headers[app])
        except httpx.HTTPError as err:
            offered.refused[type(err).__name__] += 1
            return
        if response.is_success:
            offered.acked[batch] = time.perf_counter()
        else:
            offered.refused[str(response.status_code)] += 1

    offered.begin = time.perf_counter()
    for n, batch in enumerate(batches):
        due = offered.begin + n * slot
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        offered.most_late_s = max(offered.most_late_s, time.perf_counter() - due)
        task = asyncio.create_task(post(batch, n % len(secrets)))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
    await asyncio.gather(*in_flight)
