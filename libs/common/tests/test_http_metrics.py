"""Every service counts and times the HTTP requests it answers on /metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import httpx
from fastapi import APIRouter, FastAPI
from fastapi.responses import StreamingResponse
from prometheus_client.parser import text_string_to_metric_families

from barito_common.service_app import Dependency, create_service_app
from barito_common.settings import ServiceSettings


@asynccontextmanager
async def _no_dependencies(_: FastAPI) -> AsyncIterator[Sequence[Dependency]]:
    yield []


apps = APIRouter()


@apps.get("/apps/{slug}")
async def app_by_slug(slug: str) -> dict[str, str]:
    return {"slug": slug}


def _app() -> FastAPI:
    app = create_service_app(
        service="metrics-test", settings=ServiceSettings(), lifespan=_no_dependencies
    )

    @app.get("/things/{name}")
    async def thing(name: str) -> dict[str, str]:
        return {"name": name}

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        async def frames() -> AsyncIterator[bytes]:
            for n in range(50):
                yield f"{n}\n".encode()

        return StreamingResponse(frames(), media_type="application/x-ndjson")

    api = APIRouter(prefix="/api/v1")
    api.include_router(apps)
    app.include_router(api)

    @app.get("/broken")
    async def broken() -> None:
        raise RuntimeError("a bug")

    return app


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def _samples(client: httpx.AsyncClient) -> Samples:
    text = (await client.get("/metrics")).text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _count(samples: Samples, method: str, route: str, status: str) -> float:
    key = ("barito_http_requests_total", (("method", method), ("route", route), ("status", status)))
    return samples.get(key, 0.0)


async def test_requests_are_counted_by_route_template_and_status() -> None:
    transport = httpx.ASGITransport(app=_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get("/things/a")).status_code == 200
        assert (await client.get("/things/b")).status_code == 200
        assert (await client.get("/nowhere")).status_code == 404
        assert (await client.get("/broken")).status_code == 500
        assert (await client.get("/api/v1/apps/checkout")).status_code == 200
        samples = await _samples(client)

    # Two paths, one route: raw paths would make a label per app or per id.
    assert _count(samples, "GET", "/things/{name}", "200") == 2
    assert _count(samples, "GET", "unmatched", "404") == 1
    assert _count(samples, "GET", "/broken", "500") == 1
    # A route of an included router is named with the prefixes it is served under.
    assert _count(samples, "GET", "/api/v1/apps/{slug}", "200") == 1
    timed = (
        "barito_http_request_duration_seconds_count",
        (("method", "GET"), ("route", "/things/{name}")),
    )
    assert samples[timed] == 2


async def test_a_stream_is_one_request_and_reaches_the_client_whole() -> None:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/stream")
        samples = await _samples(client)

    assert response.text.splitlines() == [str(n) for n in range(50)]
    assert _count(samples, "GET", "/stream", "200") == 1
