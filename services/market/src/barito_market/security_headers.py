"""The headers that fence the web UI in the browser, on every answer of the market.

* ``Content-Security-Policy``: for an HTML page (the SPA), scripts, styles,
  fetches and frames from the market's own origin only, plus the one
  websocket origin the live tail page opens (the tail server's, from
  ``tail_url_template``); no inline script, no eval, no framing. Every other
  answer (JSON, the built assets, metrics) gets ``default-src 'none'``, so a
  response that some browser mistakes for a page can still run nothing.
  FastAPI's API documentation pages (``/docs``, ``/redoc``) load Swagger UI
  and ReDoc from their CDN with an inline start-up script, so they get a
  policy of their own, scoped to those paths (:data:`DOCS_POLICY`).
* ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY`` (for browsers
  older than ``frame-ancestors``) and ``Referrer-Policy: no-referrer``: no
  page of the market has a reason to tell another site where it came from
  (an app's slug in ``/apps/<slug>/logs`` would leak to Kibana or anyone
  linked), and nothing here checks ``Referer``.
* ``Strict-Transport-Security`` (one year), on answers that went out over
  HTTPS — the market serving TLS itself, or a trusted proxy saying
  ``X-Forwarded-Proto: https`` (uvicorn sets the scheme from it). A browser
  that once reached the market securely then refuses to be talked down to
  plain HTTP, where its session cookie could be read. Without
  ``includeSubDomains``: the market's parent domain may hold other sites.

Example::

    app.add_middleware(SecurityHeadersMiddleware, policies=content_security_policies(settings))
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from barito_market.settings import MarketSettings

__all__ = [
    "API_POLICY",
    "DOCS_PATHS",
    "DOCS_POLICY",
    "HSTS",
    "ContentSecurityPolicies",
    "SecurityHeadersMiddleware",
    "content_security_policies",
    "spa_policy",
    "tail_socket_source",
]

# Nothing in an API answer is meant to run, load or be framed.
API_POLICY = "default-src 'none'; frame-ancestors 'none'"

DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})

# FastAPI's own documentation pages: Swagger UI and ReDoc from jsDelivr, an
# inline script that starts Swagger UI, ReDoc's styled-components <style>
# tags and its search worker from a blob. 'unsafe-inline' is tolerable here
# and only here: these pages are FastAPI's fixed templates and render no
# user's data; the SPA never gets it.
DOCS_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self' https://cdn.jsdelivr.net 'unsafe-inline'",
        "style-src 'self' https://cdn.jsdelivr.net https://fonts.googleapis.com 'unsafe-inline'",
        "font-src https://fonts.gstatic.com",
        "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly",
        "connect-src 'self'",
        "worker-src blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

HSTS = "max-age=31536000"

_SOCKET_SCHEMES = {"http": "ws", "https": "wss"}
_DEFAULT_PORTS = {"ws": 80, "wss": 443}
_MARK = "barito-placeholder"


def tail_socket_source(tail_url_template: str) -> str | None:
    """The CSP source of the websocket the SPA opens for ``tail_url_template``, or None.

    The SPA turns the tail endpoint into a websocket URL (http→ws, https→wss),
    so the source has that scheme and the endpoint's host and port. A
    relative template stays on the market's origin, which ``'self'`` already
    allows. A host made per app or group (``https://{group}.tail.example.com``)
    becomes a wildcard over the fixed labels after the last placeholder
    (``wss://*.tail.example.com``), the narrowest CSP can say.

    >>> tail_socket_source("http://127.0.0.1:18084/api/v1/tail/{app}")
    'ws://127.0.0.1:18084'
    """
    url = urlsplit(tail_url_template.format_map({"app": _MARK, "group": _MARK}))
    if not url.scheme and not url.netloc:
        return None
    scheme = _SOCKET_SCHEMES.get(url.scheme.lower())
    if scheme is None or not url.hostname:
        raise ValueError(f"the tail URL template is not an http(s) URL: {tail_url_template!r}")
    labels = url.hostname.split(".")
    marked = [index for index, label in enumerate(labels) if _MARK in label]
    host = url.hostname if not marked else ".".join(["*", *labels[marked[-1] + 1 :]]).rstrip(".")
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    port = url.port
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    return f"{scheme}://{netloc}"


def spa_policy(tail_source: str | None) -> str:
    """The SPA's policy: its own origin only, plus the tail server's websocket."""
    connect = " ".join(filter(None, ("'self'", tail_source)))
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            # The built SPA has no <style> tag and no style attribute (React sets
            # styles through the CSSOM, which CSP does not govern).
            "style-src 'self'",
            # index.html's icon is a data: SVG.
            "img-src 'self' data:",
            f"connect-src {connect}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


@dataclass(frozen=True)
class ContentSecurityPolicies:
    """Which policy an answer gets: pages, the API documentation, everything else."""

    page: str
    docs: str = DOCS_POLICY
    other: str = API_POLICY

    def for_answer(self, path: str, content_type: str) -> str:
        if path in DOCS_PATHS:
            return self.docs
        if content_type.split(";", 1)[0].strip().lower() == "text/html":
            return self.page
        return self.other


def content_security_policies(settings: MarketSettings) -> ContentSecurityPolicies:
    return ContentSecurityPolicies(page=spa_policy(tail_socket_source(settings.tail_url_template)))


class SecurityHeadersMiddleware:
    """Adds the security headers to every HTTP answer; a header a route set itself is kept."""

    def __init__(self, app: ASGIApp, *, policies: ContentSecurityPolicies) -> None:
        self.app = app
        self.policies = policies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        secure = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                policy = self.policies.for_answer(path, headers.get("content-type", ""))
                headers.setdefault("Content-Security-Policy", policy)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "no-referrer")
                if secure:
                    headers.setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        await self.app(scope, receive, send_with_headers)
