"""The pytest plugin every test directory gets (registered as ``pytest11``).

The ``stack`` fixture brings the private local stack up through the same code
as ``make up`` (``barito_cli.stack``) and reuses one that is already running;
``secure_stack`` does the same for the secured stack (``barito stack up
--secure``, :mod:`barito_testing.secure_stack`), whose Kafka is also the
``secured_kafka`` fixture's. Tests never share names: each gets its own topic
prefix, index prefix or database from ``run_id``.

Markers are kept honest here rather than by hand: a test that asks for the
stack, directly or through another fixture, is marked ``stack``; the few that
start engines of their own (containers, a private Postgres) say so with
``pytestmark``. ``pytest -m "not stack"`` runs without any engine.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import cast

import pytest

from barito_cli.stack.config import load_config
from barito_cli.stack.secure_kafka import SecuredKafkaEngine
from barito_testing.oidc_provider import OidcProvider, start_oidc_provider
from barito_testing.second_kafka import SecondKafka
from barito_testing.secure_stack import SecureStack
from barito_testing.secured_kafka import SecuredKafka
from barito_testing.stack import REPO, Stack, bring_up

STACK_FIXTURES = frozenset(
    {"stack", "second_kafka", "secure_stack", "secured_kafka", "oidc_provider"}
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "stack: needs a running engine: the local stack's, or one it starts (Docker, Postgres)",
    )
    config.addinivalue_line("markers", "disruptive: stops and restarts a stack engine; runs last")


@pytest.fixture(scope="session")
def stack() -> Stack:
    return bring_up()


@pytest.fixture(scope="session")
def second_kafka(stack: Stack) -> Iterator[SecondKafka]:
    """A second real Kafka on free ports, as a dedicated group's cluster (see its module)."""
    kafka = SecondKafka(stack.config)
    try:
        kafka.start()
        yield kafka
    finally:
        kafka.remove()


@pytest.fixture(scope="session")
def _secure_engines() -> SecureStack:
    """The run's secured stack, each engine started when first asked for."""
    return SecureStack(load_config(REPO).secured())


@pytest.fixture(scope="session")
def secure_stack(_secure_engines: SecureStack) -> SecureStack:
    """The secured stack (``barito stack up --secure``): every engine answering, each one not
    running before started from empty data."""
    _secure_engines.start()
    return _secure_engines


@pytest.fixture(scope="session")
def secured_kafka(_secure_engines: SecureStack) -> SecuredKafka:
    """The secured stack's Kafka: SASL_SSL (SCRAM, PLAIN) and mutual TLS (see its module).

    Only that engine is started for it, not the rest of the secured stack.
    """
    return SecuredKafka(cast(SecuredKafkaEngine, _secure_engines.engine("kafka")))


@pytest.fixture(scope="session")
def oidc_provider() -> OidcProvider:
    """The stack's Keycloak (``barito stack up --with oidc``), started unless it runs; its
    realm ``barito``, clients and admin API (see :mod:`barito_testing.oidc_provider`)."""
    return start_oidc_provider()


@pytest.fixture(scope="session")
def run_id() -> str:
    """A short id unique to this test run, for topic, index and database names."""
    return uuid.uuid4().hex[:10]


@pytest.fixture
def unique_name(run_id: str) -> str:
    """A lowercase name unique to this test, valid as a topic, index or database name."""
    return f"t{run_id}-{uuid.uuid4().hex[:8]}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if STACK_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.stack)
    # Tests that stop and restart an engine run last, so no other test sees the gap.
    items.sort(key=lambda item: item.get_closest_marker("disruptive") is not None)
