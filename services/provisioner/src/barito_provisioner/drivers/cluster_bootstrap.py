"""An app group's part of one cluster: its apps' log topics and index templates.

Written once for every placement: the shared driver uses it on the
installation's own Kafka and search engine, the placement router on a
dedicated group's cluster once its dedicated driver reports it running.

* Each app's log topic is created if missing, with the template's partitions
  and its replication capped by the brokers present; an existing topic with
  fewer partitions is grown (Kafka never shrinks one).
* Each app's index template is put (``barito_common.search.index_template``,
  the body the flow puts too) with the template's shards and its replicas
  capped by the search nodes present.
* Removing deletes the apps' topics, index templates and their own daily
  indices only (never a nested neighbour's: ``shop-*`` also matches ``shop-api``).

Example::

    async with create_search_adapter(search_settings_for(settings.search, cluster)) as search:
        apps_part = ClusterBootstrap(
            kafka_settings_for(settings.kafka, cluster), search, dedicated_fixes(cluster)
        )
        await apps_part.add_apps(template, apps, brokers=3, nodes=3)
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import NamedTuple

from aiokafka.admin import AIOKafkaAdminClient, NewPartitions

from barito_common.capacity import CapacityTemplate
from barito_common.kafka import Topics, create_admin, ensure_topics, log_topic_spec
from barito_common.schemas import (
    AppProfile,
    ClusterCoordinates,
    Component,
    ComponentKind,
    ComponentState,
)
from barito_common.search import SearchAdapter, SearchError
from barito_common.search.app_indices import delete_app_indices
from barito_common.search.index_template import index_template_body, template_name
from barito_common.settings import KafkaSettings
from barito_provisioner.drivers.base import DriverError

__all__ = ["SHARED_FIXES", "ClusterBootstrap", "Fixes", "dedicated_fixes", "present"]


class Fixes(NamedTuple):
    """What an operator does when the cluster's Kafka / search engine fails a step."""

    kafka: str
    search: str


SHARED_FIXES = Fixes(
    kafka="Start Kafka (barito stack up) or fix BARITO_KAFKA__BOOTSTRAP_SERVERS",
    search="Start the search engine (barito stack up) or fix BARITO_SEARCH__URL",
)


def dedicated_fixes(cluster: ClusterCoordinates) -> Fixes:
    return Fixes(
        kafka=f"Check that the Kafka of the group's cluster ({cluster.infrastructure_id}) runs "
        "and that the provisioner reaches it",
        search=f"Check that the search engine of the group's cluster "
        f"({cluster.infrastructure_id}) runs and that the provisioner reaches it",
    )


def present(components: Sequence[Component], kind: ComponentKind) -> int:
    """How many components of ``kind`` run: what replication and replicas are capped by."""
    return sum(1 for c in components if c.kind is kind and c.state is ComponentState.ACTIVE)


class ClusterBootstrap:
    """The topics and index templates of a group's apps on one Kafka + search engine."""

    def __init__(self, kafka: KafkaSettings, search: SearchAdapter, fixes: Fixes) -> None:
        self._kafka = kafka
        self._topics = Topics(kafka.topic_prefix)
        self._search = search
        self._fixes = fixes

    async def add_apps(
        self,
        template: CapacityTemplate,
        apps: Sequence[AppProfile],
        *,
        brokers: int,
        nodes: int,
    ) -> None:
        """Give each app its topic and index template; idempotent."""
        if not apps:
            return
        await self._kafka_call(self._ensure_topics(template, apps, brokers), "creating app topics")
        for app in apps:
            body = index_template_body(
                index_prefix_pattern=f"{app.index_prefix}-*",
                shards=template.search.primary_shards,
                # A replica needs a node of its own; more would leave the cluster yellow.
                replicas=min(template.search.replicas, max(nodes - 1, 0)),
            )
            try:
                await self._search.put_index_template(template_name(app.index_prefix), **body)
            except SearchError as err:
                raise DriverError(
                    f"could not put the index template of app {app.slug}: {err}. "
                    f"{self._fixes.search}, then retry."
                ) from err

    async def remove_apps(self, apps: Sequence[AppProfile]) -> None:
        """Delete each app's topic, index template and own daily indices; idempotent."""
        if not apps:
            return
        await self._kafka_call(self._delete_topics(apps), "deleting app topics")
        for app in apps:
            try:
                await self._search.delete_index_template(template_name(app.index_prefix))
                await delete_app_indices(self._search, app.index_prefix)
            except SearchError as err:
                raise DriverError(
                    f"could not delete the indices of app {app.slug}: {err}. "
                    f"{self._fixes.search}, then retry."
                ) from err

    async def _kafka_call(self, work: Awaitable[None], action: str) -> None:
        try:
            await work
        except DriverError:
            raise
        except Exception as err:
            raise DriverError(
                f"{action} on Kafka at {self._kafka.bootstrap_servers} failed: {err!r}. "
                f"{self._fixes.kafka}, then retry."
            ) from err

    async def _admin(self) -> AIOKafkaAdminClient:
        admin = create_admin(self._kafka)
        try:
            await admin.start()
        except BaseException:
            await admin.close()
            raise
        return admin

    async def _ensure_topics(
        self, template: CapacityTemplate, apps: Sequence[AppProfile], brokers: int
    ) -> None:
        kafka = template.kafka
        specs = [
            log_topic_spec(
                self._topics,
                app.slug,
                partitions=kafka.partitions,
                replication=min(kafka.replication, max(brokers, 1)),
            )
            for app in apps
        ]
        admin = await self._admin()
        try:
            await ensure_topics(admin, specs)
            # The market created the topic with its app's own template; the
            # group's may be larger. Kafka can add partitions, never remove them.
            described = await admin.describe_topics([s.name for s in specs])
            grow = {
                topic["topic"]: NewPartitions(total_count=kafka.partitions)
                for topic in described
                if len(topic.get("partitions", [])) < kafka.partitions
            }
            if grow:
                await admin.create_partitions(grow)
        finally:
            await admin.close()

    async def _delete_topics(self, apps: Sequence[AppProfile]) -> None:
        admin = await self._admin()
        try:
            existing = set(await admin.list_topics())
            doomed = [app.topic for app in apps if app.topic in existing]
            if doomed:
                await admin.delete_topics(doomed)
        finally:
            await admin.close()
