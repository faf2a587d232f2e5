"""Each index's documents, bytes and creation time, against real Elasticsearch and OpenSearch.

The figures must be the engine's own: what ``_cat/indices`` says about the
same index (``pri.store.size``, ``store.size``, ``creation.date``).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from barito_common.search import Engine, SearchAdapter, create_search_adapter
from barito_common.settings import SearchSettings


@pytest.fixture(params=["elasticsearch", "opensearch"])
def engine(request: pytest.FixtureRequest) -> Engine:
    engine: Engine = request.param
    return engine


@pytest.fixture
async def search(stack: Any, engine: Engine) -> AsyncIterator[SearchAdapter]:
    settings = SearchSettings(engine=engine, url=stack.search_urls[engine])
    async with create_search_adapter(settings) as adapter:
        yield adapter


@pytest.fixture
async def prefix(search: SearchAdapter) -> AsyncIterator[str]:
    name = f"barito-test-{uuid.uuid4().hex[:12]}"
    await search.put_index_template(
        name,
        index_patterns=[f"{name}-*"],
        settings={"number_of_shards": 1, "number_of_replicas": 0},
        mappings={"properties": {"message": {"type": "text"}}},
    )
    yield name
    await search.delete_index(f"{name}-*")
    await search.delete_index_template(name)


async def cat_indices(url: str, pattern: str) -> dict[str, dict[str, str]]:
    async with httpx.AsyncClient(base_url=url) as client:
        response = await client.get(
            f"/_cat/indices/{pattern}",
            params={
                "format": "json",
                "bytes": "b",
                "h": "index,docs.count,pri.store.size,store.size,creation.date",
            },
        )
    response.raise_for_status()
    return {row["index"]: row for row in response.json()}


async def test_stats_are_the_engines_own_figures_for_each_index_of_the_pattern(
    stack: Any, engine: Engine, search: SearchAdapter, prefix: str
) -> None:
    before = datetime.now(UTC) - timedelta(seconds=5)
    documents = [
        (f"{prefix}-shop-2025.01.30", f"a{n}", {"message": f"first day {n} " + "x" * 200})
        for n in range(40)
    ] + [(f"{prefix}-shop-2025.01.31", f"b{n}", {"message": f"second day {n}"}) for n in range(7)]
    assert (await search.bulk_index(documents, refresh=True)).all_done
    # Flushed, so the store sizes are settled and the two reads agree.
    async with httpx.AsyncClient(base_url=stack.search_urls[engine]) as client:
        (await client.post(f"/{prefix}-*/_flush")).raise_for_status()

    stats = await search.index_stats(f"{prefix}-shop-*")
    cat = await cat_indices(stack.search_urls[engine], f"{prefix}-shop-*")

    assert sorted(stats) == [f"{prefix}-shop-2025.01.30", f"{prefix}-shop-2025.01.31"]
    assert stats[f"{prefix}-shop-2025.01.30"].documents == 40
    assert stats[f"{prefix}-shop-2025.01.31"].documents == 7
    for name, figures in stats.items():
        assert figures.primary_bytes == int(cat[name]["pri.store.size"])
        assert figures.total_bytes == int(cat[name]["store.size"])
        assert figures.primary_bytes > 0
        created = datetime.fromtimestamp(int(cat[name]["creation.date"]) / 1000, UTC)
        assert figures.created_at == created
        assert figures.created_at is not None and figures.created_at >= before
    assert (
        stats[f"{prefix}-shop-2025.01.30"].primary_bytes
        > stats[f"{prefix}-shop-2025.01.31"].primary_bytes
    )


async def test_several_patterns_in_one_call_and_a_missing_name_gives_nothing(
    search: SearchAdapter, prefix: str
) -> None:
    documents = [(f"{prefix}-{app}-2025.01.31", "0", {"message": app}) for app in ("a", "b", "c")]
    assert (await search.bulk_index(documents, refresh=True)).all_done

    both = await search.index_stats(f"{prefix}-a-*,{prefix}-c-*")

    assert sorted(both) == [f"{prefix}-a-2025.01.31", f"{prefix}-c-2025.01.31"]
    assert await search.index_stats(f"{prefix}-none-2025.01.31") == {}
    assert await search.index_stats(f"{prefix}-none-*") == {}
