"""A real HTTP reverse proxy in front of a real search engine, for faults the engine won't make.

What production puts between the flow and the engine, and tests cannot get
from the shared engine itself:

* **A body-size limit.** A request body over ``max_body_bytes`` is answered
  ``413`` with an Elasticsearch-style JSON error and never reaches the engine,
  as nginx's ``client_max_body_size`` or a managed service's 10 MB limit
  refuse a bulk. The engines' own default limit (100 MB) is far beyond what a
  test can send.
* **An outage.** :meth:`SearchEngineProxy.refuse_connections` stops listening,
  so every request fails to connect as it does when the engine is down;
  :meth:`SearchEngineProxy.accept_connections` listens again on the same port.
  The shared engine keeps running for the other tests.

Usage::

    async with search_engine_proxy(stack.elasticsearch_url, max_body_bytes=64 * 1024) as proxy:
        settings = SearchSettings(url=proxy.url, ...)
        ...
        assert proxy.too_large == 0
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson
import uvicorn

from barito_testing.ports import free_port

__all__ = ["SearchEngineProxy", "search_engine_proxy"]

# Per-connection headers, and the ones recomputed for the body sent on.
_HOP_BY_HOP = {"host", "connection", "keep-alive", "transfer-encoding", "content-length"}
# httpx hands the engine's answer over decompressed, so its encoding no longer applies.
_NOT_FORWARDED_BACK = _HOP_BY_HOP | {"content-encoding"}


class SearchEngineProxy:
    """An ASGI reverse proxy served by uvicorn on a port of its own."""

    def __init__(self, upstream: str, *, max_body_bytes: int | None) -> None:
        self.max_body_bytes = max_body_bytes
        self.port = free_port()
        self.too_large = 0
        """Requests answered 413 because their body was over ``max_body_bytes``."""
        self.forwarded = 0
        """Requests passed on to the engine."""
        self._upstream = httpx.AsyncClient(base_url=upstream, timeout=60)
        self._server: uvicorn.Server | None = None
        self._serving: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def accept_connections(self) -> None:
        """Listen (again) on :attr:`port`."""
        config = uvicorn.Config(
            self, host="127.0.0.1", port=self.port, lifespan="off", log_config=None, ws="none"
        )
        self._server = uvicorn.Server(config)
        self._serving = asyncio.create_task(self._server.serve())
        async with asyncio.timeout(30):
            while not self._server.started:
                if self._serving.done():
                    self._serving.result()
                await asyncio.sleep(0.05)

    async def refuse_connections(self) -> None:
        """Stop listening and close every connection: the engine is down, as clients see it."""
        if self._server is None or self._serving is None:
            return
        self._server.should_exit = True
        await self._serving
        self._server = self._serving = None

    async def close(self) -> None:
        await self.refuse_connections()
        await self._upstream.aclose()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if self.max_body_bytes is not None and len(body) > self.max_body_bytes:
            self.too_large += 1
            await _answer(send, 413, _too_large(len(body), self.max_body_bytes), [])
            return
        self.forwarded += 1
        path = scope["raw_path"].decode() + (
            f"?{scope['query_string'].decode()}" if scope["query_string"] else ""
        )
        headers = [(k, v) for k, v in scope["headers"] if k.decode().lower() not in _HOP_BY_HOP]
        response = await self._upstream.request(
            scope["method"], path, headers=headers, content=bytes(body)
        )
        back = [
            (k.encode(), v.encode())
            for k, v in response.headers.multi_items()
            if k.lower() not in _NOT_FORWARDED_BACK
        ]
        await _answer(send, response.status_code, response.content, back)


def _too_large(size: int, limit: int) -> bytes:
    reason = f"request body of {size} bytes is over the proxy's limit of {limit} bytes"
    error = {"type": "request_entity_too_large", "reason": reason}
    return orjson.dumps({"error": {"root_cause": [error], **error}, "status": 413})


async def _answer(send: Any, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    if not any(k.lower() == b"content-type" for k, _ in headers):
        headers = [*headers, (b"content-type", b"application/json")]
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@asynccontextmanager
async def search_engine_proxy(
    upstream: str, *, max_body_bytes: int | None = None
) -> AsyncIterator[SearchEngineProxy]:
    """A proxy to ``upstream``, listening until the block ends."""
    proxy = SearchEngineProxy(upstream, max_body_bytes=max_body_bytes)
    await proxy.accept_connections()
    try:
        yield proxy
    finally:
        await proxy.close()
