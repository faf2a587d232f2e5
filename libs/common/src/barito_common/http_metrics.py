"""Prometheus metrics of every HTTP request a service answers, as plain ASGI middleware.

Starlette's ``@app.middleware("http")`` would be shorter, but it runs each
response through a queue and an extra task: on a stream that writes thousands
of small frames (the tail server) that alone cost most of the latency budget.
This middleware only watches the ``http.response.start`` message go by.
"""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["HttpMetricsMiddleware"]


class HttpMetricsMiddleware:
    """Counts requests by method, route template and status; times them to the first byte.

    Streams are timed to their headers, not their end: a tail connection
    lasting an hour is not an hour-long request to an operator's dashboard.
    """

    def __init__(self, app: ASGIApp, *, registry: CollectorRegistry) -> None:
        self._app = app
        self._requests = Counter(
            "barito_http_requests_total",
            "HTTP requests answered, by route template and status.",
            ["method", "route", "status"],
            registry=registry,
        )
        self._latency = Histogram(
            "barito_http_request_duration_seconds",
            "Time to answer an HTTP request (to its headers), by route template.",
            ["method", "route"],
            registry=registry,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        answered = False

        async def observe(message: Message) -> None:
            nonlocal answered
            if message["type"] == "http.response.start" and not answered:
                answered = True
                self._record(scope, message["status"], started)
            await send(message)

        try:
            await self._app(scope, receive, observe)
        except BaseException:
            # The server's own error handler answers 500 outside this middleware.
            if not answered:
                self._record(scope, 500, started)
            raise

    def _record(self, scope: Scope, status: int, started: float) -> None:
        # The router writes the matched route into the scope; its template, not
        # the raw path, keeps label cardinality bounded.
        route = getattr(scope.get("route"), "path", "unmatched")
        method = scope["method"]
        self._requests.labels(method, route, str(status)).inc()
        self._latency.labels(method, route).observe(time.perf_counter() - started)
