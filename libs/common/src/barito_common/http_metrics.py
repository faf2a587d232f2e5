"""Prometheus metrics of every HTTP request a service answers, as plain ASGI middleware.

Starlette's ``@app.middleware("http")`` would be shorter, but it runs each
response through a queue and an extra task: on a stream that writes thousands
of small frames (the tail server) that alone cost most of the latency budget.
This middleware only watches the ``http.response.start`` message go by.
"""

from __future__ import annotations

import re
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
        except Exception:
            # The server's own error handler answers 500 outside this middleware. A
            # cancelled request (the server shutting down) was never answered: not counted.
            if not answered:
                self._record(scope, 500, started)
            raise

    def _record(self, scope: Scope, status: int, started: float) -> None:
        route = _route_template(scope)
        method = scope["method"]
        self._requests.labels(method, route, str(status)).inc()
        self._latency.labels(method, route).observe(time.perf_counter() - started)


def _route_template(scope: Scope) -> str:
    """The template of the route that answered (``/api/v1/apps/{slug}``), not the raw path.

    Templates keep label cardinality bounded. FastAPI leaves in the scope the
    route as its router declared it, without the prefixes of the routers it
    was included in; those are the literal start of the path, before the part
    the route's own pattern matches.
    """
    route = scope.get("route")
    template = getattr(route, "path", None)
    pattern = getattr(route, "path_regex", None)
    if not isinstance(template, str) or not isinstance(pattern, re.Pattern):
        return "unmatched"
    path: str = scope["path"]
    if pattern.match(path):
        return template
    for cut in range(1, len(path)):
        if path[cut] == "/" and pattern.match(path[cut:]):
            return path[:cut] + template
    return template
