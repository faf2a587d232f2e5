"""A dedicated group's logs go to its own cluster's Kafka, and only there.

The stack's Kafka is the installation's; ``second_kafka`` (a real broker of
the test's own) is the dedicated cluster. Every app's topic also exists on
the other Kafka, so a chunk written to the wrong one would be found there.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from barito_common.kafka import ensure_topics, log_topic_spec
from barito_common.schemas import ClusterCoordinates
from barito_common.settings import KafkaSettings
from barito_receiver.cluster_producers import ClusterProducers
from barito_testing.apps import App, Apps
from barito_testing.second_kafka import SecondKafka

JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def receiver_settings() -> dict[str, Any]:
    return {"cluster_sweep_s": 0.2, "cluster_connect_wait_s": 2.0}


@pytest.fixture(scope="module")
def cluster(second_kafka: SecondKafka, stack: Any) -> ClusterCoordinates:
    return second_kafka.coordinates(search_url=stack.elasticsearch_url)


async def _also_on(kafka: KafkaSettings, apps: Apps, app: App) -> None:
    """The app's topic on a Kafka that is not its cluster, where nothing may land."""
    slug = app.profile.slug
    spec = log_topic_spec(apps.topics, slug, partitions=1, replication=1)
    await ensure_topics(kafka, [spec])


async def _post(receiver: Any, app: App, body: bytes) -> Any:
    return await receiver.client.post("/api/v1/logs", content=body, headers={**app.headers, **JSON})


def _producers(receiver: Any) -> ClusterProducers:
    producers: ClusterProducers = receiver.app.state.ingestor.producers
    return producers


async def test_dedicated_apps_logs_land_on_its_cluster_and_shared_apps_on_the_installations(
    receiver: Any, cluster: ClusterCoordinates
) -> None:
    apps: Apps = receiver.apps
    dedicated = await apps.register(cluster=cluster)
    shared = await apps.register()
    await _also_on(apps.kafka, apps, dedicated)
    await _also_on(apps.kafka_of(dedicated.profile), apps, shared)

    assert (await _post(receiver, dedicated, b'{"to":"dedicated"}')).status_code == 200
    assert (await _post(receiver, shared, b'{"to":"shared"}')).status_code == 200

    assert [e.record for e in await apps.events(dedicated, expect=1)] == [{"to": "dedicated"}]
    assert [e.record for e in await apps.events(shared, expect=1)] == [{"to": "shared"}]
    assert await apps.chunk_count(dedicated, kafka=apps.kafka) == 0
    assert await apps.chunk_count(shared, kafka=apps.kafka_of(dedicated.profile)) == 0


async def test_dedicated_cluster_down_is_503_for_its_apps_only_and_nothing_is_lost(
    receiver: Any, cluster: ClusterCoordinates, second_kafka: SecondKafka
) -> None:
    apps: Apps = receiver.apps
    dedicated = await apps.register(cluster=cluster)
    shared = await apps.register()
    await _also_on(apps.kafka, apps, dedicated)
    assert (await _post(receiver, dedicated, b'{"n":"before"}')).status_code == 200

    await asyncio.to_thread(second_kafka.stop)
    try:
        refused = await _post(receiver, dedicated, b'{"n":"during"}')
        assert refused.status_code == 503, refused.text
        assert int(refused.headers["Retry-After"]) >= 1
        accepted = await _post(receiver, shared, b'{"n":"shared, during"}')
        assert accepted.status_code == 200, accepted.text
    finally:
        await asyncio.to_thread(second_kafka.start)

    async with asyncio.timeout(90):
        while (retry := await _post(receiver, dedicated, b'{"n":"after"}')).status_code != 200:
            assert retry.status_code == 503, retry.text
            await asyncio.sleep(1)
    records = [e.record for e in await apps.events(dedicated, expect=2)]
    # "during" got a 503: whether Kafka holds it or not, no client was told 2xx for it.
    assert records[0] == {"n": "before"}
    assert records[-1] == {"n": "after"}
    assert await apps.chunk_count(dedicated, kafka=apps.kafka) == 0
    assert [e.record for e in await apps.events(shared, expect=1)] == [{"n": "shared, during"}]


async def test_cluster_that_never_answers_gets_a_prompt_503_and_nothing_elsewhere(
    receiver: Any, stack: Any
) -> None:
    apps: Apps = receiver.apps
    nowhere = ClusterCoordinates(
        infrastructure_id="nowhere",
        kafka_bootstrap_servers="127.0.0.1:1",  # nothing listens on port 1
        search_url=stack.elasticsearch_url,
        search_engine="elasticsearch",
    )
    # Registered on the installation's Kafka (its own cannot be reached), so the
    # topic a fallback would write to exists.
    app = await apps.register()
    await apps.publish(app.profile.model_copy(update={"cluster": nowhere}))

    started = time.monotonic()
    refused = await _post(receiver, app, b'{"n":1}')
    assert refused.status_code == 503, refused.text
    assert "Retry-After" in refused.headers
    assert time.monotonic() - started < 10
    assert await apps.chunk_count(app, kafka=apps.kafka) == 0


async def test_producer_of_a_cluster_no_app_names_any_more_is_closed(
    receiver: Any, second_kafka: SecondKafka, stack: Any
) -> None:
    apps: Apps = receiver.apps
    # The same broker under another bootstrap list: a pool entry of this test's
    # own, which the other tests' apps (still naming the usual list) do not hold.
    port = second_kafka.bootstrap_servers.rsplit(":", 1)[1]
    own = ClusterCoordinates(
        infrastructure_id="second-kafka-by-name",
        kafka_bootstrap_servers=f"localhost:{port}",
        search_url=stack.elasticsearch_url,
        search_engine="elasticsearch",
    )
    app = await apps.register(cluster=own)
    await _also_on(apps.kafka, apps, app)
    assert (await _post(receiver, app, b'{"on":"dedicated"}')).status_code == 200
    assert own.kafka_bootstrap_servers in _producers(receiver).clusters()

    moved = app.profile.model_copy(update={"cluster": None})
    await apps.publish(moved)
    async with asyncio.timeout(10):
        while own.kafka_bootstrap_servers in _producers(receiver).clusters():
            await asyncio.sleep(0.1)

    # From now on its logs go to the installation's Kafka.
    assert (await _post(receiver, App(moved, app.secret), b'{"on":"shared"}')).status_code == 200
    shared_records = await apps.events(App(moved, app.secret), expect=1)
    assert [e.record for e in shared_records] == [{"on": "shared"}]


async def test_installation_kafka_down_leaves_dedicated_apps_ingesting(
    start_receiver: Any, second_kafka: SecondKafka, stack: Any
) -> None:
    # Roles swapped, so the stack's Kafka keeps running: the second Kafka is
    # the installation's (registry, usage, shared apps), the stack's the
    # dedicated cluster.
    stack_cluster = ClusterCoordinates(
        infrastructure_id="stack-kafka",
        kafka_bootstrap_servers=stack.kafka_bootstrap,
        search_url=stack.elasticsearch_url,
        search_engine="elasticsearch",
    )
    async with start_receiver(second_kafka.bootstrap_servers) as receiver:
        apps: Apps = receiver.apps
        dedicated = await apps.register(cluster=stack_cluster)
        shared = await apps.register()
        assert (await _post(receiver, dedicated, b'{"n":"before"}')).status_code == 200

        await asyncio.to_thread(second_kafka.stop)
        try:
            during = await _post(receiver, dedicated, b'{"n":"during"}')
            assert during.status_code == 200, during.text
            refused = await _post(receiver, shared, b'{"n":"during"}')
            assert refused.status_code == 503, refused.text
            ready = await receiver.client.get("/readyz")
            assert ready.status_code == 503  # it names the installation's Kafka
        finally:
            await asyncio.to_thread(second_kafka.start)

        records = [e.record for e in await apps.events(dedicated, expect=2)]
        assert records == [{"n": "before"}, {"n": "during"}]
