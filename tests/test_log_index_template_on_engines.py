"""Barito's index template on the real Elasticsearch and OpenSearch, searched as the market does.

The template (``barito_common.search.index_template``) is put as the flow puts
it, documents are built by the flow's ``chunk_documents`` and indexed through
the adapter, and the market's ``LogSearch`` runs the searches its search page
offers. Each test runs once per engine and owns its indices and template.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from barito_common.chunk_codec import Event
from barito_common.search import Engine, SearchAdapter, create_search_adapter
from barito_common.search.index_template import index_template_body, template_name
from barito_common.settings import SearchSettings
from barito_flow.documents import chunk_documents
from barito_market.search.log_query import LogSearch

DAY = datetime(2025, 1, 31, tzinfo=UTC)
SLUG = "shop"
EVENTS: list[tuple[int, dict[str, Any]]] = [
    (0, {"message": "payment failed for order 17", "level": "error", "http": {"status": 500}}),
    (1, {"message": "user logged in", "level": "info", "http": {"status": 200}}),
    (2, {"message": "failed payment retried", "level": "warn", "http": {"status": 502}}),
    (3, {"log": "Traceback (most recent call last):\n  File x\nKeyError: 'id'", "level": "error"}),
    (4, {"message": "payment failed again", "level": "error", "http": {"status": 500}}),
]


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
async def engine_http(stack: Any, engine: Engine) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.search_urls[engine], timeout=30) as client:
        yield client


@pytest.fixture
async def prefix(search: SearchAdapter) -> AsyncIterator[str]:
    """An app's index prefix with Barito's template put, as the flow puts it."""
    name = f"barito-test-{uuid.uuid4().hex[:12]}"
    body = index_template_body(index_prefix_pattern=f"{name}-*", shards=1, replicas=0)
    await search.put_index_template(template_name(name), **body, replace=False)
    yield name
    await search.delete_index(f"{name}-*")
    await search.delete_index_template(template_name(name))


async def index_events(search: SearchAdapter, prefix: str, day: datetime = DAY) -> str:
    """Index :data:`EVENTS` as the flow would on ``day``; return the daily index's name."""
    events = [
        Event(_iso(day + timedelta(hours=10, minutes=minute)), record) for minute, record in EVENTS
    ]
    documents = chunk_documents(
        events=events,
        app_slug=SLUG,
        index_prefix=prefix,
        chunk_id=uuid.uuid4().hex[:16],
        fallback_day=day.date(),
    )
    result = await search.bulk_index([(d.index, d.id, d.source) for d in documents], refresh=True)
    assert result.all_done
    return documents[0].index


def shop_search(prefix: str, **changes: Any) -> LogSearch:
    fields: dict[str, Any] = {
        "index_prefix": prefix,
        "app_slug": SLUG,
        "start": DAY,
        "end": DAY + timedelta(days=2),
        **changes,
    }
    return LogSearch(**fields)


async def found(search: SearchAdapter, request: LogSearch) -> list[str]:
    """The ``message`` (or ``log``) of each hit, in the order the search returns them."""
    answer = await search.search_body(request.index_pattern, request.body())
    return [h["_source"].get("message", h["_source"].get("log")) for h in answer["hits"]["hits"]]


async def test_a_new_daily_index_gets_the_templates_codec_shards_and_mappings(
    search: SearchAdapter, engine_http: httpx.AsyncClient, prefix: str
) -> None:
    index = await index_events(search, prefix)

    settings = (await engine_http.get(f"/{index}/_settings")).json()[index]["settings"]["index"]
    mapping = (await engine_http.get(f"/{index}/_mapping")).json()[index]["mappings"]

    assert settings["codec"] == "best_compression"
    assert (settings["number_of_shards"], settings["number_of_replicas"]) == ("1", "0")
    properties = mapping["properties"]
    assert properties["message"]["type"] == "text"
    assert properties["log"]["type"] == "text"
    assert properties["level"]["type"] == "keyword"
    assert properties["@timestamp"]["type"] == "date"


async def test_the_market_finds_a_phrase_filters_fields_and_sorts_by_time_on_it(
    search: SearchAdapter, prefix: str
) -> None:
    await index_events(search, prefix)

    # A phrase matches its words in order only: "failed payment retried" is not one.
    assert await found(search, shop_search(prefix, text='"payment failed"')) == [
        "payment failed again",
        "payment failed for order 17",
    ]
    assert await found(search, shop_search(prefix, text="KeyError AND Traceback")) == [
        "Traceback (most recent call last):\n  File x\nKeyError: 'id'"
    ]
    assert await found(
        search, shop_search(prefix, filters={"level": "error", "http.status": "500"}, order="asc")
    ) == ["payment failed for order 17", "payment failed again"]
    by_time = await found(search, shop_search(prefix, order="asc"))
    assert by_time == [record.get("message", record.get("log")) for _, record in EVENTS]
    assert await found(search, shop_search(prefix, order="desc")) == by_time[::-1]
    assert await found(search, shop_search(prefix, sort_field="level", order="asc")) == [
        "payment failed again",
        "Traceback (most recent call last):\n  File x\nKeyError: 'id'",
        "payment failed for order 17",
        "user logged in",
        "failed payment retried",
    ]


async def test_an_index_made_before_the_codec_change_is_searched_with_the_new_ones(
    search: SearchAdapter, engine_http: httpx.AsyncClient, prefix: str
) -> None:
    # Yesterday's index was made by the template as it was before best_compression;
    # then the template was replaced (as the provisioner puts it) before today's.
    new = index_template_body(index_prefix_pattern=f"{prefix}-*", shards=1, replicas=0)
    old = {**new, "settings": {k: v for k, v in new["settings"].items() if k != "index.codec"}}
    await search.put_index_template(template_name(prefix), **old)
    yesterday = await index_events(search, prefix, DAY)
    await search.put_index_template(template_name(prefix), **new)
    today = await index_events(search, prefix, DAY + timedelta(days=1))

    codecs = {}
    for name in (yesterday, today):
        answer = (await engine_http.get(f"/{name}/_settings")).json()
        codecs[name] = answer[name]["settings"]["index"].get("codec")
    assert codecs == {yesterday: None, today: "best_compression"}
    phrase = await found(search, shop_search(prefix, text='"payment failed for order"'))
    assert phrase == ["payment failed for order 17", "payment failed for order 17"]
    assert len(await found(search, shop_search(prefix, filters={"level": "error"}))) == 6


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
