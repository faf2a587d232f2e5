"""The app list costs the same number of SQL statements for 2 apps as for 12.

A list that ran one query per app (its group's infrastructure) took seconds
at a thousand apps; bench/apps measures the latency, this test the shape.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from barito_testing.market import Market, MarketUser


@contextmanager
def counted_statements(market: Market) -> Iterator[list[str]]:
    """Every SQL statement the market's engine runs inside the block."""
    engine = market.sessionmaker.kw["bind"].sync_engine
    statements: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", note)


async def register(market: Market, owner: MarketUser, group: str, count: int) -> None:
    for _ in range(count):
        name = f"svc {uuid.uuid4().hex[:6]}"
        answer = await market.client.post(
            "/api/v1/apps", headers=owner.headers, json={"name": name, "group": group}
        )
        assert answer.status_code == 201, answer.text


async def statements_of_list(market: Market, user: MarketUser, path: str) -> tuple[int, int]:
    """(apps listed, SQL statements run) of one GET of ``path``."""
    with counted_statements(market) as statements:
        answer = await market.client.get(path, headers=user.headers)
    assert answer.status_code == 200, answer.text
    return len(answer.json()["data"]), len(statements)


async def test_listing_more_apps_runs_no_more_sql_statements(market: Market) -> None:
    owner = await market.create_user()
    groups = []
    for name in ("ledger", "storefront"):
        made = await market.client.post(
            "/api/v1/groups", headers=owner.headers, json={"name": f"{name} {uuid.uuid4().hex[:4]}"}
        )
        assert made.status_code == 201, made.text
        groups.append(made.json()["slug"])
    for group in groups:
        await register(market, owner, group, 1)
    few = await statements_of_list(market, owner, "/api/v1/apps")
    few_of_group = await statements_of_list(market, owner, f"/api/v1/apps?group={groups[0]}")

    for group in groups:
        await register(market, owner, group, 5)
    many = await statements_of_list(market, owner, "/api/v1/apps")
    many_of_group = await statements_of_list(market, owner, f"/api/v1/apps?group={groups[0]}")

    assert (few[0], many[0]) == (2, 12)
    assert many[1] == few[1], f"{few[1]} statements for 2 apps, {many[1]} for 12"
    assert (few_of_group[0], many_of_group[0]) == (1, 6)
    assert many_of_group[1] == few_of_group[1]


async def test_listing_more_groups_runs_no_more_sql_statements(market: Market) -> None:
    owner = await market.create_user()
    superadmin = await market.create_user(superadmin=True)

    async def make_groups(count: int) -> None:
        for _ in range(count):
            made = await market.client.post(
                "/api/v1/groups", headers=owner.headers, json={"name": f"g {uuid.uuid4().hex[:6]}"}
            )
            assert made.status_code == 201, made.text

    async def statements_of_groups(user: MarketUser) -> tuple[int, int, set[str | None]]:
        with counted_statements(market) as statements:
            answer = await market.client.get("/api/v1/groups", headers=user.headers)
        assert answer.status_code == 200, answer.text
        mine = [g for g in answer.json()["data"] if g["slug"] in made_by_owner]
        return len(mine), len(statements), {g["role"] for g in mine}

    await make_groups(2)
    made_by_owner = {
        g["slug"]
        for g in (await market.client.get("/api/v1/groups", headers=owner.headers)).json()["data"]
    }
    few = await statements_of_groups(owner)
    few_super = await statements_of_groups(superadmin)
    await make_groups(10)
    made_by_owner = {
        g["slug"]
        for g in (await market.client.get("/api/v1/groups", headers=owner.headers)).json()["data"]
    }
    many = await statements_of_groups(owner)
    many_super = await statements_of_groups(superadmin)

    assert (few[0], many[0]) == (2, 12)
    assert many[1] == few[1], f"{few[1]} statements for 2 groups, {many[1]} for 12"
    assert many[2] == {"owner"}  # the caller's role still comes with each group
    assert (few_super[0], many_super[0]) == (2, 12)
    assert many_super[1] == few_super[1]
    assert many_super[2] == {None}  # a superadmin who is no member has no role
