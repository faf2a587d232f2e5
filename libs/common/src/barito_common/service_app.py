"""The FastAPI app every Barito service is built on.

It gives each service the same operational surface:

* ``/healthz`` — the process is alive (no dependency is consulted);
* ``/readyz`` — every real dependency the service's lifespan declared answers
  now; a 503 names the ones that do not, so an operator knows where to look;
* ``/metrics`` — Prometheus text from the app's own registry (one registry per
  app, so several services can share a process in tests);
* with several worker processes (``BARITO_WORKERS``) both answer for the whole
  pool, whichever worker a request reaches (:mod:`barito_common.worker_readiness`,
  :mod:`barito_common.worker_metrics`);
* JSON error bodies and JSON logs.

Example::

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[list[Dependency]]:
        admin = create_admin(settings.kafka)
        await admin.start()
        yield [Dependency("kafka", lambda: check_kafka(admin, timeout_s=3))]
        await admin.close()

    app = create_service_app(service="receiver", settings=settings, lifespan=lifespan)
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Info, generate_latest
from pydantic import BaseModel

from barito_common.errors import install_error_handlers
from barito_common.http_metrics import HttpMetricsMiddleware
from barito_common.settings import ServiceSettings
from barito_common.worker_metrics import pool_metrics
from barito_common.worker_readiness import answer_readiness, ask_pool, merge_checks
from barito_common.workers import current_pool

__all__ = ["Dependency", "Health", "Readiness", "ServiceLifespan", "create_service_app"]


@dataclass(frozen=True)
class Dependency:
    """A real dependency and how to prove it answers; ``check`` raises if it does not."""

    name: str
    check: Callable[[], Awaitable[None]]


ServiceLifespan = Callable[[FastAPI], AbstractAsyncContextManager[Sequence[Dependency]]]


class Health(BaseModel):
    status: str
    service: str


class Readiness(BaseModel):
    status: str
    service: str
    checks: dict[str, str]


async def _probe(dependency: Dependency, timeout_s: float) -> str:
    try:
        async with asyncio.timeout(timeout_s):
            await dependency.check()
    except TimeoutError:
        return f"no answer within {timeout_s:g}s"
    except Exception as err:
        return str(err) or type(err).__name__
    return "ok"


async def _probe_all(dependencies: Sequence[Dependency], timeout_s: float) -> dict[str, str]:
    results = await asyncio.gather(*(_probe(dep, timeout_s) for dep in dependencies))
    return {dep.name: result for dep, result in zip(dependencies, results, strict=True)}


def _install_metrics(app: FastAPI, service: str) -> CollectorRegistry:
    registry = CollectorRegistry()
    Info("barito_service", "Which Barito service this process runs.", registry=registry).info(
        {"service": service}
    )
    app.add_middleware(HttpMetricsMiddleware, registry=registry)
    return registry


def create_service_app(
    *,
    service: str,
    settings: ServiceSettings,
    lifespan: ServiceLifespan,
    title: str | None = None,
) -> FastAPI:
    pool = current_pool()
    timeout_s = settings.readiness_timeout_s

    async def own_checks() -> dict[str, str]:
        return await _probe_all(app.state.dependencies, timeout_s)

    @asynccontextmanager
    async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with lifespan(app) as dependencies:
            app.state.dependencies = list(dependencies)
            if pool is None:
                yield
                return
            async with answer_readiness(pool, own_checks):
                yield

    app = FastAPI(title=title or f"Barito {service}", lifespan=_lifespan)
    app.state.settings = settings
    app.state.dependencies = []
    app.state.metrics = _install_metrics(app, service)
    install_error_handlers(app)

    @app.get("/healthz", response_model=Health, tags=["operations"])
    async def healthz() -> Health:
        """The process is alive."""
        return Health(status="ok", service=service)

    @app.get(
        "/readyz",
        response_model=Readiness,
        tags=["operations"],
        responses={503: {"description": "A dependency does not answer; the error names it."}},
    )
    async def readyz() -> Any:
        """Every real dependency of this service answers now (in every worker process)."""
        checks = await own_checks()
        if pool is not None:
            # A worker answers its checks within timeout_s; the margin is the socket's.
            answers = await ask_pool(pool, checks, timeout_s + 1)
            checks = merge_checks(pool.workers, answers)
        failing = [name for name, result in checks.items() if result != "ok"]
        if failing:
            message = "; ".join(f"{name}: {checks[name]}" for name in failing)
            return JSONResponse(
                {
                    "error": {
                        "code": "not_ready",
                        "message": f"not ready: {message}",
                        "failing": failing,
                    },
                    "service": service,
                    "checks": checks,
                },
                status_code=503,
            )
        return Readiness(status="ready", service=service, checks=checks)

    @app.get("/metrics", tags=["operations"], response_class=Response)
    async def metrics(request: Request) -> Response:
        """Prometheus metrics of this service (of every worker process, summed)."""
        registry: CollectorRegistry = request.app.state.metrics
        if pool is None:
            return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
        text = await asyncio.to_thread(pool_metrics, pool.metrics_dir, registry)
        return Response(text, media_type=CONTENT_TYPE_LATEST)

    return app
