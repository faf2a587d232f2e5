"""The newcomer's walk on the secured stack (issue 19): TLS and passwords at every hop.

``barito up --secure`` as a user runs it (``barito_cli.suite`` on the secured
config): the five services, each serving HTTPS itself with the stack's
certificate, on the secured engines (``secure_stack``) — Kafka over SASL_SSL
with SCRAM, Elasticsearch over https with an API key, Postgres with
``verify-full`` — every secret read from a file. A team signs up, registers an
app (the provisioner makes its topic and index template through the secured
Kafka and Elasticsearch, on the shared driver), sends every agent body, and
finds each event in search and on the live tail, with a client that trusts the
stack's CA and nothing else. Then what a careless client meets, each named.
"""

from __future__ import annotations

import ssl
import uuid
from collections.abc import Iterator

import httpx
import pytest

from barito_cli.stack.config import StackConfig
from barito_cli.suite import SERVICES, suite_down, suite_up
from barito_testing.secure_stack import SecureStack
from tests.support.walk import Walk

pytestmark = pytest.mark.timeout(900)


def _url(config: StackConfig, service: str) -> str:
    return f"https://127.0.0.1:{config.engines['services'][service]}"


@pytest.fixture(scope="module")
def secured_services(secure_stack: SecureStack) -> Iterator[StackConfig]:
    config = secure_stack.config
    suite_up(config, echo=print, timeout_s=120)
    try:
        yield config
    finally:
        suite_down(config, echo=print)


@pytest.fixture(scope="module")
def walk(secured_services: StackConfig, secure_stack: SecureStack) -> Walk:
    trusting = ssl.create_default_context(cafile=str(secure_stack.material.cafile))
    return Walk(
        market=_url(secured_services, "market"),
        receiver=_url(secured_services, "receiver"),
        tail=_url(secured_services, "server"),
        verify=trusting,
    )


def test_a_team_walks_through_barito_with_tls_and_passwords_everywhere(
    walk: Walk, secure_stack: SecureStack
) -> None:
    # Every engine really is the secured one: nothing in the services' settings
    # is plain text or carries a secret inline.
    for service in SERVICES:
        env = secure_stack.service_environment(service)
        assert env["BARITO_KAFKA__SECURITY_PROTOCOL"] == "SASL_SSL", service
        assert "BARITO_KAFKA__SASL_PASSWORD" not in env, service
        if "BARITO_SEARCH__URL" in env:
            assert env["BARITO_SEARCH__URL"].startswith("https://"), service
            assert "BARITO_SEARCH__API_KEY_FILE" in env, service
    assert secure_stack.service_environment("market")["BARITO_DATABASE__SSL_MODE"] == "verify-full"

    _, _, token = walk.sign_up()
    slug, secret = walk.register(token, "Checkout", group=f"secure-{uuid.uuid4().hex[:6]}")
    with walk.client(walk.market, timeout=30) as market:
        app = market.get(f"/api/v1/apps/{slug}", headers={"Authorization": f"Bearer {token}"})
    assert app.status_code == 200, app.text
    # What the team is told to point its agents and tail at are the TLS services.
    endpoints = app.json()["endpoints"]
    assert endpoints["ingest"].startswith(f"{walk.receiver}/"), endpoints
    assert endpoints["tail"].startswith(f"{walk.tail}/"), endpoints

    expected = walk.send_every_agent_body(secret, run=uuid.uuid4().hex[:8])
    found = walk.search_until(slug, token, expected)
    assert sorted(expected - found) == [], "events never found in search"
    assert found == expected, "search holds events nobody sent"
    tailed = walk.tail_until(slug, secret, expected)
    assert sorted(expected - tailed) == [], "events never shown on the live tail"


def test_a_plain_http_agent_is_told_to_use_https(walk: Walk) -> None:
    plain = walk.receiver.replace("https://", "http://")
    response = httpx.post(
        f"{plain}/api/v1/logs",
        content=b'{"message": "hello"}\n',
        headers={"Content-Type": "application/x-ndjson", "X-App-Secret": "whatever"},
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "tls_required"
    assert "use https://" in response.json()["error"]["message"]


def test_a_client_not_trusting_the_stacks_ca_refuses_every_service(walk: Walk) -> None:
    for url in (walk.market, walk.receiver, walk.tail):
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(f"{url}/healthz", timeout=10)
