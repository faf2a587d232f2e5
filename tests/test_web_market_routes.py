"""What the market adds for its web UI: the SPA under / and the two pre-login answers.

The SPA catch-all must serve client routes and built files, never shadow the
API or the operational endpoints, never serve a file outside dist, and say
"run make web" when the UI was not built. /installation tells the login page
whether to offer sign-up; /capacity-templates gives every user the cards of
the registration form.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from barito_common.errors import install_error_handlers
from barito_market.main import create_app
from barito_market.settings import MarketSettings
from barito_market.spa import install_spa
from barito_testing.market import market_on_postgres


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    built = tmp_path / "dist"
    (built / "assets").mkdir(parents=True)
    (built / "index.html").write_text("<html>the app</html>")
    (built / "assets" / "index-abc123.js").write_text("console.log(1)")
    (built / "favicon.svg").write_text("<svg/>")
    (tmp_path / "secret.txt").write_text("outside dist")
    return built


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://market")


def _spa_app(dist_dir: Path) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/api/v1/ping")
    async def ping() -> dict[str, str]:
        return {"pong": "yes"}

    install_spa(app, dist_dir)
    return app


async def test_client_routes_get_the_app_and_built_files_are_served_with_cache_headers(
    dist: Path,
) -> None:
    async with _client(_spa_app(dist)) as client:
        for path in ("/", "/groups", "/apps/checkout/logs?range=1h"):
            page = await client.get(path)
            assert page.status_code == 200
            assert page.text == "<html>the app</html>"
            assert page.headers["cache-control"] == "no-cache"
        asset = await client.get("/assets/index-abc123.js")
        assert asset.text == "console.log(1)"
        assert "immutable" in asset.headers["cache-control"]
        assert (await client.get("/favicon.svg")).text == "<svg/>"


async def test_api_paths_are_never_answered_with_the_page(dist: Path) -> None:
    async with _client(_spa_app(dist)) as client:
        assert (await client.get("/api/v1/ping")).json() == {"pong": "yes"}
        missing = await client.get("/api/v1/no-such-thing")
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "not_found"
        assert (await client.get("/metrics/x")).status_code == 404


async def test_files_outside_dist_are_not_reachable(dist: Path) -> None:
    async with _client(_spa_app(dist)) as client:
        for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt"):
            answer = await client.get(path)
            assert "outside dist" not in answer.text


async def test_a_market_without_a_built_ui_says_to_run_make_web(tmp_path: Path) -> None:
    async with _client(_spa_app(tmp_path / "missing")) as client:
        answer = await client.get("/apps/x")
        assert answer.status_code == 503
        assert "make web" in answer.text


async def test_the_real_market_keeps_its_operational_endpoints_and_api_docs() -> None:
    # No lifespan: these answers need neither Kafka nor the database.
    app = create_app(MarketSettings.model_construct())
    async with _client(app) as client:
        assert (await client.get("/healthz")).json()["status"] == "ok"
        assert "/api/v1/apps" in (await client.get("/openapi.json")).json()["paths"]
        assert (await client.get("/docs")).headers["content-type"].startswith("text/html")
        assert (await client.get("/api/v1/unknown")).status_code == 404


@pytest.fixture(scope="module")
async def market(stack: Any) -> AsyncIterator[Any]:
    async with market_on_postgres(stack) as running:
        yield running


@pytest.mark.stack
async def test_installation_says_whether_sign_up_is_open_before_login(market: Any) -> None:
    answer = await market.client.get("/api/v1/installation")
    assert answer.status_code == 200
    assert answer.json() == {"signup_enabled": True}
    market.app.state.settings = market.settings.model_copy(update={"signup_enabled": False})
    try:
        assert (await market.client.get("/api/v1/installation")).json() == {"signup_enabled": False}
    finally:
        market.app.state.settings = market.settings


@pytest.mark.stack
async def test_every_logged_in_user_sees_the_capacity_templates(market: Any) -> None:
    assert (await market.client.get("/api/v1/capacity-templates")).status_code == 401
    user = await market.create_user()
    answer = await market.client.get("/api/v1/capacity-templates", headers=user.headers)
    assert answer.status_code == 200
    templates = answer.json()["data"]
    assert [t["name"] for t in templates] == ["small", "medium", "large"]
    assert templates[0]["events_per_second"] < templates[1]["events_per_second"]
