"""Carrying a session's frames to the client: an NDJSON response or a websocket.

Both run the session in a task and watch the client at the same time: the
moment it disconnects the session is cancelled and its slot, reader share
and queue are released, instead of lingering until the next write fails.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable

from fastapi import WebSocket
from fastapi.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocketDisconnect

from barito_common.errors import ApiError, error_body
from barito_server.tail_request import PreparedTail

__all__ = ["NdjsonTail", "refuse_websocket", "serve_websocket"]


async def _until_first(run: Awaitable[None], watch: Awaitable[None]) -> bool:
    """Run both; when one ends cancel the other. True if the session ended by itself."""
    running = asyncio.ensure_future(run)
    watching = asyncio.ensure_future(watch)
    try:
        await asyncio.wait({running, watching}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (running, watching):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
    return running.done() and not running.cancelled() and running.exception() is None


class NdjsonTail(Response):
    """An ASGI response streaming one tail as NDJSON (for ``curl -N`` and the CLI)."""

    def __init__(self, prepared: PreparedTail) -> None:
        super().__init__(status_code=200, media_type="application/x-ndjson")
        self._prepared = prepared

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async with self._prepared.resources:
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"application/x-ndjson"),
                        (b"cache-control", b"no-cache"),
                        # nginx would otherwise buffer the stream until it ends.
                        (b"x-accel-buffering", b"no"),
                    ],
                }
            )

            async def write(data: bytes) -> None:
                await send({"type": "http.response.body", "body": data, "more_body": True})

            async def disconnected() -> None:
                while (await receive())["type"] != "http.disconnect":
                    pass

            if await _until_first(self._prepared.session.run(write), disconnected()):
                await send({"type": "http.response.body", "body": b"", "more_body": False})


async def refuse_websocket(websocket: WebSocket, err: ApiError) -> None:
    """Answer a refused websocket with the same HTTP status and JSON error as the stream."""
    body = error_body(err.code, err.message, **(err.details or {}))
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(
            JSONResponse(body, status_code=err.status, headers=err.headers)
        )
        return
    # A server without the denial extension: accept, say why, close (policy violation).
    await websocket.accept()
    await websocket.send_json(body)
    await websocket.close(code=1008, reason=err.code)


async def serve_websocket(websocket: WebSocket, prepared: PreparedTail) -> None:
    async with prepared.resources:
        await websocket.accept()

        async def write(data: bytes) -> None:
            # One text message of one or more whole NDJSON lines.
            await websocket.send_text(data.decode())

        async def disconnected() -> None:
            with contextlib.suppress(WebSocketDisconnect):
                while True:
                    await websocket.receive_text()

        if await _until_first(prepared.session.run(write), disconnected()):
            with contextlib.suppress(Exception):
                await websocket.close(code=1000)
