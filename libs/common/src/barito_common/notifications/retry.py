"""Trying a delivery again: which failures are worth it, how long to wait, when to stop.

One attempt answers an :class:`Attempt`; :func:`with_retries` repeats it
with capped exponential backoff and full jitter (a random wait between 0
and ``Backoff.delay(n)``, so many servers retrying one receiver after an
outage do not knock in step), at most ``attempts`` times and within
``budget_s`` seconds in all, waits included.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from barito_common.kafka.backoff import Backoff
from barito_common.notifications.contract import DeliveryResult

__all__ = ["DEFAULT_BACKOFF", "Attempt", "Tries", "with_retries"]

# 1, 2, 4, 8, 16 s at most between six attempts: about half a minute of a
# receiver's outage is ridden out inside the default 120 s budget.
DEFAULT_BACKOFF = Backoff(base_s=1.0, cap_s=30.0)

_jitter = secrets.SystemRandom()


@dataclass(frozen=True)
class Tries:
    """At most ``attempts`` attempts within ``budget_s`` seconds, waits included."""

    attempts: int = 6
    budget_s: float = 120.0
    backoff: Backoff = DEFAULT_BACKOFF


@dataclass(frozen=True)
class Attempt:
    """What one attempt came to."""

    delivered: bool
    retry: bool = False  # a failure another attempt may cure (5xx, 429, timeout, 451)
    error: str | None = None  # "HTTP 500 from https://…": what failed, without the secret
    detail: str | None = None  # the receiver's words (a body's start, an SMTP reply)
    wait_s: float | None = None  # the receiver asked for this wait (Retry-After)

    @staticmethod
    def ok() -> Attempt:
        return Attempt(delivered=True)


async def with_retries(
    attempt: Callable[[float], Awaitable[Attempt]],
    *,
    tries: Tries,
    timeout_s: float,
) -> DeliveryResult:
    """Call ``attempt(time_limit_s)`` until delivered, refused for good, or out of tries or time."""
    attempts, budget_s = tries.attempts, tries.budget_s
    started = time.monotonic()
    number = 0
    while True:
        number += 1
        remaining = budget_s - (time.monotonic() - started)
        outcome = await attempt(max(min(timeout_s, remaining), 0.1))
        if outcome.delivered:
            return DeliveryResult(delivered=True, attempts=number)
        if not outcome.retry:
            return DeliveryResult(False, number, _words(outcome, None))
        tried = f"after {number} attempt{'s' if number > 1 else ''}"
        if number >= attempts:
            return DeliveryResult(False, number, _words(outcome, tried))
        delay = (
            outcome.wait_s
            if outcome.wait_s is not None
            else _jitter.uniform(0.0, tries.backoff.delay(number))
        )
        left = budget_s - (time.monotonic() - started)
        if delay >= left:
            why = (
                f"it asked to wait {outcome.wait_s:g} s, more than the {max(left, 0):.1f} s "
                f"left of the {budget_s:g} s budget"
                if outcome.wait_s is not None
                else f"the {budget_s:g} s budget ran out"
            )
            return DeliveryResult(False, number, _words(outcome, f"{tried} ({why})"))
        await asyncio.sleep(delay)


def _words(outcome: Attempt, tries: str | None) -> str:
    text = outcome.error or "not delivered"
    if tries:
        text = f"{text} {tries}"
    if outcome.detail:
        text = f"{text}: {outcome.detail}"
    return text
