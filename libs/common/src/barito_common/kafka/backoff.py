"""Waiting between tries: a capped exponential backoff, and trying until done.

Example::

    journal = await until_done(
        lambda: read_journal(settings.kafka, topics), backoff=Backoff(), doing="reading the journal"
    )
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["Backoff", "until_done"]

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class Backoff:
    """``base_s`` after a first failure in a row, twice that after a second, ... up to ``cap_s``.

    >>> [Backoff(base_s=0.5, cap_s=3).delay(n) for n in range(1, 6)]
    [0.5, 1.0, 2.0, 3, 3]
    """

    base_s: float = 0.5
    cap_s: float = 10.0

    def delay(self, failures: int) -> float:
        """The wait after ``failures`` failures in a row (at least one)."""
        return min(self.base_s * 2.0 ** max(failures - 1, 0), self.cap_s)


async def until_done(call: Callable[[], Awaitable[T]], *, backoff: Backoff, doing: str) -> T:
    """Await ``call()`` until it returns, logging each failure and waiting ``backoff`` between.

    For start-up steps that need a dependency which may not be there yet
    (Kafka restarting): the service stays up and not ready rather than
    crash-looping. Only cancellation ends it early.
    """
    failures = 0
    while True:
        try:
            return await call()
        except Exception as err:
            failures += 1
            delay = backoff.delay(failures)
            log.warning(
                "A start-up step failed; retrying.",
                extra={"ctx": {"doing": doing, "delay_s": delay, "error": repr(err)}},
            )
            await asyncio.sleep(delay)
