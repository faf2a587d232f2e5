"""Log search on a real market, receiver, flow, Kafka, Postgres and Elasticsearch.

Two groups: "ours" with the app ``<x>`` and "theirs" with ``<x>-api``, whose
indices match ours' index pattern. Whatever query text a caller sends, it
finds only the logs of the app it asked for, and only if it may read it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from barito_testing.flow import Pipeline
from barito_testing.market import Market, MarketUser
from barito_testing.market_pipeline import RegisteredApp, market_with_pipeline, register, send

ROLES = ("superadmin", "owner", "admin", "member", "outsider", "anonymous")
OURS = 30
THEIRS = 5


@dataclass
class World:
    market: Market
    users: dict[str, MarketUser]
    ours: RegisteredApp
    theirs: RegisteredApp
    start: str
    end: str

    def headers(self, role: str) -> dict[str, str]:
        return {} if role == "anonymous" else self.users[role].headers

    async def search(self, role: str, slug: str | None = None, **params: Any) -> Any:
        query = {"start": self.start, "end": self.end, **params}
        return await self.market.client.get(
            f"/api/v1/apps/{slug or self.ours.slug}/logs",
            params=query,
            headers=self.headers(role),
        )


@pytest.fixture(scope="module")
async def running(stack: Any) -> AsyncIterator[tuple[Market, Pipeline]]:
    async with market_with_pipeline(stack) as running:
        yield running


@pytest.fixture(scope="module")
async def world(running: tuple[Market, Pipeline]) -> World:
    market, data_path = running
    users = {role: await market.create_user() for role in ("owner", "admin", "member", "outsider")}
    users["superadmin"] = await market.create_user(superadmin=True)
    ours = await register(market, users["owner"], f"ours{uuid.uuid4().hex[:6]}")
    for role in ("admin", "member"):
        added = await market.client.put(
            f"/api/v1/groups/{ours.group}/members",
            headers=users["owner"].headers,
            json={"email": users[role].email, "role": role},
        )
        assert added.status_code == 200, added.text
    # The outsider owns the other group; its app's slug extends ours.
    theirs = await register(market, users["outsider"], f"{ours.slug}-api")
    assert theirs.slug.startswith(f"{ours.slug}-")
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    await send(
        data_path,
        ours,
        [
            {
                "time": (base + timedelta(seconds=n)).isoformat().replace("+00:00", "Z"),
                "message": f"payment {'failed' if n % 3 == 0 else 'ok'} order {n}",
                "level": "error" if n % 3 == 0 else "info",
                "n": n,
            }
            for n in range(OURS)
        ],
    )
    await send(
        data_path,
        theirs,
        [{"message": "secret of theirs payment failed", "level": "error"}] * THEIRS,
    )
    world = World(
        market,
        users,
        ours,
        theirs,
        start=(base - timedelta(minutes=5)).isoformat(),
        end=(datetime.now(UTC) + timedelta(minutes=5)).isoformat(),
    )
    async with asyncio.timeout(90):
        while True:
            mine = (await world.search("owner")).json()
            other = (await world.search("outsider", slug=theirs.slug)).json()
            if mine.get("total") == OURS and other.get("total") == THEIRS:
                return world
            await asyncio.sleep(0.5)


@pytest.mark.parametrize("role", ROLES)
async def test_search_answers_each_caller_with_the_exact_status(world: World, role: str) -> None:
    response = await world.search(role)

    expected = {"outsider": 404, "anonymous": 401}.get(role, 200)
    assert response.status_code == expected, response.text
    if expected == 200:
        assert response.json()["total"] == OURS
    else:
        assert response.json()["error"]["message"]


async def test_events_come_newest_first_with_a_histogram_of_every_match(world: World) -> None:
    response = await world.search("member", size=5)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == OURS
    assert [hit["source"]["n"] for hit in body["hits"]] == [29, 28, 27, 26, 25]
    assert all(hit["source"]["barito"]["app"] == world.ours.slug for hit in body["hits"])
    assert sum(bucket["count"] for bucket in body["histogram"]["buckets"]) == OURS
    assert len(body["histogram"]["buckets"]) <= 61


async def test_query_text_filters_sort_and_pages_narrow_the_apps_events(world: World) -> None:
    failed = (await world.search("member", q="failed", size=100)).json()
    errors = (await world.search("member", filter="level:error", size=100)).json()
    both = (await world.search("member", q="payment AND order", filter="n:3")).json()
    page_two = (await world.search("member", order="asc", size=10, page=2)).json()
    by_level = (await world.search("member", sort="level", order="asc", size=1)).json()

    assert failed["total"] == 10
    assert {hit["source"]["level"] for hit in failed["hits"]} == {"error"}
    assert errors["total"] == 10
    assert [hit["source"]["n"] for hit in both["hits"]] == [3]
    assert [hit["source"]["n"] for hit in page_two["hits"]] == list(range(10, 20))
    assert by_level["hits"][0]["source"]["level"] == "error"


@pytest.mark.parametrize(
    "query",
    [
        "*",
        "secret",
        "theirs",
        f"barito.app:{'{theirs}'}",
        "_index:*api*",
        "_index:e* OR barito.app:*",
        "NOT barito.app:{ours}",
        "message:secret OR level:error",
        "*:*",
        "_id:*",
    ],
)
async def test_no_query_string_reaches_the_other_groups_logs(world: World, query: str) -> None:
    text = query.replace("{theirs}", world.theirs.slug).replace("{ours}", world.ours.slug)

    response = await world.search("owner", q=text, size=500)

    # Refusing a query (a leading wildcard) keeps it in as well as answering it does.
    assert response.status_code in (200, 400), response.text
    if response.status_code == 200:
        hits = response.json()["hits"]
        assert {hit["source"]["barito"]["app"] for hit in hits} <= {world.ours.slug}
        assert not any("theirs" in hit["source"]["message"] for hit in hits)


async def test_a_filter_naming_another_app_or_index_finds_nothing_or_is_refused(
    world: World,
) -> None:
    by_app = await world.search("owner", filter=f"barito.app:{world.theirs.slug}")
    by_index = await world.search("owner", filter="_index:anything")

    assert by_app.status_code == 200
    assert by_app.json()["total"] == 0
    assert by_index.status_code == 422
    assert "filter" in by_index.json()["error"]["message"]


async def test_the_outsider_sees_its_own_app_only(world: World) -> None:
    theirs = await world.search("outsider", slug=world.theirs.slug, q="*", size=100)

    assert theirs.status_code == 200
    assert theirs.json()["total"] == THEIRS
    assert {hit["source"]["barito"]["app"] for hit in theirs.json()["hits"]} == {world.theirs.slug}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"end": "2020-01-01T00:00:00Z", "start": "2020-01-02T00:00:00Z"}, "end"),
        ({"start": "2020-01-01T00:00:00"}, "start"),
        ({"start": "yesterday"}, "start"),
        ({"sort": "_index"}, "sort"),
        ({"sort": "message"}, "sort"),
        ({"size": "501"}, "size"),
        ({"size": "0"}, "size"),
        ({"page": "41", "size": "250"}, "page"),
        ({"order": "sideways"}, "order"),
        ({"filter": "level"}, "filter"),
    ],
)
async def test_invalid_search_input_is_422_naming_the_field(
    world: World, params: dict[str, str], field: str
) -> None:
    response = await world.market.client.get(
        f"/api/v1/apps/{world.ours.slug}/logs",
        params={"start": world.start, "end": world.end, **params},
        headers=world.headers("member"),
    )

    assert response.status_code == 422, response.text
    assert field in response.json()["error"]["message"]


async def test_a_malformed_query_string_is_a_400_with_the_engines_reason(world: World) -> None:
    response = await world.search("member", q="payment AND (failed")

    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "bad_query"
    assert "Cannot parse" in error["message"]


async def test_an_app_without_logs_yet_gets_an_empty_page_not_an_error(
    world: World, running: tuple[Market, Pipeline]
) -> None:
    quiet = await register(running[0], world.users["owner"], f"quiet{uuid.uuid4().hex[:6]}")

    response = await world.search("owner", slug=quiet.slug, q="anything")

    assert response.status_code == 200, response.text
    assert response.json()["total"] == 0
    assert response.json()["hits"] == []
