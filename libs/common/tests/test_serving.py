"""A service under uvicorn sees a client's own address only through a proxy it trusts.

The market throttles failed logins by client address: behind an ingress that
address must come from X-Forwarded-For, and no client may pick its own by
sending that header directly.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request

from barito_common.serving import uvicorn_options
from barito_common.settings import ServiceSettings
from barito_testing.serving import serve


@asynccontextmanager
async def _served(**settings: str) -> AsyncIterator[str]:
    app = FastAPI()

    @app.get("/who")
    async def who(request: Request) -> dict[str, str | None]:
        return {"client": request.client.host if request.client else None}

    options = uvicorn_options(ServiceSettings(**settings))  # type: ignore[arg-type]
    async with serve(app, **options) as url:
        yield url


async def _client_seen(url: str, forwarded_for: str | None) -> str:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    async with httpx.AsyncClient() as http:
        return str((await http.get(f"{url}/who", headers=headers)).json()["client"])


async def test_a_trusted_proxy_names_the_client() -> None:
    # By default the proxy on the same host (a sidecar, a local nginx) is trusted.
    async with _served() as url:
        assert await _client_seen(url, "203.0.113.7") == "203.0.113.7"
        assert await _client_seen(url, None) == "127.0.0.1"


async def test_an_untrusted_sender_cannot_choose_its_address() -> None:
    async with _served(trusted_proxies="10.0.0.0/8") as url:
        assert await _client_seen(url, "203.0.113.7") == "127.0.0.1"
