"""The market's security headers: a strict policy for its pages, none at all for the rest.

The policies are built from the settings (the tail server's websocket origin
comes from ``tail_url_template``); the real market app adds them to every
answer, errors included. Whether the SPA really works under its policy is
the browser's to say: tests/test_web_security_headers.py.
"""

from __future__ import annotations

import httpx
import pytest

from barito_market.main import create_app
from barito_market.security_headers import (
    API_POLICY,
    DOCS_POLICY,
    HSTS,
    spa_policy,
    tail_socket_source,
)
from barito_market.settings import MarketSettings


def directives(policy: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for directive in policy.split(";"):
        name, *sources = directive.split()
        assert name not in parsed, f"{name} twice in {policy}"
        parsed[name] = sources
    return parsed


@pytest.mark.parametrize(
    ("template", "source"),
    [
        ("http://127.0.0.1:18084/api/v1/tail/{app}", "ws://127.0.0.1:18084"),
        ("https://tail.example.com/api/v1/tail/{app}", "wss://tail.example.com"),
        ("https://tail.example.com:443/api/v1/tail/{app}", "wss://tail.example.com"),
        ("https://tail.example.com:8443/tail/{group}/{app}", "wss://tail.example.com:8443"),
        ("https://{app}.{group}.tail.example.com/api/v1/tail", "wss://*.tail.example.com"),
        ("http://[::1]:18084/api/v1/tail/{app}", "ws://[::1]:18084"),
    ],
)
def test_the_tail_servers_websocket_origin_is_the_one_the_spa_opens(
    template: str, source: str
) -> None:
    assert tail_socket_source(template) == source


def test_a_relative_tail_endpoint_needs_no_source_beyond_self() -> None:
    assert tail_socket_source("/api/v1/tail/{app}") is None
    assert directives(spa_policy(None))["connect-src"] == ["'self'"]


def test_a_tail_template_that_is_not_http_is_refused() -> None:
    with pytest.raises(ValueError, match="not an http"):
        tail_socket_source("ftp://tail.example.com/{app}")
    with pytest.raises(ValueError, match="not an http"):
        tail_socket_source("wss://tail.example.com/{app}")


def test_the_spa_policy_allows_no_inline_code_no_eval_and_no_framing() -> None:
    policy = directives(spa_policy("ws://127.0.0.1:18084"))
    assert policy == {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'", "ws://127.0.0.1:18084"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }


def test_every_policy_forbids_framing() -> None:
    for policy in (API_POLICY, DOCS_POLICY, spa_policy(None)):
        assert directives(policy)["frame-ancestors"] == ["'none'"]


def _client(settings: MarketSettings, scheme: str = "http") -> httpx.AsyncClient:
    # No lifespan: these answers need neither Kafka nor the database.
    transport = httpx.ASGITransport(app=create_app(settings))
    return httpx.AsyncClient(transport=transport, base_url=f"{scheme}://market")


async def test_answers_over_https_tell_the_browser_to_stay_on_https() -> None:
    async with _client(MarketSettings.model_construct(), "https") as client:
        for path in ("/", "/healthz", "/api/v1/no-such-thing"):
            answer = await client.get(path)
            assert answer.headers["strict-transport-security"] == HSTS, path
    # Over plain HTTP the header means nothing and browsers ignore it; it is not sent.
    async with _client(MarketSettings.model_construct()) as client:
        assert "strict-transport-security" not in (await client.get("/")).headers


async def test_the_markets_pages_get_the_spa_policy_with_its_tail_server() -> None:
    settings = MarketSettings.model_construct(
        tail_url_template="http://127.0.0.1:19999/api/v1/tail/{app}"
    )
    async with _client(settings) as client:
        # The SPA's index.html for a client route, or the "run make web" page
        # when the UI is not built: an HTML page either way.
        for path in ("/", "/apps/checkout/tail"):
            page = await client.get(path)
            assert page.headers["content-type"].startswith("text/html")
            assert page.headers["content-security-policy"] == spa_policy("ws://127.0.0.1:19999")
            assert page.headers["x-content-type-options"] == "nosniff"
            assert page.headers["x-frame-options"] == "DENY"
            assert page.headers["referrer-policy"] == "no-referrer"


async def test_api_answers_and_errors_get_the_minimal_policy() -> None:
    async with _client(MarketSettings.model_construct()) as client:
        for path, status in (
            ("/healthz", 200),
            ("/openapi.json", 200),
            ("/api/v1/no-such-thing", 404),
            ("/metrics", 200),
        ):
            answer = await client.get(path)
            assert answer.status_code == status, path
            assert answer.headers["content-security-policy"] == API_POLICY, path
            assert answer.headers["x-content-type-options"] == "nosniff", path
            assert answer.headers["x-frame-options"] == "DENY", path
            assert answer.headers["referrer-policy"] == "no-referrer", path
        refused = await client.delete("/healthz")
        assert refused.status_code == 405
        assert refused.headers["content-security-policy"] == API_POLICY


async def test_the_api_documentation_pages_get_their_own_policy() -> None:
    async with _client(MarketSettings.model_construct()) as client:
        for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
            answer = await client.get(path)
            assert answer.status_code == 200, path
            assert answer.headers["content-security-policy"] == DOCS_POLICY, path
