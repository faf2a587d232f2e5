"""The configurations shown at registration follow docs/agents.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from barito_market.apps.agent_configs import fluent_bit_config, fluentd_config
from barito_market.apps.endpoints import app_endpoints
from barito_market.settings import MarketSettings

AGENTS_MD = Path(__file__).resolve().parents[3] / "docs" / "agents.md"


def _settings(pairs: str) -> list[tuple[str, str]]:
    return [
        (m.group(1), m.group(2).strip())
        for m in re.finditer(r"^\s*(\w+)\s+(.+?)\s*(?:#.*)?$", pairs, re.M)
    ]


def _documented(fence_start: str) -> str:
    text = AGENTS_MD.read_text()
    start = text.index(fence_start)
    return text[start : text.index("```", start)]


def test_fluentd_config_is_the_documented_one_with_the_app_filled_in() -> None:
    config = fluentd_config(
        ingest_url="https://logs.example.com/api/v1/logs", secret="S3CRET", app_slug="shop"
    )
    documented = _documented("<match app.**>")
    documented = documented.replace(
        "https://RECEIVER/api/v1/logs", "https://logs.example.com/api/v1/logs"
    )
    documented = documented.replace("YOUR_APP_SECRET", "S3CRET").replace(
        "/barito\n", "/barito-shop\n"
    )
    assert _settings(config.replace("<match shop.**>", "")) == _settings(
        documented.replace("<match app.**>", "")
    )


def test_fluent_bit_config_splits_the_url_as_the_http_output_wants_it() -> None:
    config = fluent_bit_config(ingest_url="https://logs.example.com/api/v1/logs", secret="S3CRET")
    documented = (
        _documented("[OUTPUT]")
        .replace("RECEIVER_HOST", "logs.example.com")
        .replace("YOUR_APP_SECRET", "S3CRET")
    )
    assert _settings(config) == _settings(documented)


def test_plain_http_on_a_port_turns_tls_off() -> None:
    config = fluent_bit_config(ingest_url="http://127.0.0.1:18081/api/v1/logs", secret="s")
    assert ("Port", "18081") in _settings(config)
    assert ("tls", "Off") in _settings(config)
    assert ("Host", "127.0.0.1") in _settings(config)


def test_endpoints_fill_the_app_and_group_into_the_templates() -> None:
    settings = MarketSettings(viewer_url_template="https://{app}.{group}.logs.example.com")
    endpoints = app_endpoints(settings, app_slug="checkout", group_slug="shop", cluster=None)
    assert endpoints.viewer == "https://checkout.shop.logs.example.com"
    assert endpoints.tail.endswith("/api/v1/tail/checkout")


def test_a_template_with_an_unknown_placeholder_is_refused_at_start_up() -> None:
    with pytest.raises(ValidationError, match=r"\{app\}, \{group\}"):
        MarketSettings(viewer_url_template="https://{tenant}.logs.example.com")


def test_fluentd_names_each_request_by_its_buffer_chunk_after_the_operators_own_query() -> None:
    def endpoint(ingest_url: str) -> str:
        config = fluentd_config(ingest_url=ingest_url, secret="s", app_slug="shop")
        return dict(_settings(config))["endpoint"]

    assert endpoint("https://logs.example.com/api/v1/logs") == (
        "https://logs.example.com/api/v1/logs?idempotency_key=${chunk_id}"
    )
    assert endpoint("https://logs.example.com/api/v1/logs?app=shop") == (
        "https://logs.example.com/api/v1/logs?app=shop&idempotency_key=${chunk_id}"
    )
