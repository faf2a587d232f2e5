"""Deleting a group on the shared cluster leaves every other group's logs alone.

App slugs nest: the index pattern of an app ``shop`` also matches the daily
indices of an app ``shop-api``, which another group may own. The shared
driver's delete step runs here on the real Kafka and search engine, as the
provisioner runs it for group A's DELETE command.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from barito_common.kafka import Topics, create_admin, ensure_topics, log_topic_spec
from barito_common.schemas import AppProfile
from barito_common.search import create_search_adapter
from barito_common.settings import KafkaSettings, SearchSettings
from barito_provisioner.drivers.base import InfrastructureSpec
from barito_provisioner.drivers.shared import SharedDriver
from barito_provisioner.settings import SharedSettings
from barito_testing.profiles import app_profile
from barito_testing.stack import shipped_templates

pytestmark = pytest.mark.stack

TEMPLATES = shipped_templates()
DAYS = ("2025.01.30", "2025.01.31")


def _app(topics: Topics, index_prefix: str, slug: str, group: str) -> AppProfile:
    return app_profile(
        slug,
        group,
        topic=topics.logs(slug),
        index_prefix=f"{index_prefix}{slug}",
        capacity="small",
    )


async def _topics_present(kafka: KafkaSettings, names: list[str]) -> set[str]:
    admin = create_admin(kafka)
    await admin.start()
    try:
        return set(await admin.list_topics()) & set(names)
    finally:
        await admin.close()


@pytest.mark.parametrize("engine", ["elasticsearch", "opensearch"])
async def test_deleting_group_a_keeps_group_bs_shop_api_indices_and_documents(
    stack: Any, engine: str
) -> None:
    run = uuid.uuid4().hex[:8]
    kafka = KafkaSettings(bootstrap_servers=stack.kafka_bootstrap, topic_prefix=f"g{run}.")
    topics, index_prefix = Topics(kafka.topic_prefix), f"g{run}-"
    shop = _app(topics, index_prefix, "shop", "group-a")
    shop_api = _app(topics, index_prefix, "shop-api", "group-b")
    await ensure_topics(
        kafka,
        [log_topic_spec(topics, a.slug, partitions=1, replication=1) for a in (shop, shop_api)],
    )
    search = create_search_adapter(SearchSettings(engine=engine, url=stack.search_urls[engine]))
    driver = SharedDriver(kafka=kafka, search=search, shared=SharedSettings())
    try:
        documents = [
            (f"{app.index_prefix}-{day}", f"{day}-{n}", {"barito": {"app": app.slug}, "n": n})
            for app in (shop, shop_api)
            for day in DAYS
            for n in range(3)
        ]
        assert (await search.bulk_index(documents, refresh=True)).all_done

        await driver.deprovision(
            InfrastructureSpec("infra-a", "group-a", TEMPLATES["small"]), [shop]
        )

        assert await search.list_indices(f"{index_prefix}*") == [
            f"{shop_api.index_prefix}-{day}" for day in DAYS
        ]
        assert await search.count(f"{shop_api.index_prefix}-*") == 6
        assert await _topics_present(kafka, [shop.topic, shop_api.topic]) == {shop_api.topic}
    finally:
        await search.delete_index(f"{index_prefix}*")
        await driver.deprovision(
            InfrastructureSpec("infra-b", "group-b", TEMPLATES["small"]), [shop_api]
        )
        await driver.close()
