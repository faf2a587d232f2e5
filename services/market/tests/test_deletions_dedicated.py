"""Deleting a dedicated group's app's logs: on its cluster's engine and the installation's.

The installation's engine is the stack's Elasticsearch, the group's cluster
the stack's OpenSearch; each holds part of the app's logs (before and after
the move), indexed straight into it with the flow's index template.
"""

from __future__ import annotations

import asyncio
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

DAY = datetime(2025, 3, 10, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@dataclass
class World:
    market: Market
    owner: MarketUser
    slug: str
    prefix: str
    engines: dict[str, SearchAdapter]

    async def index(self, engine: str, hours: range) -> None:
        moments = [DAY + timedelta(hours=h) for h in hours]
        result = await self.engines[engine].bulk_index(
            [
                (
                    f"{self.prefix}-{moment:%Y.%m.%d}",
                    uuid.uuid4().hex,
                    {"@timestamp": iso(moment), "barito": {"app": self.slug}, "h": moment.hour},
                )
                for moment in moments
            ],
            refresh=True,
        )
        assert len(result.ok) == len(moments)

    async def total(self, start: datetime, end: datetime) -> int:
        response = await self.market.client.get(
            f"/api/v1/apps/{self.slug}/logs",
            params={"start": iso(start), "end": iso(end), "size": 1},
            headers=self.owner.headers,
        )
        assert response.status_code == 200, response.text
        total: int = response.json()["total"]
        return total

    async def delete(self, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        path = f"/api/v1/apps/{self.slug}/deletions"
        preview = await self.market.client.post(
            f"{path}/preview", json=body, headers=self.owner.headers
        )
        assert preview.status_code == 200, preview.text
        created = await self.market.client.post(path, json=body, headers=self.owner.headers)
        assert created.status_code == 202, created.text
        async with asyncio.timeout(60):
            while True:
                job = await self.market.client.get(
                    f"{path}/{created.json()['id']}", headers=self.owner.headers
                )
                if job.json()["state"] in ("done", "failed"):
                    return preview.json(), job.json()
                await asyncio.sleep(0.1)


@pytest.fixture(scope="module")
async def world(stack: Any) -> AsyncIterator[World]:
    index_prefix = f"d{uuid.uuid4().hex[:8]}-"
    search = SearchSettings(url=stack.elasticsearch_url, index_prefix=index_prefix)
    async with market_on_postgres(stack, search=search, deletion_poll_interval_s=0.1) as market:
        owner = await market.create_user()
        name = f"moved{uuid.uuid4().hex[:6]}"
        registered = await market.client.post(
            "/api/v1/apps", headers=owner.headers, json={"name": name, "new_group": name}
        )
        assert registered.status_code == 201, registered.text
        slug, group = registered.json()["slug"], registered.json()["group"]
        prefix = f"{index_prefix}{slug}"
        engines = {
            "installation": create_search_adapter(search),
            "cluster": create_search_adapter(
                SearchSettings(url=stack.opensearch_url, engine="opensearch")
            ),
        }
        try:
            for adapter in engines.values():
                await adapter.put_index_template(
                    template_name(prefix),
                    **index_template_body(index_prefix_pattern=f"{prefix}-*", shards=1, replicas=0),
                )
            async with market.sessionmaker() as session, session.begin():
                row = await session.scalar(
                    select(Infrastructure)
                    .join(AppGroup, AppGroup.id == Infrastructure.group_id)
                    .where(AppGroup.slug == group)
                )
                assert row is not None
                row.placement = Placement.DEDICATED
                row.cluster = ClusterCoordinates(
                    infrastructure_id="dedicated",
                    kafka_bootstrap_servers=stack.kafka_bootstrap,
                    search_url=stack.opensearch_url,
                    search_engine="opensearch",
                ).model_dump(mode="json")
            yield World(market, owner, slug, prefix, engines)
        finally:
            for adapter in engines.values():
                await adapter.delete_index(f"{prefix}-*")
                await adapter.delete_index_template(template_name(prefix))
                await adapter.close()


async def test_a_range_is_deleted_on_both_engines(world: World) -> None:
    await world.index("installation", range(0, 6))
    await world.index("cluster", range(6, 12))
    start, end = DAY + timedelta(hours=3), DAY + timedelta(hours=9)

    preview, job = await world.delete({"start": iso(start), "end": iso(end)})

    assert preview == {"count": 6, "whole_indices": []}
    assert (job["state"], job["total"], job["deleted"]) == ("done", 6, 6)
    assert await world.total(DAY, DAY + timedelta(hours=12)) == 6
    assert await world.engines["installation"].count(f"{world.prefix}-*") == 3
    assert await world.engines["cluster"].count(f"{world.prefix}-*") == 3


async def test_a_covered_day_is_dropped_on_both_engines(world: World) -> None:
    day = DAY + timedelta(days=1)
    for engine in world.engines:
        await world.index(engine, range(24, 30))
    index = f"{world.prefix}-{day:%Y.%m.%d}"

    preview, job = await world.delete({"start": iso(day), "end": iso(day + timedelta(days=1))})

    assert preview == {"count": 12, "whole_indices": [index]}
    assert (job["state"], job["deleted"], job["dropped_indices"]) == ("done", 12, [index])
    for adapter in world.engines.values():
        assert await adapter.list_indices(index) == []
