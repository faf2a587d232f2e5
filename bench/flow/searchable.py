"""When each posted batch becomes searchable, as a user would find it.

Shared by ``bench/flow/latency.py`` and ``bench/pipeline/run.py``. Every event
carries the number of the batch it was posted in (a ``batch`` field); a poller
asks the engine every ``POLL_S`` which batches hold all their events and notes
the first time each does. Nothing forces a refresh: the engine's 1 s refresh
interval is part of what a user waits for, so the poll interval is the
resolution of every figure.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

__all__ = ["POLL_S", "percentile", "watch"]

POLL_S = 0.05
# Batches not yet whole, lowest first: enough for ~20 s of backlog at 100 batches/s.
_OPEN_BATCHES = 5_000


async def watch(
    search: Any, pattern: str, batches: range, size: int, seen: dict[int, float]
) -> None:
    """Note in ``seen`` when each of ``batches`` (of ``size`` events) is first fully searchable;
    return when all are. Cancel it to give up."""
    lowest = batches.start
    while lowest < batches.stop:
        await asyncio.sleep(POLL_S)
        try:
            body = await search.search(
                pattern, size=0, query={"range": {"batch": {"gte": lowest, "lt": batches.stop}}},
                aggs={"b": {"terms": {"field": "batch", "size": _OPEN_BATCHES,
                                      "order": {"_key": "asc"}}}},
            )  # fmt: skip
        except Exception:
            continue  # the index does not exist until the first document lands
        now = time.perf_counter()
        for bucket in body.get("aggregations", {}).get("b", {}).get("buckets", []):
            if bucket["doc_count"] == size:
                seen.setdefault(int(bucket["key"]), now)
        while lowest in seen:
            lowest += 1


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0 < q < 1) of ``values``, at a resolution of 1/1000."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 1000) - 1]
