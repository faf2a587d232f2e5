"""The market's own storage loop, started by its lifespan, trims a group over its limit."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from barito_common.search import create_search_adapter
from barito_common.search.index_template import index_template_body, template_name
from barito_common.settings import SearchSettings
from barito_market.storage.checks import check_storage_once, storage_lock
from barito_testing.market import Market, market_on_postgres


@pytest.fixture(scope="module")
async def market(stack: Any) -> AsyncIterator[Market]:
    search = SearchSettings(url=stack.elasticsearch_url, index_prefix=f"l{uuid.uuid4().hex[:8]}-")
    async with market_on_postgres(stack, search=search, storage_check_interval_s=0.2) as market:
        yield market


async def test_the_running_loop_drops_an_over_limit_groups_oldest_index_and_keeps_todays(
    market: Market,
) -> None:
    owner, superadmin = await market.create_user(), await market.create_user(superadmin=True)
    name = f"shop{uuid.uuid4().hex[:6]}"
    made = await market.client.post(
        "/api/v1/apps", headers=owner.headers, json={"name": name, "new_group": name}
    )
    assert made.status_code == 201, made.text
    slug, group = made.json()["slug"], made.json()["group"]
    prefix = f"{market.settings.search.index_prefix}{slug}"
    now = datetime.now(UTC)
    yesterday = f"{prefix}-{now - timedelta(days=1):%Y.%m.%d}"
    today = f"{prefix}-{now:%Y.%m.%d}"
    async with create_search_adapter(market.settings.search) as search:
        try:
            await search.put_index_template(
                template_name(prefix),
                **index_template_body(index_prefix_pattern=f"{prefix}-*", shards=1, replicas=0),
            )
            written = await search.bulk_index(
                [(index, "0", {"message": "a log"}) for index in (yesterday, today)], refresh=True
            )
            assert written.all_done

            limited = await market.client.patch(
                f"/api/v1/groups/{group}/storage",
                headers=superadmin.headers,
                json={"limit_bytes": 1},
            )
            assert limited.status_code == 200, limited.text

            async with asyncio.timeout(30):
                while not (body := limited.json())["drops"]:
                    await asyncio.sleep(0.2)
                    limited = await market.client.get(
                        f"/api/v1/groups/{group}/storage", headers=owner.headers
                    )
            assert [drop["index"] for drop in body["drops"]] == [yesterday]
            assert await search.list_indices(f"{prefix}-*") == [today]
        finally:
            await search.delete_index(f"{prefix}-*")
            await search.delete_index_template(template_name(prefix))


async def test_while_one_replica_holds_the_storage_lock_another_skips_its_pass(
    market: Market,
) -> None:
    async def check() -> object:
        return await check_storage_once(
            market.sessionmaker,
            market.app.state.search_engines,
            market.app.state.templates,
            market.settings,
        )

    async with asyncio.timeout(30):
        while True:
            # The market's own loop may be in a pass: wait for the lock like a replica would.
            async with storage_lock(market.sessionmaker) as held:
                if held:
                    assert await check() is None
                    break
            await asyncio.sleep(0.05)
    async with asyncio.timeout(30):
        while await check() is None:
            await asyncio.sleep(0.05)
