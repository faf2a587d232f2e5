"""Creating the topics a service needs: the one ``ensure_topics`` every service calls.

Example::

    # At start-up, waiting for Kafka as long as it takes:
    await ensure_topics(settings.kafka, [usage_topic_spec(topics)], retry=Backoff())
    # Inside a caller's own retry, or with an admin client it already holds:
    await ensure_topics(admin, [log_topic_spec(topics, slug, partitions=3, replication=3)])
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from barito_common.kafka.backoff import Backoff, until_done
from barito_common.kafka.clients import create_admin
from barito_common.kafka.topics import TopicSpec
from barito_common.settings import KafkaSettings

__all__ = ["ensure_topics"]


async def ensure_topics(
    kafka: KafkaSettings | AIOKafkaAdminClient,
    specs: Iterable[TopicSpec],
    *,
    retry: Backoff | None = None,
) -> None:
    """Create the topics of ``specs`` that do not exist yet; existing ones are left as they are.

    ``kafka`` is either the cluster's settings (an admin client is opened for
    the call) or a started admin client the caller holds. Without ``retry`` the
    first failure is raised; with it, every failure is logged and the call
    tried again after the backoff's delay until Kafka answers ("wait for Kafka,
    then create my topics").
    """
    wanted = list(specs)
    if retry is not None:
        await until_done(
            lambda: ensure_topics(kafka, wanted),
            backoff=retry,
            doing=f"creating topics {', '.join(spec.name for spec in wanted)}",
        )
        return
    if isinstance(kafka, AIOKafkaAdminClient):
        await _create_missing(kafka, wanted)
        return
    admin = create_admin(kafka)
    try:
        await admin.start()
        await _create_missing(admin, wanted)
    finally:
        await admin.close()


async def _create_missing(admin: AIOKafkaAdminClient, specs: list[TopicSpec]) -> None:
    existing = set(await admin.list_topics())
    missing = [
        NewTopic(
            name=spec.name,
            num_partitions=spec.partitions,
            replication_factor=spec.replication,
            topic_configs=dict(spec.config),
        )
        for spec in specs
        if spec.name not in existing
    ]
    if not missing:
        return
    # Another process may create one between our listing and our request.
    with contextlib.suppress(TopicAlreadyExistsError):
        await admin.create_topics(missing)
