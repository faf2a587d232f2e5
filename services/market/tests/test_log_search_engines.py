"""A log search against the real Elasticsearch and OpenSearch: scoped, paged, counted.

Each test runs once per engine and owns its indices (a fresh uuid prefix).
The mapping is the one the flow's index template gives ``barito.app``: a keyword.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from barito_common.search import (
    Engine,
    SearchAdapter,
    SearchRequestError,
    create_search_adapter,
)
from barito_common.search.app_indices import delete_app_indices, list_app_indices
from barito_common.settings import SearchSettings
from barito_market.search.log_query import LogSearch

DAY = datetime(2025, 1, 31, tzinfo=UTC)
MAPPINGS: dict[str, Any] = {
    "dynamic_templates": [
        {"strings_as_keywords": {"match_mapping_type": "string", "mapping": {"type": "keyword"}}}
    ],
    "properties": {
        "@timestamp": {"type": "date"},
        "message": {"type": "text"},
        "barito": {"properties": {"app": {"type": "keyword"}}},
    },
}


@pytest.fixture(params=["elasticsearch", "opensearch"])
async def search(stack: Any, request: pytest.FixtureRequest) -> AsyncIterator[SearchAdapter]:
    engine: Engine = request.param
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
        mappings=MAPPINGS,
    )
    yield name
    await search.delete_index(f"{name}-*")
    await search.delete_index_template(name)


def event(slug: str, minute: int, message: str, **fields: Any) -> dict[str, Any]:
    moment = DAY + timedelta(hours=10, minutes=minute)
    return {
        "@timestamp": moment.isoformat().replace("+00:00", "Z"),
        "message": message,
        "barito": {"app": slug},
        **fields,
    }


async def index_shop_and_its_nested_neighbour(search: SearchAdapter, prefix: str) -> None:
    """``shop`` and ``shop-api``: the second's indices match the first's pattern."""
    shop, api = f"{prefix}-shop", f"{prefix}-shop-api"
    docs = [
        (f"{shop}-2025.01.31", "s0", event("shop", 0, "payment failed", level="error")),
        (f"{shop}-2025.01.31", "s1", event("shop", 1, "user logged in", level="info")),
        (f"{shop}-2025.01.31", "s2", event("shop", 2, "payment ok", level="info")),
        (f"{api}-2025.01.31", "a0", event("shop-api", 0, "payment secret of api")),
        (f"{prefix}-other-2025.01.31", "o0", event("other", 0, "payment of other")),
    ]
    result = await search.bulk_index(docs, refresh=True)
    assert result.all_done


def shop_search(prefix: str, **changes: Any) -> LogSearch:
    fields: dict[str, Any] = {
        "index_prefix": f"{prefix}-shop",
        "app_slug": "shop",
        "start": DAY + timedelta(hours=10),
        "end": DAY + timedelta(hours=11),
        **changes,
    }
    return LogSearch(**fields)


async def messages(search: SearchAdapter, request: LogSearch) -> list[str]:
    found = await search.search_body(request.index_pattern, request.body())
    return [hit["_source"]["message"] for hit in found["hits"]["hits"]]


@pytest.mark.parametrize(
    "text",
    [
        None,
        "*",
        "payment",
        "_index:*other* OR _index:*api*",
        "barito.app:shop-api OR barito.app:other",
        "message:secret",
        "NOT barito.app:shop",
    ],
)
async def test_no_query_text_reaches_another_apps_logs(
    search: SearchAdapter, prefix: str, text: str | None
) -> None:
    await index_shop_and_its_nested_neighbour(search, prefix)

    try:
        found = await messages(search, shop_search(prefix, text=text))
    except SearchRequestError as refused:
        # Refusing the query (a leading wildcard is not allowed) also keeps it in.
        assert refused.status == 400
        found = []

    assert set(found) <= {"payment failed", "user logged in", "payment ok"}


async def test_query_text_filters_sort_and_pages_select_the_apps_events(
    search: SearchAdapter, prefix: str
) -> None:
    await index_shop_and_its_nested_neighbour(search, prefix)

    assert await messages(search, shop_search(prefix)) == [
        "payment ok",
        "user logged in",
        "payment failed",
    ]
    assert await messages(search, shop_search(prefix, text="payment")) == [
        "payment ok",
        "payment failed",
    ]
    assert await messages(search, shop_search(prefix, filters={"level": "info"})) == [
        "payment ok",
        "user logged in",
    ]
    assert await messages(search, shop_search(prefix, order="asc", size=1, page=2)) == [
        "user logged in"
    ]
    by_level = shop_search(prefix, sort_field="level", order="asc")
    assert await messages(search, by_level) == ["payment failed", "payment ok", "user logged in"]


async def test_total_and_histogram_count_the_whole_match_not_the_page(
    search: SearchAdapter, prefix: str
) -> None:
    await index_shop_and_its_nested_neighbour(search, prefix)
    request = shop_search(prefix, size=1)

    found = await search.search_body(request.index_pattern, request.body())
    histogram = request.histogram(found)

    assert found["total"] == 3
    assert len(found["hits"]["hits"]) == 1
    assert [(b.start.minute, b.count) for b in histogram if b.count] == [(0, 1), (1, 1), (2, 1)]
    assert len(histogram) == 60


async def test_an_app_without_indices_gets_an_empty_answer(
    search: SearchAdapter, prefix: str
) -> None:
    request = shop_search(prefix, text="payment")

    found = await search.search_body(request.index_pattern, request.body())

    assert found["total"] == 0
    assert found["hits"]["hits"] == []
    assert sum(bucket.count for bucket in request.histogram(found)) == 0


async def test_a_malformed_query_string_is_refused_with_the_engines_reason(
    search: SearchAdapter, prefix: str
) -> None:
    await index_shop_and_its_nested_neighbour(search, prefix)
    request = shop_search(prefix, text="payment AND (")

    with pytest.raises(SearchRequestError) as caught:
        await search.search_body(request.index_pattern, request.body())

    assert caught.value.status == 400
    # The reason is the parser's own sentence, one line, without the engine's address.
    assert "Cannot parse 'payment AND ('" in caught.value.reason
    assert "\n" not in caught.value.reason
    assert "127.0.0.1" not in caught.value.reason


async def test_index_sizes_count_documents_and_bytes_per_index(
    search: SearchAdapter, prefix: str
) -> None:
    await index_shop_and_its_nested_neighbour(search, prefix)

    sizes = await search.index_sizes(f"{prefix}-shop-*")

    assert set(sizes) == {f"{prefix}-shop-2025.01.31", f"{prefix}-shop-api-2025.01.31"}
    assert sizes[f"{prefix}-shop-2025.01.31"].documents == 3
    assert sizes[f"{prefix}-shop-2025.01.31"].bytes > 0
    assert await search.index_sizes(f"{prefix}-nothing-*") == {}
    assert await search.index_sizes(f"{prefix}-nothing") == {}


async def test_deleting_an_apps_indices_leaves_those_of_an_app_whose_slug_extends_it(
    search: SearchAdapter, prefix: str
) -> None:
    await index_shop_and_its_nested_neighbour(search, prefix)
    shop, api = f"{prefix}-shop", f"{prefix}-shop-api"

    assert await list_app_indices(search, shop) == [f"{shop}-2025.01.31"]
    assert await delete_app_indices(search, shop) == [f"{shop}-2025.01.31"]

    assert await search.list_indices(f"{shop}-*") == [f"{api}-2025.01.31"]
    assert await search.count(f"{api}-*") == 1
