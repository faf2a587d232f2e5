"""The search adapter against the real Elasticsearch and OpenSearch of the local stack.

Every test runs once per engine; each owns its indices and template, named
with a fresh uuid and removed afterwards.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from barito_common.search import (
    BulkOutcome,
    Engine,
    SearchAdapter,
    SearchRequestError,
    SearchUnavailable,
    create_search_adapter,
)
from barito_common.settings import SearchSettings

UNREACHABLE_URL = "http://127.0.0.1:1"

LOG_MAPPINGS: dict[str, Any] = {
    "properties": {
        "@timestamp": {"type": "date"},
        "message": {"type": "text"},
        "level": {"type": "keyword"},
        "n": {"type": "long"},
    }
}
SINGLE_NODE: dict[str, Any] = {"number_of_shards": 1, "number_of_replicas": 0}


@pytest.fixture(params=["elasticsearch", "opensearch"])
def engine(request: pytest.FixtureRequest) -> Engine:
    engine: Engine = request.param
    return engine


@pytest.fixture
def engine_url(stack: Any, engine: Engine) -> str:
    url: str = stack.elasticsearch_url if engine == "elasticsearch" else stack.opensearch_url
    return url


@pytest.fixture
async def search(engine: Engine, engine_url: str) -> AsyncIterator[SearchAdapter]:
    async with create_search_adapter(SearchSettings(engine=engine, url=engine_url)) as adapter:
        yield adapter


@pytest.fixture
async def prefix(search: SearchAdapter) -> AsyncIterator[str]:
    """A unique index-name prefix; its indices and its template are removed afterwards."""
    name = f"barito-test-{uuid.uuid4().hex[:12]}"
    yield name
    await search.delete_index(f"{name}-*")
    await search.delete_index_template(name)


def log(n: int, message: str = "user logged in", level: str = "info") -> dict[str, Any]:
    return {"@timestamp": "2025-01-31T10:00:00Z", "message": message, "level": level, "n": n}


async def put_log_template(search: SearchAdapter, prefix: str, **settings: Any) -> None:
    await search.put_index_template(
        prefix,
        index_patterns=[f"{prefix}-*"],
        settings={**SINGLE_NODE, **settings},
        mappings=LOG_MAPPINGS,
    )


async def test_ping_succeeds_on_a_running_engine_and_names_it(
    search: SearchAdapter, engine: Engine
) -> None:
    await search.ping()
    assert search.engine == engine
    assert (await search.cluster_health())["status"] in ("green", "yellow")


async def test_bulk_indexed_documents_are_found_by_search(
    search: SearchAdapter, prefix: str
) -> None:
    await put_log_template(search, prefix)
    index = f"{prefix}-2025.01.31"
    docs = [
        (index, "0-1-0", log(1)),
        (index, "0-1-1", log(2, "payment failed", level="error")),
        (index, "0-1-2", log(3, "payment failed again", level="error")),
    ]

    result = await search.bulk_index(docs, refresh=True)

    assert [item.outcome for item in result] == [BulkOutcome.OK] * 3
    assert [(item.index, item.id) for item in result] == [(i, d) for i, d, _ in docs]
    assert result.all_done
    found = await search.search(
        f"{prefix}-*",
        query={"match": {"message": "payment"}},
        sort=[{"n": "desc"}],
        aggs={"levels": {"terms": {"field": "level"}}},
    )
    assert found["total"] == 2
    assert [hit["_id"] for hit in found["hits"]["hits"]] == ["0-1-2", "0-1-1"]
    assert found["aggregations"]["levels"]["buckets"] == [{"key": "error", "doc_count": 2}]
    page = await search.search(index, sort=[{"n": "asc"}], size=1, from_=1)
    assert [hit["_source"]["n"] for hit in page["hits"]["hits"]] == [2]
    assert await search.count(index) == 3
    assert await search.count(index, query={"term": {"level": "error"}}) == 2


async def test_a_search_racing_an_index_being_created_waits_for_its_shards(
    search: SearchAdapter, prefix: str
) -> None:
    """An app's first events (or the day's new index) create an index while
    someone searches the app: the engine answers 503 for shards not yet
    started, which must not reach the user as "the search engine is down"."""
    await put_log_template(search, prefix)
    for day in range(1, 6):
        index = f"{prefix}-2025.02.{day:02d}"
        created = asyncio.Event()

        async def search_until_created(pattern: str, created: asyncio.Event) -> int:
            searches = 0
            while not created.is_set():
                await search.search_body(pattern, {"query": {"match_all": {}}})
                searches += 1
            return searches

        searcher = asyncio.create_task(search_until_created(f"{index}*", created))
        await asyncio.sleep(0.05)
        result = await search.bulk_index([(index, "0-1-0", log(1))], refresh=True)
        created.set()
        assert result.all_done
        assert await searcher > 0
        found = await search.search_body(index, {"query": {"match_all": {}}})
        assert found["total"] == 1


async def test_replaying_ids_with_create_reports_conflicts_and_does_not_duplicate(
    search: SearchAdapter, prefix: str
) -> None:
    index = f"{prefix}-2025.01.31"
    chunk = [(index, f"0-7-{n}", log(n)) for n in range(3)]
    first = await search.bulk_index(chunk, refresh=True)
    assert first.all_done and len(first.ok) == 3

    replay = await search.bulk_index([*chunk, (index, "0-8-0", log(9))], refresh=True)

    assert [item.outcome for item in replay] == [BulkOutcome.CONFLICT] * 3 + [BulkOutcome.OK]
    assert all(item.status == 409 for item in replay.conflicts)
    assert replay.all_done  # a replay is done, nothing to retry or dead-letter
    assert await search.count(index) == 4


async def test_document_conflicting_with_template_mapping_is_rejected_with_engine_reason(
    search: SearchAdapter, prefix: str
) -> None:
    await put_log_template(search, prefix)
    index = f"{prefix}-2025.01.31"
    bad = {**log(0), "n": "not a number"}

    result = await search.bulk_index(
        [(index, "a", log(1)), (index, "b", bad), (index, "c", log(2))], refresh=True
    )

    assert [item.outcome for item in result] == [
        BulkOutcome.OK,
        BulkOutcome.REJECTED,
        BulkOutcome.OK,
    ]
    (rejected,) = result.rejected
    assert rejected.id == "b"
    assert rejected.status == 400
    # Elasticsearch 8 says document_parsing_exception, OpenSearch mapper_parsing_exception.
    assert rejected.error_type in ("document_parsing_exception", "mapper_parsing_exception")
    assert rejected.reason is not None
    assert "failed to parse field [n] of type [long]" in rejected.reason
    assert "not a number" in rejected.reason
    assert not result.all_done
    assert await search.count(index) == 2


async def test_write_blocked_index_reports_documents_retryable_not_rejected(
    search: SearchAdapter, prefix: str
) -> None:
    await put_log_template(search, prefix, **{"index.blocks.write": True})

    result = await search.bulk_index([(f"{prefix}-2025.01.31", "a", log(1))])

    (item,) = result
    assert item.outcome is BulkOutcome.RETRYABLE
    assert item.error_type == "cluster_block_exception"


async def test_a_template_put_without_replace_leaves_an_existing_one_as_it_is(
    search: SearchAdapter, prefix: str, engine_url: str
) -> None:
    first = await search.put_index_template(
        prefix, index_patterns=[f"{prefix}-*"], settings=SINGLE_NODE, mappings=LOG_MAPPINGS
    )
    second = await search.put_index_template(
        prefix,
        index_patterns=[f"{prefix}-*"],
        settings={**SINGLE_NODE, "number_of_shards": 3},
        mappings=LOG_MAPPINGS,
        replace=False,
    )

    assert (first, second) == (True, False)
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{engine_url}/_index_template/{prefix}") as response,
    ):
        [template] = (await response.json())["index_templates"]
    assert (
        template["index_template"]["template"]["settings"]["index"].get("number_of_shards", "1")
        == "1"
    )


async def test_composable_template_applies_its_mappings_to_a_new_index(
    search: SearchAdapter, prefix: str, engine_url: str
) -> None:
    await search.put_index_template(
        prefix,
        index_patterns=[f"{prefix}-*"],
        settings=SINGLE_NODE,
        mappings={"dynamic": "strict", **LOG_MAPPINGS},
        priority=200,
    )
    index = f"{prefix}-2025.02.01"

    result = await search.bulk_index(
        [(index, "a", log(1)), (index, "b", {**log(2), "unmapped": "x"})], refresh=True
    )

    assert [item.outcome for item in result] == [BulkOutcome.OK, BulkOutcome.REJECTED]
    assert result.items[1].error_type == "strict_dynamic_mapping_exception"
    # Read the mapping straight from the engine, not through the adapter under test.
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{engine_url}/{index}/_mapping") as response,
    ):
        mapping = (await response.json())[index]["mappings"]
    assert mapping["dynamic"] == "strict"
    assert mapping["properties"]["n"] == {"type": "long"}
    assert mapping["properties"]["level"] == {"type": "keyword"}


async def test_delete_index_removes_it_and_list_indices_reflects_it(
    search: SearchAdapter, prefix: str
) -> None:
    names = [f"{prefix}-2025.01.{day}" for day in ("29", "30", "31")]
    result = await search.bulk_index([(name, "a", log(1)) for name in names])
    assert result.all_done
    assert await search.list_indices(f"{prefix}-*") == names

    await search.delete_index(names[0])
    assert await search.list_indices(f"{prefix}-*") == names[1:]
    assert await search.list_indices(names[0]) == []

    await search.delete_index(f"{prefix}-*")  # a pattern, refused as such by ES 8
    assert await search.list_indices(f"{prefix}-*") == []
    await search.delete_index(names[0])  # deleting what is gone is not an error


async def test_search_of_missing_index_raises_request_error_with_engine_type(
    search: SearchAdapter, prefix: str
) -> None:
    with pytest.raises(SearchRequestError) as caught:
        await search.search(f"{prefix}-missing")
    assert caught.value.status == 404
    assert caught.value.error_type == "index_not_found_exception"


async def test_ping_on_unreachable_url_raises_search_unavailable(engine: Engine) -> None:
    settings = SearchSettings(engine=engine, url=UNREACHABLE_URL, request_timeout_s=5)
    async with create_search_adapter(settings) as search:
        with pytest.raises(SearchUnavailable) as caught:
            await search.ping()
    assert caught.value.status is None
    assert "127.0.0.1:1" in str(caught.value)


async def test_engine_that_never_answers_times_out_as_search_unavailable(engine: Engine) -> None:
    async def accept_and_stay_silent(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await reader.read()  # until the client gives up and closes
        writer.close()

    server = await asyncio.start_server(accept_and_stay_silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    settings = SearchSettings(engine=engine, url=f"http://127.0.0.1:{port}", request_timeout_s=0.5)
    try:
        async with create_search_adapter(settings) as search:
            with pytest.raises(SearchUnavailable):
                await search.ping()
    finally:
        server.close()
        await server.wait_closed()


async def test_bulk_to_unreachable_engine_reports_every_document_retryable(
    engine: Engine,
) -> None:
    settings = SearchSettings(engine=engine, url=UNREACHABLE_URL, request_timeout_s=5)
    docs = [("barito-test-unreachable", str(n), log(n)) for n in range(3)]
    async with create_search_adapter(settings) as search:
        result = await search.bulk_index(docs)
    assert [item.outcome for item in result] == [BulkOutcome.RETRYABLE] * 3
    assert [item.id for item in result] == ["0", "1", "2"]


async def test_http_nodes_names_each_node_with_the_address_it_answers_on(
    search: SearchAdapter, engine_url: str
) -> None:
    nodes = await search.http_nodes()
    assert len(nodes) == 1
    name, address = nodes[0]
    assert name
    assert address.rsplit(":", 1)[-1] == engine_url.rsplit(":", 1)[-1]
