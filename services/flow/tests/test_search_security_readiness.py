"""The flow's /readyz names why the secured stack's Elasticsearch refuses it (issue 19).

A real flow (its lifespan, on the plain stack's Kafka) whose search settings
are the secured stack's, each time with one thing wrong.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from asgi_lifespan import LifespanManager
from pydantic import SecretStr

from barito_cli.stack.certificates import CertificateAuthority
from barito_cli.stack.secure_search import SecuredElasticsearchEngine
from barito_common.settings import KafkaSettings, SearchSettings
from barito_flow.main import create_app
from barito_flow.settings import FlowSettings
from barito_testing.secure_stack import SecureStack


async def readyz(stack: Any, search: SearchSettings) -> httpx.Response:
    prefix = f"s{uuid.uuid4().hex[:8]}"
    settings = FlowSettings(
        kafka=KafkaSettings(bootstrap_servers=stack.kafka_bootstrap, topic_prefix=f"{prefix}."),
        search=search,
        group_id=f"{prefix}-flow",
    )
    async with (
        LifespanManager(create_app(settings), startup_timeout=30, shutdown_timeout=60) as flow,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=flow.app), base_url="http://flow"
        ) as client,
    ):
        return await client.get("/readyz")


@pytest.fixture
def elasticsearch(secure_stack: SecureStack) -> SecuredElasticsearchEngine:
    return cast(SecuredElasticsearchEngine, secure_stack.engine("elasticsearch"))


async def test_readyz_is_ready_with_the_api_key_over_tls(
    stack: Any, elasticsearch: SecuredElasticsearchEngine
) -> None:
    response = await readyz(stack, elasticsearch.client_settings())
    # The whole answer may still wait for the app registry (a topic of its own, unmade).
    assert response.json()["checks"]["elasticsearch"] == "ok", response.text


async def test_readyz_names_a_refused_api_key(
    stack: Any, elasticsearch: SecuredElasticsearchEngine
) -> None:
    search = elasticsearch.client_settings().model_copy(
        update={"api_key": SecretStr("aW52YWxpZDprZXk=")}
    )
    response = await readyz(stack, search)
    assert response.status_code == 503
    assert "the API key was refused" in response.json()["checks"]["elasticsearch"]


async def test_readyz_names_a_certificate_of_an_unknown_ca(
    stack: Any, elasticsearch: SecuredElasticsearchEngine, tmp_path: Path
) -> None:
    stranger = CertificateAuthority(tmp_path).cafile
    search = elasticsearch.client_settings().model_copy(update={"ssl_cafile": str(stranger)})
    response = await readyz(stack, search)
    assert response.status_code == 503
    assert f"not signed by a CA in {stranger}" in response.json()["checks"]["elasticsearch"]


async def test_readyz_names_an_http_url_at_the_tls_engine(
    stack: Any, elasticsearch: SecuredElasticsearchEngine
) -> None:
    plain = elasticsearch.url.replace("https://", "http://")
    search = elasticsearch.client_settings().model_copy(update={"url": plain, "ssl_cafile": None})
    response = await readyz(stack, search)
    assert response.status_code == 503
    check = response.json()["checks"]["elasticsearch"]
    assert f"the engine speaks TLS: use {elasticsearch.url}" in check
