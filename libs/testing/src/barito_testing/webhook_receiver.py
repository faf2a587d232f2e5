"""A real HTTP server that receives alert notifications, for tests.

Listens on a free loopback port in the test's own event loop (uvicorn),
records every request, answers as scripted, and counts each notification
once however often it was retried — as a real receiver deduplicating on
``X-Barito-Notification-Id`` would::

    async with webhook_receiver(answers=[500, 500, 200]) as receiver:
        await deliver(channel_for(receiver.url), notification, ...)
        await receiver.wait_for(1)
        assert len(receiver.requests) == 3
        assert receiver.requests[-1].verified("signing secret")
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from barito_common.notifications.webhook import (
    ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    verify_signature,
)
from barito_testing.serving import serve

__all__ = ["Answer", "ReceivedRequest", "WebhookReceiver", "webhook_receiver"]


@dataclass(frozen=True)
class Answer:
    """One scripted answer: a status, and optionally a body, headers, a delay before it."""

    status: int = 200
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass(frozen=True)
class ReceivedRequest:
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    status: int  # what the receiver answered
    received_at: float = 0.0  # time.monotonic() on arrival

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def notification_id(self) -> str | None:
        return self.headers.get(ID_HEADER.lower())

    def verified(self, secret: str) -> bool:
        """Whether the signature holds for this body with ``secret``, within 5 minutes."""
        return verify_signature(
            secret,
            timestamp=self.headers.get(TIMESTAMP_HEADER.lower(), ""),
            body=self.body,
            signature=self.headers.get(SIGNATURE_HEADER.lower(), ""),
        )


class WebhookReceiver:
    def __init__(self, answers: Iterable[int | Answer] = ()) -> None:
        self.base_url = ""
        self.requests: list[ReceivedRequest] = []
        self._answers: deque[Answer] = deque()
        self._changed = asyncio.Condition()
        self.answer(*answers)

    @property
    def url(self) -> str:
        """Where to send notifications (any path of the server is received alike)."""
        return f"{self.base_url}/hooks/barito"

    def answer(self, *answers: int | Answer) -> None:
        """Answer the next requests so, in order; then 200 again."""
        self._answers.extend(a if isinstance(a, Answer) else Answer(a) for a in answers)

    @property
    def notifications(self) -> list[Any]:
        """The distinct notifications accepted (answered 2xx), in order, as parsed JSON.

        Deduplicated by ``X-Barito-Notification-Id``; a request without one
        (Slack, PagerDuty bodies) counts on its own.
        """
        seen: set[str] = set()
        distinct = []
        for request in self.requests:
            if not 200 <= request.status < 300:
                continue
            key = request.notification_id
            if key is not None:
                if key in seen:
                    continue
                seen.add(key)
            distinct.append(request.json)
        return distinct

    async def wait_for(self, count: int, timeout_s: float = 10.0) -> list[Any]:
        """Wait until ``count`` distinct notifications were accepted; return them."""
        return await self._wait(lambda: len(self.notifications) >= count, timeout_s, count)

    async def wait_for_requests(self, count: int, timeout_s: float = 10.0) -> list[ReceivedRequest]:
        """Wait until ``count`` requests (retries included) arrived; return them."""
        await self._wait(lambda: len(self.requests) >= count, timeout_s, count)
        return list(self.requests)

    async def _wait(self, done: Any, timeout_s: float, count: int) -> list[Any]:
        try:
            async with asyncio.timeout(timeout_s):
                async with self._changed:
                    await self._changed.wait_for(done)
        except TimeoutError:
            raise AssertionError(
                f"the webhook receiver got {len(self.requests)} requests "
                f"({len(self.notifications)} distinct notifications) within {timeout_s} s, "
                f"waiting for {count}"
            ) from None
        return self.notifications

    async def _receive(self, request: Request) -> Response:
        arrived = time.monotonic()
        body = await request.body()
        answer = self._answers.popleft() if self._answers else Answer()
        if answer.delay_s:
            await asyncio.sleep(answer.delay_s)
        self.requests.append(
            ReceivedRequest(
                path=request.url.path,
                headers={k.lower(): v for k, v in request.headers.items()},
                body=body,
                status=answer.status,
                received_at=arrived,
            )
        )
        async with self._changed:
            self._changed.notify_all()
        return Response(answer.body, status_code=answer.status, headers=answer.headers)


@asynccontextmanager
async def webhook_receiver(answers: Iterable[int | Answer] = ()) -> AsyncIterator[WebhookReceiver]:
    """A :class:`WebhookReceiver` listening on a free loopback port while the block runs."""
    receiver = WebhookReceiver(answers)
    app = FastAPI(routes=[Route("/{path:path}", receiver._receive, methods=["POST", "PUT"])])
    async with serve(app, lifespan="off") as base_url:
        receiver.base_url = base_url
        yield receiver
