"""The search adapter against the secured stack's engines (``barito stack up --secure``).

Elasticsearch (x-pack security, an API key and a user) and OpenSearch (its
security plugin, a user), both over HTTPS with a certificate of the stack's CA
that names 127.0.0.1 only. Right credentials index and search; each way of
getting it wrong fails with a message that names what is wrong.
"""

from __future__ import annotations

import asyncio
import ssl
import uuid
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from pydantic import SecretStr

from barito_cli.stack.certificates import CertificateAuthority
from barito_cli.stack.secure_search import SecuredElasticsearchEngine, SecuredOpenSearchEngine
from barito_common.search import SearchAdapter, SearchUnavailable, create_search_adapter
from barito_common.settings import SearchSettings, ServiceSettings
from barito_testing.secure_stack import SecureStack

SecuredSearch = SecuredElasticsearchEngine | SecuredOpenSearchEngine


@pytest.fixture(params=["elasticsearch", "opensearch"])
def engine(request: pytest.FixtureRequest, secure_stack: SecureStack) -> SecuredSearch:
    return cast(SecuredSearch, secure_stack.engine(request.param))


@pytest.fixture
def elasticsearch(secure_stack: SecureStack) -> SecuredElasticsearchEngine:
    return cast(SecuredElasticsearchEngine, secure_stack.engine("elasticsearch"))


def user_settings(engine: SecuredSearch) -> SearchSettings:
    if isinstance(engine, SecuredElasticsearchEngine):
        return engine.user_settings()
    return engine.client_settings()


async def ping_failure(settings: SearchSettings) -> str:
    """What readiness says of ``settings`` (the adapter's ping must fail)."""
    async with create_search_adapter(settings) as search:
        with pytest.raises(SearchUnavailable) as refused:
            await search.ping()
    return str(refused.value)


async def index_and_find(search: SearchAdapter) -> None:
    index = f"barito-secure-{uuid.uuid4().hex[:12]}"
    try:
        result = await search.bulk_index(
            [(index, "1", {"message": "over tls", "@timestamp": "2025-01-31T10:00:00Z"})],
            refresh=True,
        )
        assert not result.rejected and not result.retryable
        page = await search.search(index, query={"match": {"message": "tls"}})
        assert page["total"] == 1
    finally:
        await search.delete_index(index)


@pytest.mark.parametrize(
    ("engine_name", "credentials"),
    [("elasticsearch", "api_key"), ("elasticsearch", "user"), ("opensearch", "user")],
)
async def test_indexes_and_searches_over_tls_with_the_engines_credentials(
    secure_stack: SecureStack, engine_name: str, credentials: str
) -> None:
    engine = cast(SecuredSearch, secure_stack.engine(engine_name))
    settings = engine.client_settings() if credentials == "api_key" else user_settings(engine)
    assert settings.url.startswith("https://")
    async with create_search_adapter(settings) as search:
        await search.ping()
        await index_and_find(search)


async def test_a_service_reaches_the_engine_with_secrets_read_from_files(
    engine: SecuredSearch, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Service(ServiceSettings):
        search: SearchSettings

    for name, value in engine.service_environment().items():
        monkeypatch.setenv(name, value)
    settings = Service()  # type: ignore[call-arg]
    assert settings.search.url == engine.url
    async with create_search_adapter(settings.search) as search:
        await index_and_find(search)


async def test_wrong_password_names_the_user(engine: SecuredSearch) -> None:
    settings = user_settings(engine).model_copy(update={"password": SecretStr("not-the-password")})
    message = await ping_failure(settings)
    assert "refused the credentials of user barito" in message
    assert "not-the-password" not in message


async def test_missing_credentials_are_named(engine: SecuredSearch) -> None:
    settings = user_settings(engine).model_copy(update={"username": None, "password": None})
    assert "the engine requires credentials" in await ping_failure(settings)


async def test_invalid_and_revoked_api_keys_are_named(
    elasticsearch: SecuredElasticsearchEngine,
) -> None:
    made = await asyncio.to_thread(_api_key, elasticsearch, "POST", {"name": "short-lived"})
    key = elasticsearch.client_settings().model_copy(update={"api_key": SecretStr(made["encoded"])})
    async with create_search_adapter(key) as search:
        await search.ping()
    await asyncio.to_thread(_api_key, elasticsearch, "DELETE", {"ids": [made["id"]]})
    assert "the API key was refused" in await ping_failure(key)
    invalid = key.model_copy(update={"api_key": SecretStr("aW52YWxpZDprZXk=")})
    assert "the API key was refused" in await ping_failure(invalid)


async def test_certificate_of_an_unknown_ca_is_named(engine: SecuredSearch, tmp_path: Path) -> None:
    stranger = CertificateAuthority(tmp_path).cafile
    settings = user_settings(engine).model_copy(update={"ssl_cafile": str(stranger)})
    message = await ping_failure(settings)
    assert f"the certificate of {engine.url} is not signed by a CA in {stranger}" in message


async def test_certificate_for_another_host_is_named(engine: SecuredSearch) -> None:
    # The certificate names 127.0.0.1 only; localhost is the same engine by another name.
    by_name = engine.url.replace("127.0.0.1", "localhost")
    settings = user_settings(engine).model_copy(update={"url": by_name})
    message = await ping_failure(settings)
    assert "does not name host 'localhost'" in message
    unchecked = settings.model_copy(update={"ssl_check_hostname": False})
    async with create_search_adapter(unchecked) as search:
        await search.ping()


async def test_http_url_at_the_tls_engine_says_use_https(engine: SecuredSearch) -> None:
    plain = engine.url.replace("https://", "http://")
    settings = user_settings(engine).model_copy(update={"url": plain, "ssl_cafile": None})
    message = await ping_failure(settings)
    assert f"the engine speaks TLS: use {engine.url}" in message


async def test_https_url_at_a_plain_engine_is_named(stack: Any, engine: SecuredSearch) -> None:
    plain_url: str = getattr(stack, f"{engine.name}_url")
    https = plain_url.replace("http://", "https://")
    settings = SearchSettings(
        engine=user_settings(engine).engine, url=https, ssl_cafile=str(engine.material.cafile)
    )
    message = await ping_failure(settings)
    assert f"TLS against a plain-HTTP engine: {https} answers in plain text" in message


def _api_key(engine: SecuredElasticsearchEngine, method: str, body: dict[str, Any]) -> Any:
    """Make or revoke an API key as the stack's user (not something Barito's services do)."""
    user = engine.user_settings()
    password = user.password.get_secret_value() if user.password else ""
    response = httpx.request(
        method,
        f"{engine.url}/_security/api_key",
        json=body,
        auth=(user.username or "", password),
        verify=ssl.create_default_context(cafile=str(engine.material.cafile)),
        timeout=10,
    )
    response.raise_for_status()
    return response.json()
