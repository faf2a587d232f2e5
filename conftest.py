"""Test-session fixtures shared by every test directory.

The ``stack`` fixture brings the private local stack up through the same code
as ``make up`` (``barito_cli.stack``) and reuses one that is already running.
Tests never share names: each gets its own topic prefix, index prefix or
database from ``run_id``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.support.local_stack import Stack, bring_up
from tests.support.second_kafka import SecondKafka


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
def run_id() -> str:
    """A short id unique to this test run, for topic, index and database names."""
    return uuid.uuid4().hex[:10]


@pytest.fixture
def unique_name(run_id: str) -> str:
    """A lowercase name unique to this test, valid as a topic, index or database name."""
    return f"t{run_id}-{uuid.uuid4().hex[:8]}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Tests that stop and restart an engine run last, so no other test sees the gap.
    items.sort(key=lambda item: item.get_closest_marker("disruptive") is not None)
