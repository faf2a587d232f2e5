"""Serving an app under a real uvicorn inside the test's own event loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI

from barito_testing.ports import free_port

__all__ = ["serve"]


@asynccontextmanager
async def serve(app: FastAPI, *, lifespan: str = "on", **options: Any) -> AsyncIterator[str]:
    """Run ``app`` under uvicorn on a free port in this event loop; yield its base URL.

    ``lifespan="off"`` serves an app whose lifespan already runs elsewhere
    (e.g. the market of ``barito_testing.market``, reached in-process too).
    """
    defaults = {"host": "127.0.0.1", "log_config": None, "timeout_graceful_shutdown": 5}
    config = defaults | options | {"port": free_port(), "lifespan": lifespan}
    server = uvicorn.Server(uvicorn.Config(app, **config))
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(30):
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{config['port']}"
    finally:
        server.should_exit = True
        await task
