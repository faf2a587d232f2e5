"""Delete-by-query as an engine task, and in batches, on the real Elasticsearch and OpenSearch.

Every test runs once per engine and owns its indices (a fresh uuid prefix).
The engine-task tests skip on an engine without the reindex module (the local
stack's integ-test zips): there the adapter must say so, which is tested too.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from barito_common.search import (
    Engine,
    SearchAdapter,
    SearchRequestError,
    create_search_adapter,
)
from barito_common.search.delete_requests import DeleteByQueryUnsupported, DeleteTaskStatus
from barito_common.settings import SearchSettings


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
        settings={"number_of_shards": 2, "number_of_replicas": 0},
        mappings={"properties": {"level": {"type": "keyword"}, "n": {"type": "long"}}},
    )
    yield name
    await search.delete_index(f"{name}-*")
    await search.delete_index_template(name)


async def started(search: SearchAdapter, index: str, query: dict[str, Any]) -> str:
    try:
        return await search.start_delete_by_query(index, query=query)
    except DeleteByQueryUnsupported as err:
        pytest.skip(str(err))


async def finished(search: SearchAdapter, task_id: str) -> DeleteTaskStatus:
    async with asyncio.timeout(60):
        while not (status := await search.delete_task_status(task_id)).completed:
            await asyncio.sleep(0.1)
    return status


async def test_a_started_delete_by_query_removes_only_matching_documents_and_reports_its_count(
    search: SearchAdapter, prefix: str
) -> None:
    docs = [
        (f"{prefix}-a", f"d{n}", {"level": "error" if n % 4 == 0 else "info", "n": n})
        for n in range(40)
    ]
    assert len((await search.bulk_index(docs)).ok) == 40
    await search.refresh(f"{prefix}-*")

    task_id = await started(search, f"{prefix}-*", {"term": {"level": "error"}})

    status = await finished(search, task_id)
    assert (status.total, status.deleted, status.error) == (10, 10, None)
    # refresh=true: what went is gone from searches at once.
    assert await search.count(f"{prefix}-*") == 30
    assert await search.count(f"{prefix}-*", query={"term": {"level": "error"}}) == 0


async def test_a_finished_task_is_still_found_by_its_id(search: SearchAdapter, prefix: str) -> None:
    await search.bulk_index([(f"{prefix}-a", "x", {"level": "info", "n": 1})])
    await search.refresh(f"{prefix}-a")
    task_id = await started(search, f"{prefix}-a", {"match_all": {}})
    await finished(search, task_id)

    again = await search.delete_task_status(task_id)

    assert (again.completed, again.deleted, again.error) == (True, 1, None)


async def test_a_pattern_matching_no_index_deletes_nothing_without_failing(
    search: SearchAdapter, prefix: str
) -> None:
    task_id = await started(search, f"{prefix}-none-*", {"match_all": {}})

    status = await finished(search, task_id)

    assert (status.deleted, status.error) == (0, None)


async def test_an_unknown_task_id_is_a_request_error(search: SearchAdapter) -> None:
    with pytest.raises(SearchRequestError):
        await search.delete_task_status("nonode:123456789")


async def test_an_engine_without_delete_by_query_says_so_or_starts_a_task(
    search: SearchAdapter, prefix: str
) -> None:
    try:
        task_id = await search.start_delete_by_query(f"{prefix}-*", query={"match_all": {}})
    except DeleteByQueryUnsupported as err:
        assert "reindex module" in str(err)
    else:
        assert (await finished(search, task_id)).error is None


async def test_batches_delete_only_matching_documents_until_none_is_left(
    search: SearchAdapter, prefix: str
) -> None:
    docs = [
        (f"{prefix}-{'a' if n % 2 else 'b'}", f"d{n}", {"level": "error" if n % 3 else "info"})
        for n in range(45)
    ]
    assert len((await search.bulk_index(docs)).ok) == 45
    await search.refresh(f"{prefix}-*")
    errors = await search.count(f"{prefix}-*", query={"term": {"level": "error"}})

    batches = []
    while deleted := await search.delete_matching_batch(
        f"{prefix}-*", query={"term": {"level": "error"}}, size=7
    ):
        batches.append(deleted)

    assert sum(batches) == errors == 30
    assert max(batches) == 7
    assert await search.count(f"{prefix}-*") == 15


async def test_a_batch_over_a_pattern_matching_no_index_deletes_nothing(
    search: SearchAdapter, prefix: str
) -> None:
    assert await search.delete_matching_batch(f"{prefix}-none-*", query={"match_all": {}}) == 0


class _CannedTasks:
    """The tasks API of a client, answering one canned body (the engines' documented shapes)."""

    def __init__(self, body: dict[str, Any]) -> None:
        self._body = body

    async def get(self, *, task_id: str) -> dict[str, Any]:
        return self._body


class _CannedClient:
    def __init__(self, body: dict[str, Any]) -> None:
        self.tasks = _CannedTasks(body)


def canned(body: dict[str, Any]) -> SearchAdapter:
    from barito_common.search.opensearch_adapter import OpenSearchAdapter

    return OpenSearchAdapter(_CannedClient(body), settings=SearchSettings(engine="opensearch"))


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"completed": False, "task": {"status": {"total": 100, "deleted": 40}}},
            DeleteTaskStatus(False, 100, 40),
        ),
        (
            {
                "completed": True,
                "task": {"status": {"total": 100, "deleted": 100}},
                "response": {"total": 100, "deleted": 100, "failures": []},
            },
            DeleteTaskStatus(True, 100, 100),
        ),
        (
            {
                "completed": True,
                "response": {
                    "total": 100,
                    "deleted": 60,
                    "failures": [
                        {"index": "i", "cause": {"type": "x", "reason": "rejected execution"}}
                    ],
                },
            },
            DeleteTaskStatus(True, 100, 60, "rejected execution"),
        ),
        (
            {"completed": True, "error": {"type": "task_cancelled_exception", "reason": "stop"}},
            DeleteTaskStatus(True, 0, 0, "stop"),
        ),
    ],
)
async def test_a_tasks_answer_reads_as_progress_or_the_engines_reason(
    body: dict[str, Any], expected: DeleteTaskStatus
) -> None:
    assert await canned(body).delete_task_status("n:1") == expected
