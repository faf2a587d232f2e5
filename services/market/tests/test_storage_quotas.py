"""Storage quotas per group on a real market, Postgres and both search engines.

Each engine gets its own market (its own database and index prefix). The
indices are written straight into the engine under the names the flow gives
them (``<index_prefix><slug>-YYYY.MM.DD``); the storage check is driven by
calling its one pass, with "now" fixed for the test.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from barito_common.schemas import ClusterCoordinates, Placement
from barito_common.search import Engine, SearchAdapter, create_search_adapter
from barito_common.search.index_template import index_template_body, template_name
from barito_common.settings import SearchSettings
from barito_market.models import AppGroup, AuditEntry, Infrastructure
from barito_market.storage.checks import GroupCheck, check_storage_once
from barito_testing.market import Market, MarketUser, market_on_postgres
from barito_testing.stack import shipped_templates
from barito_testing.webhook_receiver import webhook_receiver

INSTALLATION_KEY = "the storage quota tests' installation key, 48 chars"


@pytest.fixture(scope="module", params=["elasticsearch", "opensearch"])
def engine(request: pytest.FixtureRequest) -> Engine:
    engine: Engine = request.param
    return engine


@pytest.fixture(scope="module")
async def market(stack: Any, engine: Engine) -> AsyncIterator[Market]:
    search = SearchSettings(
        engine=engine, url=stack.search_urls[engine], index_prefix=f"q{uuid.uuid4().hex[:8]}-"
    )
    async with market_on_postgres(
        stack, search=search, installation_key=INSTALLATION_KEY, storage_check_interval_s=3600
    ) as market:
        yield market


@pytest.fixture(scope="module")
async def search(market: Market) -> AsyncIterator[SearchAdapter]:
    settings = market.settings.search
    async with create_search_adapter(settings) as adapter:
        prefix = settings.index_prefix.rstrip("-")
        await adapter.put_index_template(
            template_name(prefix),
            **index_template_body(index_prefix_pattern=f"{prefix}-*", shards=1, replicas=0),
        )
        yield adapter
        await adapter.delete_index(f"{prefix}-*")
        await adapter.delete_index_template(template_name(prefix))


def day_name(market: Market, slug: str, now: datetime, days_ago: int) -> str:
    """The app's daily index of ``days_ago`` days before ``now`` (UTC)."""
    day = (now - timedelta(days=days_ago)).strftime("%Y.%m.%d")
    return f"{market.settings.search.index_prefix}{slug}-{day}"


async def check_now(market: Market, now: datetime) -> list[GroupCheck]:
    """One storage pass at ``now``, once the market's own loop (if in a pass) lets go."""
    async with asyncio.timeout(30):
        while True:
            checks = await check_storage_once(
                market.sessionmaker,
                market.app.state.search_engines,
                market.app.state.templates,
                market.settings,
                now=now,
            )
            if checks is not None:
                return checks
            await asyncio.sleep(0.1)


async def register(market: Market, owner: MarketUser, name: str, **body: Any) -> tuple[str, str]:
    """(slug, group) of a new app: in ``group=...``, else in a new group named after it."""
    body = {"name": name, **(body if "group" in body else {"new_group": f"{name}-team", **body})}
    made = await market.client.post("/api/v1/apps", headers=owner.headers, json=body)
    assert made.status_code == 201, made.text
    return made.json()["slug"], made.json()["group"]


async def write_days(
    search: SearchAdapter, market: Market, slug: str, days: list[int], now: datetime
) -> list[str]:
    """One index per day (days ago), each a few hundred logs; the index names."""
    names = [day_name(market, slug, now, n) for n in days]
    documents = [
        (name, f"{n}", {"@timestamp": now.isoformat(), "barito": {"app": slug}, "message": f"{n}"})
        for name in names
        for n in range(300)
    ]
    assert (await search.bulk_index(documents, refresh=True)).all_done
    return names


async def cat_bytes(url: str, pattern: str) -> dict[str, int]:
    """Each index's primary store bytes, as the engine's _cat API says."""
    async with httpx.AsyncClient(base_url=url) as client:
        response = await client.get(
            f"/_cat/indices/{pattern}",
            params={"format": "json", "bytes": "b", "h": "index,pri.store.size"},
        )
    response.raise_for_status()
    return {row["index"]: int(row["pri.store.size"]) for row in response.json()}


async def storage(market: Market, user: MarketUser, group: str) -> Any:
    response = await market.client.get(f"/api/v1/groups/{group}/storage", headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def set_limit(market: Market, user: MarketUser, group: str, limit: int | None) -> Any:
    return await market.client.patch(
        f"/api/v1/groups/{group}/storage", headers=user.headers, json={"limit_bytes": limit}
    )


async def test_usage_is_the_engines_own_figure_and_the_default_limit_the_templates_sum(
    market: Market, search: SearchAdapter, users: dict[str, MarketUser]
) -> None:
    owner, now = users["owner"], datetime.now(UTC)
    shop, group = await register(market, owner, f"shop{uuid.uuid4().hex[:6]}")
    cart, _ = await register(market, owner, "cart", group=group)
    bill, _ = await register(market, owner, "bill", group=group, capacity="medium")
    # Another group's app whose slug extends "shop": its indices match shop's pattern.
    neighbour, _ = await register(market, owner, f"{shop}-api")
    mine = await write_days(search, market, shop, [2, 1, 0], now)
    mine += await write_days(search, market, cart, [0], now)
    await write_days(search, market, neighbour, [2, 0], now)

    body = await storage(market, owner, group)

    engine_figures = await cat_bytes(
        market.settings.search.url, f"{market.settings.search.index_prefix}*"
    )
    templates = shipped_templates()
    assert body["limit_source"] == "template"
    assert body["limit_bytes"] == (
        2 * templates["small"].storage_quota_bytes + templates["medium"].storage_quota_bytes
    )
    assert body["used_bytes"] == sum(engine_figures[name] for name in mine) > 0
    assert body["used_ratio"] == body["used_bytes"] / body["limit_bytes"]
    assert (body["warning"], body["over"], body["drops"]) == (False, False, [])
    assert {app["slug"]: (app["bytes"], app["indices"]) for app in body["apps"]} == {
        shop: (sum(engine_figures[name] for name in mine[:3]), 3),
        cart: (engine_figures[mine[3]], 1),
        bill: (0, 0),
    }


async def test_a_group_over_its_limit_loses_its_oldest_index_first_and_never_todays(
    market: Market, search: SearchAdapter, users: dict[str, MarketUser]
) -> None:
    owner, superadmin, now = users["owner"], users["superadmin"], datetime.now(UTC)
    shop, group = await register(market, owner, f"shop{uuid.uuid4().hex[:6]}")
    cart, _ = await register(market, owner, "cart", group=group)
    neighbour, neighbours = await register(market, owner, f"{shop}-api")
    shop_days = await write_days(search, market, shop, [3, 1, 0], now)
    cart_days = await write_days(search, market, cart, [2, 0], now)
    theirs = await write_days(search, market, neighbour, [5, 3, 0], now)
    before = await storage(market, owner, group)
    sizes = await search.index_sizes(f"{market.settings.search.index_prefix}*")
    # Room for everything but the oldest index.
    limit = before["used_bytes"] - sizes[shop_days[0]].bytes
    assert (await set_limit(market, superadmin, group, limit)).status_code == 200
    assert (await storage(market, owner, group))["over"]

    checks = await check_now(market, now)

    assert [check.dropped for check in checks if check.group == group] == [[shop_days[0]]]
    after = await storage(market, owner, group)
    assert after["used_bytes"] == limit and not after["over"]
    assert [(d["index"], d["app_slug"]) for d in after["drops"]] == [(shop_days[0], shop)]
    assert after["drops"][0]["bytes"] == sizes[shop_days[0]].bytes
    assert after["drops"][0]["documents"] == 300
    assert datetime.fromisoformat(after["drops"][0]["dropped_at"]) == now

    # A limit nothing fits: every index but today's goes, oldest first; today's stay.
    later = now + timedelta(minutes=5)
    assert (await set_limit(market, superadmin, group, 1)).status_code == 200
    stuck = [check for check in await check_now(market, later) if check.group == group]

    assert stuck[0].dropped == [cart_days[0], shop_days[1]] and stuck[0].stuck
    left = await search.list_indices(f"{market.settings.search.index_prefix}*")
    assert set(left) >= {shop_days[2], cart_days[1], *theirs}
    assert not {shop_days[0], shop_days[1], cart_days[0]} & set(left)
    final = await storage(market, owner, group)
    assert final["over"]
    assert [d["index"] for d in final["drops"]] == [shop_days[1], cart_days[0], shop_days[0]]
    neighbour_storage = await storage(market, owner, neighbours)
    assert neighbour_storage["drops"] == [] and neighbour_storage["apps"][0]["indices"] == 3
    async with market.sessionmaker() as session:
        group_row = await session.scalar(select(AppGroup).where(AppGroup.slug == group))
        assert group_row is not None
        audited = list(
            await session.scalars(
                select(AuditEntry).where(
                    AuditEntry.group_id == group_row.id, AuditEntry.action == "storage.drop_index"
                )
            )
        )
    assert sorted(entry.target_id for entry in audited) == sorted(
        [shop_days[0], shop_days[1], cart_days[0]]
    )
    assert {entry.actor_id for entry in audited} == {None}
    assert {entry.actor_email for entry in audited} == {None}


async def test_at_80_percent_the_groups_webhook_is_told_once_and_the_api_warns(
    market: Market, search: SearchAdapter, users: dict[str, MarketUser]
) -> None:
    owner, superadmin, now = users["owner"], users["superadmin"], datetime.now(UTC)
    shop, group = await register(market, owner, f"shop{uuid.uuid4().hex[:6]}")
    await write_days(search, market, shop, [1, 0], now)
    used = (await storage(market, owner, group))["used_bytes"]
    async with webhook_receiver() as receiver:
        made = await market.client.post(
            f"/api/v1/groups/{group}/alert-channels",
            headers=owner.headers,
            json={"name": "ops", "kind": "webhook", "config": {"url": receiver.url}},
        )
        assert made.status_code == 201, made.text
        signing_secret = made.json()["signing_secret"]
        assert (await set_limit(market, superadmin, group, used * 100 // 85)).status_code == 200

        await check_now(market, now)
        await check_now(market, now + timedelta(minutes=5))

        assert len(receiver.requests) == 1
        notice = receiver.requests[0]
        assert notice.verified(signing_secret)
        assert notice.json["group"] == group
        assert notice.json["severity"] == "warning"
        assert notice.json["rule"]["id"] == "storage-quota"
        assert "85 %" in notice.json["rule"]["name"]
        body = await storage(market, owner, group)
        assert body["warning"] and not body["over"] and body["drops"] == []

        # Back under 80 %, then over again: the second crossing is told too.
        assert (await set_limit(market, superadmin, group, used * 2)).status_code == 200
        await check_now(market, now + timedelta(minutes=10))
        assert not (await storage(market, owner, group))["warning"]
        assert (await set_limit(market, superadmin, group, used * 100 // 90)).status_code == 200
        await check_now(market, now + timedelta(minutes=15))

        assert len(receiver.requests) == 2
        assert "90 %" in receiver.requests[1].json["rule"]["name"]


async def test_only_a_superadmin_sets_the_limit_members_read_and_outsiders_see_nothing(
    market: Market, users: dict[str, MarketUser]
) -> None:
    owner = users["owner"]
    _, group = await register(market, owner, f"shop{uuid.uuid4().hex[:6]}")
    await market.add_members(group, owner, {"admin": users["admin"], "member": users["member"]})
    default = (await storage(market, users["member"], group))["limit_bytes"]

    for role, expected in (("owner", 403), ("admin", 403), ("member", 403), ("outsider", 404)):
        refused = await set_limit(market, users[role], group, 1000)
        assert refused.status_code == expected, (role, refused.text)
        assert refused.json()["error"]["message"]
    outsider_read = await market.client.get(
        f"/api/v1/groups/{group}/storage", headers=users["outsider"].headers
    )
    assert outsider_read.status_code == 404
    for bad in (0, -5):
        invalid = await set_limit(market, users["superadmin"], group, bad)
        assert invalid.status_code == 422, invalid.text

    changed = await set_limit(market, users["superadmin"], group, 123_456_789)

    assert changed.status_code == 200, changed.text
    assert (changed.json()["limit_bytes"], changed.json()["limit_source"]) == (123_456_789, "admin")
    assert (await storage(market, users["member"], group))["limit_bytes"] == 123_456_789
    back = await set_limit(market, users["superadmin"], group, None)
    assert (back.json()["limit_bytes"], back.json()["limit_source"]) == (default, "template")


async def test_a_dedicated_groups_indices_on_both_engines_count_and_the_oldest_goes_first(
    stack: Any, market: Market, search: SearchAdapter, engine: Engine, users: dict[str, MarketUser]
) -> None:
    owner, now = users["owner"], datetime.now(UTC)
    other: Engine = "opensearch" if engine == "elasticsearch" else "elasticsearch"
    shop, group = await register(market, owner, f"shop{uuid.uuid4().hex[:6]}")
    installation_days = await write_days(search, market, shop, [4, 2], now)
    cluster_settings = market.settings.search.model_copy(
        update={"engine": other, "url": stack.search_urls[other]}
    )
    async with create_search_adapter(cluster_settings) as cluster:
        try:
            cluster_days = await write_days(cluster, market, shop, [3, 0], now)
            await move_to_cluster(market, group, stack.search_urls[other], other)
            before = await storage(market, owner, group)
            sizes = {
                **await search.index_sizes(f"{market.settings.search.index_prefix}{shop}-*"),
                **{
                    f"cluster:{name}": stats
                    for name, stats in (
                        await cluster.index_sizes(f"{market.settings.search.index_prefix}{shop}-*")
                    ).items()
                },
            }
            assert before["used_bytes"] == sum(stats.bytes for stats in sizes.values())
            assert before["apps"][0]["indices"] == 4
            oldest_two = (
                sizes[installation_days[0]].bytes + sizes[f"cluster:{cluster_days[0]}"].bytes
            )
            limit = before["used_bytes"] - oldest_two
            assert (await set_limit(market, users["superadmin"], group, limit)).status_code == 200

            await check_now(market, now)

            assert await search.list_indices(f"{market.settings.search.index_prefix}{shop}-*") == [
                installation_days[1]
            ]
            assert await cluster.list_indices(f"{market.settings.search.index_prefix}{shop}-*") == [
                cluster_days[1]
            ]
            drops = (await storage(market, owner, group))["drops"]
            assert sorted(d["index"] for d in drops) == sorted(
                [installation_days[0], cluster_days[0]]
            )
        finally:
            await cluster.delete_index(f"{market.settings.search.index_prefix}{shop}-*")


async def move_to_cluster(market: Market, group: str, url: str, engine: Engine) -> None:
    """Give the group an ACTIVE dedicated cluster, as the provisioner's event would."""
    cluster = ClusterCoordinates(
        infrastructure_id="dedicated",
        kafka_bootstrap_servers=market.settings.kafka.bootstrap_servers,
        search_url=url,
        search_engine=engine,
    )
    async with market.sessionmaker() as session, session.begin():
        row = await session.scalar(
            select(Infrastructure)
            .join(AppGroup, AppGroup.id == Infrastructure.group_id)
            .where(AppGroup.slug == group)
        )
        assert row is not None
        row.placement = Placement.DEDICATED
        row.cluster = cluster.model_dump(mode="json")
