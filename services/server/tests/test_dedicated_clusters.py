"""Tails of a dedicated group's app read its topic on its own cluster's Kafka.

The stack's Kafka is the installation's (registry, shared apps); the
``second_kafka`` fixture is the dedicated cluster. The receiver writes each
app's chunks to its cluster (its own tests prove it), so what a tail shows
says which Kafka its reader reads.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from barito_common.chunk_codec import Event, encode_chunks
from barito_common.kafka import create_producer, ensure_topics, log_topic_spec
from barito_common.schemas import ClusterCoordinates
from barito_common.settings import KafkaSettings
from barito_server.reader_hub import ReaderHub
from barito_testing.apps import App
from barito_testing.second_kafka import SecondKafka
from barito_testing.server import TailStack, ndjson_tail, tail_stack

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
async def tail(stack: Any) -> AsyncIterator[TailStack]:
    async with tail_stack(stack, max_since_s=600, cluster_sweep_s=0.2) as running:
        yield running


@pytest.fixture(scope="module")
def cluster(second_kafka: SecondKafka, stack: Any) -> ClusterCoordinates:
    return second_kafka.coordinates(search_url=stack.elasticsearch_url)


def _hub(tail: TailStack) -> ReaderHub:
    hub: ReaderHub = tail.server_app.state.tail.hub
    return hub


async def _topic_on(kafka: KafkaSettings, tail: TailStack, app: App) -> None:
    spec = log_topic_spec(tail.apps.topics, app.profile.slug, partitions=1, replication=1)
    await ensure_topics(kafka, [spec])


async def _write_directly(kafka: KafkaSettings, topic: str, record: dict[str, Any]) -> None:
    """A chunk written straight to one Kafka, bypassing the receiver's choice of cluster."""
    producer = create_producer(kafka)
    await producer.start()
    try:
        for chunk in encode_chunks([Event("2026-01-01T00:00:00.000Z", record)]):
            await producer.send_and_wait(topic, chunk)
    finally:
        await producer.stop()


async def test_a_dedicated_apps_tail_shows_what_its_cluster_holds_live_and_since(
    tail: TailStack, cluster: ClusterCoordinates
) -> None:
    app = await tail.register(cluster=cluster)
    # The same topic on the installation's Kafka, with an event of its own: a
    # reader pointed there would show it.
    await _topic_on(tail.kafka, tail, app)
    await _write_directly(tail.kafka, app.profile.topic, {"seq": -1, "on": "installation"})

    await tail.post(app, [{"seq": 0, "on": "dedicated"}])
    async with (
        ndjson_tail(tail.url(app.profile.slug, since=300), app.headers) as since,
        ndjson_tail(tail.url(app.profile.slug), app.headers) as live,
    ):
        await since.started()
        await live.started()
        await tail.post(app, [{"seq": 1, "on": "dedicated"}])
        assert [f["event"]["seq"] for f in await since.events(2)] == [0, 1]
        assert [f["event"]["seq"] for f in await live.events(1)] == [1]
        assert await since.quiet() == []
        assert await live.quiet() == []
    assert cluster.kafka_bootstrap_servers in _hub(tail).clusters()


async def test_an_app_moved_to_a_dedicated_cluster_gets_a_new_reader_there_for_new_clients(
    tail: TailStack, cluster: ClusterCoordinates
) -> None:
    app = await tail.register()
    async with ndjson_tail(tail.url(app.profile.slug), app.headers) as before_move:
        await before_move.started()
        await tail.post(app, [{"seq": 0, "on": "shared"}])
        assert [f["event"]["seq"] for f in await before_move.events(1)] == [0]

        moved = App(app.profile.model_copy(update={"cluster": cluster}), app.secret)
        await _topic_on(tail.apps.kafka_of(moved.profile), tail, moved)
        await tail.apps.publish(moved.profile)

        async with ndjson_tail(tail.url(app.profile.slug), app.headers) as after_move:
            await after_move.started()
            assert _hub(tail).readers() == 2  # the old cluster's reader stays for its client
            await tail.post(moved, [{"seq": 1, "on": "dedicated"}])
            frames = await after_move.events(1)
            assert [(f["event"]["seq"], f["event"]["on"]) for f in frames] == [(1, "dedicated")]
            # The client of the old reader sees nothing of the new cluster's topic.
            assert await before_move.quiet() == []


async def test_an_unreachable_cluster_is_a_503_for_its_apps_tails_only(
    tail: TailStack, stack: Any
) -> None:
    nowhere = ClusterCoordinates(
        infrastructure_id="nowhere",
        kafka_bootstrap_servers="127.0.0.1:1",  # nothing listens on port 1
        search_url=stack.elasticsearch_url,
        search_engine="elasticsearch",
    )
    app = await tail.register()
    await tail.apps.publish(app.profile.model_copy(update={"cluster": nowhere}))
    shared = await tail.register()

    async with httpx.AsyncClient(timeout=30) as client:
        refused = await client.get(tail.url(app.profile.slug), headers=app.headers)
    assert refused.status_code == 503, refused.text
    assert "Kafka" in refused.json()["error"]["message"]
    async with ndjson_tail(tail.url(shared.profile.slug), shared.headers) as stream:
        await stream.started()

    # Once no app names that cluster, its admin client is closed.
    await tail.apps.publish(app.profile)
    async with asyncio.timeout(10):
        while nowhere.kafka_bootstrap_servers in _hub(tail).clusters():
            await asyncio.sleep(0.1)
