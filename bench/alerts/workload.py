"""What the alert benchmark sends: background events, the rules, and the events that trigger them.

Every rule matches a token of its own (``trig003x007z``: app 3, rule 7), so
a notification names the trigger that caused it and no trigger makes
another rule fire. Rules by position within an app, out of every ten:

* 0-3 ``any`` with a substring match (``q`` = the token); the trigger is
  one warn event whose message holds it;
* 4-6 ``threshold``, level=error and the token, 3 within the window; the
  trigger is three error events in one request (the third fires it);
* 7-9 ``any`` with a field-equals match (``alert.key=<token>``); the
  trigger is one event carrying that field.

Each trigger event carries ``trig`` (its number), which the notification's
samples bring back to the bench. Background events (~250 bytes, 90 % info,
8 % warn, 2 % error) match no rule but are tested against all of them.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
import uuid
from collections import deque
from dataclasses import dataclass, field

import httpx
import orjson

from barito_common.alerts import (
    AlertChannelSpec,
    AlertCondition,
    AlertConditionKind,
    AlertMatch,
    AlertRuleSpec,
    AlertSeverity,
)
from barito_testing.apps import App

WINDOW_S = 10  # the shortest window a rule may have
THRESHOLD_COUNT = 3


def token(app: int, rule: int) -> str:
    return f"trig{app:03d}x{rule:03d}z"


@dataclass(frozen=True)
class BenchRule:
    app: int
    index: int
    spec: AlertRuleSpec

    @property
    def style(self) -> str:
        return ("any-q", "threshold", "field")[_style(self.index)]


def _style(index: int) -> int:
    position = index % 10
    return 0 if position < 4 else 1 if position < 7 else 2


def make_rules(app: int, count: int, channel: AlertChannelSpec) -> list[BenchRule]:
    rules = []
    for index in range(count):
        key = token(app, index)
        style = _style(index)
        if style == 0:
            kind, match = AlertConditionKind.ANY, AlertMatch(q=key)
        elif style == 1:
            kind, match = AlertConditionKind.THRESHOLD, AlertMatch(level="error", q=key)
        else:
            kind, match = AlertConditionKind.ANY, AlertMatch(fields=[f"alert.key={key}"])
        spec = AlertRuleSpec(
            id=uuid.uuid4(),
            name=f"bench {key}",
            match=match,
            condition=AlertCondition(
                kind=kind,
                count=THRESHOLD_COUNT if kind is AlertConditionKind.THRESHOLD else 1,
                window_s=WINDOW_S,
            ),
            severity=AlertSeverity.WARNING,
            channel_ids=[channel.id],
        )
        rules.append(BenchRule(app, index, spec))
    return rules


def trigger_lines(rule: BenchRule, trig: int) -> list[bytes]:
    key = token(rule.app, rule.index)
    base = {"service": "checkout", "host": "web-01", "trig": trig}
    style = _style(rule.index)
    if style == 0:
        events = [base | {"level": "warn", "message": f"payment declined {key}"}]
    elif style == 1:
        events = [base | {"level": "error", "message": f"checkout failed {key}"}] * THRESHOLD_COUNT
    else:
        events = [base | {"level": "info", "message": "flag flipped", "alert": {"key": key}}]
    return [orjson.dumps(event) for event in events]


def background_lines(count: int, seed: int) -> list[bytes]:
    """Events of about 250 bytes as a web service logs them; none holds a token."""
    rng = random.Random(seed)
    lines = []
    for _ in range(count):
        level = rng.choices(["info", "warn", "error"], weights=[90, 8, 2])[0]
        order = rng.randrange(100_000)
        event = {
            "level": level,
            "service": "checkout",
            "host": f"web-{rng.randrange(12):02d}",
            "message": f"GET /api/v1/orders/{order} {500 if level == 'error' else 200}",
            "trace_id": f"{rng.getrandbits(128):032x}",
            "user_id": rng.randrange(1_000_000),
            "region": "ap-southeast-1",
            "duration_ms": rng.randrange(1, 900),
            "http": {"method": "GET", "status": 200, "agent": "curl/8.5.0"},
        }
        lines.append(orjson.dumps(event))
    return lines


@dataclass
class Sender:
    """Posts NDJSON bodies of ``batch`` events at ``rate`` events/s, round-robin over the apps.

    Triggers queued for an app ride in that app's next body (replacing as
    many background events, so the rate stays the same); the time its 2xx
    arrived is noted per trigger number.
    """

    url: str
    apps: list[App]
    rate: int
    batch: int
    connections: int
    accepted: int = 0  # events in requests answered 2xx
    refused: int = 0  # requests answered otherwise, or failed
    acked: dict[int, float] = field(default_factory=dict)  # trig -> monotonic time of the 2xx
    _pending: list[deque[tuple[int, list[bytes]]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._pending = [deque() for _ in self.apps]
        self._background = [background_lines(1000, seed) for seed in range(len(self.apps))]

    def trigger(self, app: int, trig: int, lines: list[bytes]) -> None:
        self._pending[app].append((trig, lines))

    def _body(self, app: int, n: int) -> tuple[bytes, list[int]]:
        pool = self._background[app]
        start = (n * self.batch) % (len(pool) - self.batch)
        lines = pool[start : start + self.batch]
        trigs: list[int] = []
        carried: list[bytes] = []
        pending = self._pending[app]
        while pending and len(carried) + len(pending[0][1]) <= self.batch:
            trig, extra = pending.popleft()
            trigs.append(trig)
            carried += extra
        return b"\n".join(carried + lines[len(carried) :]), trigs

    async def run(self, stop: asyncio.Event) -> None:
        limits = httpx.Limits(max_connections=self.connections)
        headers = [
            {"X-App-Secret": app.secret, "Content-Type": "application/x-ndjson"}
            for app in self.apps
        ]
        # Bounded, so a slow receiver slows the sender instead of piling up requests.
        in_flight = asyncio.Semaphore(self.connections * 4)
        tasks: set[asyncio.Task[None]] = set()

        async def post(client: httpx.AsyncClient, app: int, body: bytes, trigs: list[int]) -> None:
            try:
                response = await client.post(
                    f"{self.url}/api/v1/logs", content=body, headers=headers[app]
                )
                ok = response.is_success
            except httpx.HTTPError:
                ok = False
            finally:
                in_flight.release()
            now = time.monotonic()
            if ok:
                self.accepted += self.batch
                for trig in trigs:
                    self.acked[trig] = now
            else:
                self.refused += 1

        interval = self.batch / self.rate
        async with httpx.AsyncClient(timeout=30, limits=limits) as client:
            start = time.monotonic()
            for n in itertools.count():
                if stop.is_set():
                    break
                await asyncio.sleep(max(0.0, start + n * interval - time.monotonic()))
                await in_flight.acquire()
                app = n % len(self.apps)
                body, trigs = self._body(app, n // len(self.apps))
                task = asyncio.create_task(post(client, app, body, trigs))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            await asyncio.gather(*tasks)


@dataclass(frozen=True)
class Trigger:
    trig: int
    rule: BenchRule
    events: int  # events it took (a threshold's trigger is several)


async def drive_triggers(
    sender: Sender, rules: list[BenchRule], *, period_s: float, seconds: float
) -> list[Trigger]:
    """Trigger every rule once per ``period_s``, spread evenly, for ``seconds``.

    The period outlasts the window plus the 1 s tick, so each rule has
    resolved before its next trigger and fires afresh: every trigger is
    one firing to time.
    """
    # Interleaved across apps, so each app's triggers are spread over the period too.
    order = sorted(rules, key=lambda r: (r.index, r.app))
    step = period_s / len(order)
    sent: list[Trigger] = []
    start = time.monotonic()
    for n in itertools.count():
        at = start + n * step
        if at - start >= seconds:
            break
        await asyncio.sleep(max(0.0, at - time.monotonic()))
        rule = order[n % len(order)]
        lines = trigger_lines(rule, n + 1)
        sender.trigger(rule.app, n + 1, lines)
        sent.append(Trigger(n + 1, rule, len(lines)))
    # The phase lasts ``seconds`` however far apart the triggers are.
    await asyncio.sleep(max(0.0, start + seconds - time.monotonic()))
    return sent
