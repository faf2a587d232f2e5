"""Test-session fixtures shared by every test directory.

The ``stack`` fixture brings the private local stack up through the same code
as ``make up`` (``barito_cli.stack``) and reuses one that is already running.
Tests never share names: each gets its own topic prefix, index prefix or
database from ``run_id``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from barito_cli.stack.config import StackConfig, load_config
from barito_cli.stack.engines import engine_for
from barito_cli.stack.manager import stack_up
from tests.support.second_kafka import SecondKafka

REPO = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Stack:
    config: StackConfig
    kafka_bootstrap: str
    elasticsearch_url: str
    opensearch_url: str
    postgres_url: str

    @property
    def search_urls(self) -> dict[str, str]:
        return {"elasticsearch": self.elasticsearch_url, "opensearch": self.opensearch_url}


@pytest.fixture(scope="session")
def stack() -> Stack:
    config = load_config(REPO)
    stack_up(config, echo=lambda line: print(f"[stack] {line}"))
    return Stack(
        config=config,
        kafka_bootstrap=engine_for("kafka", config).url,
        elasticsearch_url=engine_for("elasticsearch", config).url,
        opensearch_url=engine_for("opensearch", config).url,
        postgres_url=engine_for("postgres", config).url,
    )


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
