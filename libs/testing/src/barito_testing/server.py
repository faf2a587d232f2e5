"""A real receiver and a real tail server on the real Kafka, and tail clients for them.

The receiver runs in-process (httpx over ASGI; it only answers POSTs). The
tail server runs under uvicorn on a free port, because a tail is a
websocket or an endless stream and the clients must talk real HTTP to it.
Both share a topic prefix of their own; ``TailStack.register`` plays the
market (see ``barito_testing.apps``) and waits until both registries hold the
app.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson
import websockets
from fastapi import FastAPI

from barito_common.app_registry import AppRegistry
from barito_common.settings import KafkaSettings
from barito_server.main import create_app as create_server
from barito_server.main import uvicorn_extras
from barito_server.settings import ServerSettings
from barito_testing.apps import App, Apps
from barito_testing.receiver import in_process_receiver
from barito_testing.serving import serve


@dataclass
class TailStack:
    receiver: httpx.AsyncClient
    server_url: str
    server_app: FastAPI
    apps: Apps
    server_registry: AppRegistry
    kafka: KafkaSettings

    async def register(self, **changes: Any) -> App:
        return await self.apps.register(**changes)

    async def wait_registered(self, slug: str, secret: str) -> App:
        """An app the market registered, once the receiver and the server both know it."""
        async with asyncio.timeout(15):
            while any(r.by_slug(slug) is None for r in self.apps.registries):
                await asyncio.sleep(0.05)
        profile = self.server_registry.by_slug(slug)
        assert profile is not None
        return App(profile, secret)

    async def post(self, app: App, events: list[dict[str, Any]]) -> None:
        response = await self.receiver.post(
            "/api/v1/logs",
            content=b"\n".join(orjson.dumps(e) for e in events),
            headers={**app.headers, "Content-Type": "application/x-ndjson"},
        )
        assert response.status_code == 200, response.text

    def url(self, app: str, *, ws: bool = False, **params: Any) -> str:
        query = urlencode(params, doseq=True)
        base = self.server_url.replace("http://", "ws://") if ws else self.server_url
        return f"{base}/api/v1/tail/{app}" + (f"?{query}" if query else "")

    async def metrics(self) -> str:
        async with httpx.AsyncClient(base_url=self.server_url) as client:
            return (await client.get("/metrics")).text


@asynccontextmanager
async def tail_stack(
    stack: Any, *, topic_prefix: str | None = None, **server_settings: Any
) -> AsyncIterator[TailStack]:
    """``topic_prefix`` shares the registry topic with a real market that registers apps."""
    kafka = KafkaSettings(
        bootstrap_servers=stack.kafka_bootstrap,
        topic_prefix=topic_prefix or f"tail{uuid.uuid4().hex[:8]}.",
    )
    # The tests' webhook receivers listen on loopback.
    settings = ServerSettings(kafka=kafka, **{"alert_private_targets": True, **server_settings})
    server_app = create_server(settings)
    async with (
        in_process_receiver(kafka, produce_timeout_s=10.0) as receiver,
        serve(server_app, **uvicorn_extras(settings)) as server_url,
    ):
        server_registry: AppRegistry = server_app.state.tail.registry
        await server_registry.wait_loaded(30)
        apps = Apps(kafka, receiver.registry, server_registry)
        await apps.producer.start()
        try:
            yield TailStack(receiver.client, server_url, server_app, apps, server_registry, kafka)
        finally:
            await apps.producer.stop()


@dataclass
class Frames:
    """The frames of one tail, read as the client wants them."""

    read_chunk: Callable[[], Awaitable[str]]
    extensions: str = ""
    """The websocket extensions the server agreed to (``Sec-WebSocket-Extensions``)."""
    seen: list[dict[str, Any]] = field(default_factory=list)
    _lines: list[str] = field(default_factory=list)

    async def next(self) -> dict[str, Any]:
        while not self._lines:
            self._lines.extend(line for line in (await self.read_chunk()).split("\n") if line)
        frame: dict[str, Any] = orjson.loads(self._lines.pop(0))
        self.seen.append(frame)
        return frame

    async def started(self) -> dict[str, Any]:
        frame = await self.next()
        assert "started" in frame, frame
        return frame

    async def events(self, count: int, *, wait_s: float = 60) -> list[dict[str, Any]]:
        """The next ``count`` event frames (other frames are kept in ``seen``)."""
        frames: list[dict[str, Any]] = []
        async with asyncio.timeout(wait_s):
            while len(frames) < count:
                frame = await self.next()
                if "event" in frame:
                    frames.append(frame)
        return frames

    async def quiet(self, wait_s: float = 1.5) -> list[dict[str, Any]]:
        """Event frames that arrive within ``wait_s``: proves nothing more was sent."""
        frames: list[dict[str, Any]] = []
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait_s):
                while True:
                    frame = await self.next()
                    if "event" in frame:
                        frames.append(frame)
        return frames


@asynccontextmanager
async def ndjson_tail(url: str, headers: dict[str, str]) -> AsyncIterator[Frames]:
    async with (
        httpx.AsyncClient(timeout=httpx.Timeout(10, read=120)) as client,
        client.stream("GET", url, headers=headers) as response,
    ):
        assert response.status_code == 200, (await response.aread()).decode()
        assert response.headers["content-type"] == "application/x-ndjson"
        chunks = response.aiter_text()

        async def read_chunk() -> str:
            return await anext(chunks)

        yield Frames(read_chunk)


@asynccontextmanager
async def websocket_tail(
    url: str, headers: dict[str, str], **options: Any
) -> AsyncIterator[Frames]:
    async with websockets.connect(url, additional_headers=headers, **options) as connection:

        async def read_chunk() -> str:
            message = await connection.recv()
            assert isinstance(message, str)
            return message

        assert connection.response is not None  # set once the handshake is done
        agreed = connection.response.headers.get("Sec-WebSocket-Extensions", "")
        yield Frames(read_chunk, extensions=agreed)
