"""Search and stored figures of a dedicated group's app, over two real engines.

The installation's engine is the stack's Elasticsearch, the group's cluster
the stack's OpenSearch. The documents are indexed straight into both: the
older ones on Elasticsearch (written before the move), the newer on
OpenSearch, and one chunk on both under the same ``_id`` (a retry across the
move). The market must merge them into one ordered, de-duplicated answer.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from barito_common.schemas import ClusterCoordinates, Placement
from barito_common.search import SearchAdapter, create_search_adapter
from barito_common.search.index_template import index_template_body, template_name
from barito_common.settings import SearchSettings
from barito_market.models import AppGroup, Infrastructure
from barito_testing.market import Market, MarketUser, market_on_postgres
from barito_testing.ports import free_port

BEFORE_MOVE = range(0, 6)  # on the installation's Elasticsearch
AFTER_MOVE = range(6, 12)  # on the group's OpenSearch
DUPLICATE = 5  # also on OpenSearch, under the same _id
INDEXED = len(BEFORE_MOVE) + len(AFTER_MOVE) + 1


@dataclass
class World:
    market: Market
    owner: MarketUser
    slug: str
    group: str
    start: str
    end: str

    async def search(self, **params: Any) -> Any:
        return await self.market.client.get(
            f"/api/v1/apps/{self.slug}/logs",
            params={"start": self.start, "end": self.end, **params},
            headers=self.owner.headers,
        )

    async def move_to(self, cluster: ClusterCoordinates) -> None:
        """Give the group a dedicated cluster, as the provisioner's ACTIVE event would."""
        async with self.market.sessionmaker() as session, session.begin():
            row = await session.scalar(
                select(Infrastructure)
                .join(AppGroup, AppGroup.id == Infrastructure.group_id)
                .where(AppGroup.slug == self.group)
            )
            assert row is not None
            row.placement = Placement.DEDICATED
            row.cluster = cluster.model_dump(mode="json")


async def index(search: SearchAdapter, prefix: str, slug: str, docs: list[tuple[str, int]]) -> None:
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    await search.put_index_template(
        template_name(prefix),
        **index_template_body(index_prefix_pattern=f"{prefix}-*", shards=1, replicas=0),
    )
    day = base.strftime("%Y.%m.%d")
    result = await search.bulk_index(
        [
            (
                f"{prefix}-{day}",
                identity,
                {
                    "@timestamp": (base + timedelta(seconds=n)).isoformat(),
                    "barito": {"app": slug},
                    "message": f"event {n}",
                    "n": n,
                },
            )
            for identity, n in docs
        ]
    )
    assert not result.rejected and not result.retryable
    await search.refresh(f"{prefix}-*")


@pytest.fixture(scope="module")
async def world(stack: Any) -> AsyncIterator[World]:
    index_prefix = f"s{uuid.uuid4().hex[:8]}-"
    search = SearchSettings(url=stack.elasticsearch_url, index_prefix=index_prefix)
    async with market_on_postgres(stack, search=search) as market:
        owner = await market.create_user()
        name = f"moved{uuid.uuid4().hex[:6]}"
        registered = await market.client.post(
            "/api/v1/apps", headers=owner.headers, json={"name": name, "new_group": name}
        )
        assert registered.status_code == 201, registered.text
        slug, group = registered.json()["slug"], registered.json()["group"]
        prefix = f"{index_prefix}{slug}"
        installation = create_search_adapter(search)
        dedicated = create_search_adapter(
            SearchSettings(url=stack.opensearch_url, engine="opensearch")
        )
        try:
            await index(installation, prefix, slug, [(f"id-{n}", n) for n in BEFORE_MOVE])
            await index(dedicated, prefix, slug, [(f"id-{n}", n) for n in [*AFTER_MOVE, DUPLICATE]])
            now = datetime.now(UTC)
            world = World(
                market,
                owner,
                slug,
                group,
                start=(now - timedelta(hours=1)).isoformat(),
                end=(now + timedelta(minutes=5)).isoformat(),
            )
            await world.move_to(cluster_at(stack.opensearch_url))
            yield world
        finally:
            for adapter in (installation, dedicated):
                await adapter.delete_index(f"{prefix}-*")
                await adapter.delete_index_template(template_name(prefix))
                await adapter.close()


def cluster_at(search_url: str) -> ClusterCoordinates:
    return ClusterCoordinates(
        infrastructure_id="dedicated",
        kafka_bootstrap_servers="127.0.0.1:19092",
        search_url=search_url,
        search_engine="opensearch",
    )


def numbers(body: Any) -> list[int]:
    return [hit["source"]["n"] for hit in body["hits"]]


async def test_both_engines_are_searched_merged_in_order_and_a_duplicate_shown_once(
    world: World,
) -> None:
    newest = await world.search(size=100)
    oldest = await world.search(size=100, order="asc")

    assert newest.status_code == 200, newest.text
    # The totals are the engines' own, summed: the rare duplicate is counted twice.
    assert newest.json()["total"] == INDEXED
    assert numbers(newest.json()) == list(reversed(range(12)))
    assert numbers(oldest.json()) == list(range(12))
    buckets = newest.json()["histogram"]["buckets"]
    assert sum(bucket["count"] for bucket in buckets) == INDEXED


async def test_pages_run_across_both_engines(world: World) -> None:
    pages = [(await world.search(size=5, page=page)).json() for page in (1, 2, 3)]

    assert [numbers(page) for page in pages] == [
        [11, 10, 9, 8, 7],
        [6, 5, 4, 3, 2],
        [1, 0],
    ]


async def test_stored_figures_add_up_both_engines(world: World) -> None:
    response = await world.market.client.get(
        f"/api/v1/apps/{world.slug}/status", headers=world.owner.headers
    )

    assert response.status_code == 200, response.text
    stored = response.json()["stored"]
    assert (stored["log_count"], stored["indices"]) == (INDEXED, 2)
    assert stored["bytes_stored"] > 0


async def test_an_engine_that_does_not_answer_makes_the_search_503(
    world: World, stack: Any
) -> None:
    await world.move_to(cluster_at(f"http://127.0.0.1:{free_port()}"))
    try:
        searched = await world.search()
        status = await world.market.client.get(
            f"/api/v1/apps/{world.slug}/status", headers=world.owner.headers
        )
    finally:
        await world.move_to(cluster_at(stack.opensearch_url))

    assert searched.status_code == 503, searched.text
    assert searched.headers["Retry-After"] == "5"
    assert status.status_code == 200
    assert status.json()["stored"] is None
    assert status.json()["stored_error"]
