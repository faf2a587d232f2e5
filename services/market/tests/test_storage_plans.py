"""Which indices a group over its storage limit loses, and its limit: pure decisions, no I/O."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from types import SimpleNamespace
from typing import cast

from barito_common.search import SearchAdapter
from barito_market.storage.enforcement import plan_drops
from barito_market.storage.quota import GroupLimit, group_limit
from barito_market.storage.usage import StoredIndex

TODAY = date(2026, 12, 5)
ELASTICSEARCH = cast(SearchAdapter, SimpleNamespace(engine="elasticsearch"))
TEMPLATES = {
    "small": SimpleNamespace(storage_quota_bytes=200),
    "medium": SimpleNamespace(storage_quota_bytes=4000),
}


def stored(slug: str, days_ago: int, size: int = 100) -> StoredIndex:
    day = TODAY - timedelta(days=days_ago)
    return StoredIndex(
        engine=ELASTICSEARCH,
        name=f"barito-{slug}-{day:%Y.%m.%d}",
        app_id=uuid.uuid4(),
        app_slug=slug,
        day=day,
        bytes=size,
        documents=1,
    )


def test_the_oldest_day_goes_first_across_the_groups_apps_until_it_fits() -> None:
    indices = [stored("shop", 1), stored("cart", 3), stored("shop", 2), stored("shop", 0)]

    plan = plan_drops(indices, limit_bytes=250, today=TODAY)

    assert [index.name for index in plan.drops] == [
        "barito-cart-2026.12.02",
        "barito-shop-2026.12.03",
    ]
    assert plan.used_after == 200
    assert not plan.stuck


def test_a_group_at_its_limit_exactly_loses_nothing() -> None:
    plan = plan_drops([stored("shop", 2), stored("shop", 1)], limit_bytes=200, today=TODAY)

    assert plan.drops == []
    assert not plan.stuck


def test_todays_indices_are_never_planned_even_if_the_group_stays_over() -> None:
    indices = [stored("shop", 0, 500), stored("cart", 0, 500), stored("shop", 1)]

    plan = plan_drops(indices, limit_bytes=10, today=TODAY)

    assert [index.name for index in plan.drops] == ["barito-shop-2026.12.04"]
    assert plan.used_after == 1000
    assert plan.stuck


def test_the_limit_is_the_admins_if_set_else_the_sum_of_live_apps_templates() -> None:
    unset = SimpleNamespace(storage_quota_bytes=None)

    assert group_limit(unset, ["small", "small", "medium"], TEMPLATES) == GroupLimit(
        4400, "template"
    )
    assert group_limit(unset, [], TEMPLATES).bytes == 0
    admin = SimpleNamespace(storage_quota_bytes=7)
    assert group_limit(admin, ["medium"], TEMPLATES) == GroupLimit(7, "admin")
