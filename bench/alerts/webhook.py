"""The alert benchmark's webhook receiver, in a process of its own.

    python bench/alerts/webhook.py

Runs :func:`barito_testing.webhook_receiver.webhook_receiver` (answers 200)
and prints its URL, then one JSON line per request: when it arrived
(``time.monotonic()``, the same clock in every process on Linux), its
notification id, rule id, transition and the highest ``trig`` among its
samples. Its own process, so the bench's load generator being busy does
not delay the arrival times it notes.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import orjson

from barito_testing.webhook_receiver import webhook_receiver


def summary(at: float, notification_id: str | None, body: dict[str, Any]) -> bytes:
    trigs = [s["trig"] for s in body.get("samples", []) if isinstance(s.get("trig"), int)]
    return orjson.dumps(
        {
            "at": at,
            "id": notification_id,
            "rule_id": body["rule"]["id"],
            "transition": body["transition"],
            "trig": max(trigs, default=None),
        }
    )


async def main() -> None:
    async with webhook_receiver() as receiver:
        print(receiver.url, flush=True)
        printed = 0
        while True:
            with contextlib.suppress(AssertionError):
                await receiver.wait_for_requests(printed + 1, timeout_s=1)
            for request in receiver.requests[printed:]:
                line = summary(request.received_at, request.notification_id, request.json)
                print(line.decode(), flush=True)
            printed = len(receiver.requests)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
