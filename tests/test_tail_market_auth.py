"""Tails by a member's session or API token, checked with the market and cached briefly.

The market's app endpoint is being built alongside; until it exists,
``FakeMarket`` stands in for it: a real HTTP server answering
``GET /api/v1/apps/{app}`` exactly as the contract says (200 may read, 401
not authenticated, 404 not theirs), and counting the questions it gets.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.support.tail_stack import TailStack, free_port, ndjson_tail, serve, tail_stack

pytestmark = pytest.mark.stack


@dataclass
class FakeMarket:
    """Stand-in for the market's app endpoint (the real one is not built yet)."""

    readable: dict[str, set[str]] = field(default_factory=dict)  # credential -> app slugs
    questions: int = 0

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/api/v1/apps/{slug}")
        async def read_app(slug: str, request: Request) -> JSONResponse:
            self.questions += 1
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            credential = token if scheme == "Bearer" else request.cookies.get("session", "")
            if credential not in self.readable:
                return JSONResponse({"error": {"code": "unauthenticated"}}, status_code=401)
            if slug not in self.readable[credential]:
                return JSONResponse({"error": {"code": "not_found"}}, status_code=404)
            return JSONResponse({"slug": slug})

        return app


@pytest.fixture(scope="module")
async def market() -> AsyncIterator[tuple[FakeMarket, str]]:
    fake = FakeMarket()
    async with serve(fake.app()) as url:
        yield fake, url


@pytest.fixture(scope="module")
async def tail(stack: Any, market: tuple[FakeMarket, str]) -> AsyncIterator[TailStack]:
    async with tail_stack(stack, market_url=market[1], market_negative_cache_s=0) as running:
        yield running


async def status(tail: TailStack, slug: str, headers: dict[str, str]) -> tuple[int, Any]:
    async with httpx.AsyncClient(base_url=tail.server_url) as client:
        response = await client.get(f"/api/v1/tail/{slug}", headers=headers)
    return response.status_code, response.json()


async def test_a_group_members_token_or_session_tails_and_the_answer_is_cached(
    tail, market
) -> None:
    fake, _ = market
    app = await tail.register()
    slug = app.profile.slug
    fake.readable["member-token"] = {slug}
    fake.readable["member-session"] = {slug}
    token = {"Authorization": "Bearer member-token"}
    async with ndjson_tail(tail.url(slug), token) as stream:
        await stream.started()
        await tail.post(app, [{"seq": 1}])
        assert (await stream.events(1))[0]["event"]["seq"] == 1
    asked = fake.questions
    async with ndjson_tail(tail.url(slug), token) as stream:
        await stream.started()
    assert fake.questions == asked  # the market's yes was reused
    async with ndjson_tail(tail.url(slug), {"Cookie": "session=member-session"}) as stream:
        await stream.started()


async def test_an_outsiders_token_gets_404_and_an_invalid_one_401(tail, market) -> None:
    fake, _ = market
    app = await tail.register()
    fake.readable["outsider-token"] = {"some-other-app"}
    code, body = await status(tail, app.profile.slug, {"Authorization": "Bearer outsider-token"})
    assert (code, body["error"]["code"]) == (404, "not_found")
    code, body = await status(tail, app.profile.slug, {"Authorization": "Bearer forged"})
    assert (code, body["error"]["code"]) == (401, "unauthenticated")


async def test_the_app_secret_never_asks_the_market(tail, market) -> None:
    fake, _ = market
    app = await tail.register()
    asked = fake.questions
    # As a bearer value too: it is recognised as the app's secret first.
    async with ndjson_tail(tail.url(app.profile.slug), {"Authorization": f"Bearer {app.secret}"}):
        pass
    assert fake.questions == asked


async def test_an_unreachable_market_is_a_503_while_secrets_still_work(stack) -> None:
    closed_port = free_port()
    async with tail_stack(stack, market_url=f"http://127.0.0.1:{closed_port}") as cut_off:
        app = await cut_off.register()
        code, body = await status(cut_off, app.profile.slug, {"Authorization": "Bearer anything"})
        assert (code, body["error"]["code"]) == (503, "unavailable")
        async with ndjson_tail(cut_off.url(app.profile.slug), app.headers) as stream:
            await stream.started()
