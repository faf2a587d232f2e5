"""What a deletion request reaches, decided without I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from barito_market.deletions.progress import BATCH, DONE, Progress
from barito_market.deletions.scope import DeletionScope, LogSearchError

NOW = datetime(2025, 2, 3, 15, 30, tzinfo=UTC)
NAMES = [
    "barito-shop-2025.01.31",
    "barito-shop-2025.02.01",
    "barito-shop-2025.02.02",
    "barito-shop-2025.02.03",
    "barito-shop-api-2025.02.01",
]


def scope(start: datetime, end: datetime, query: str | None = None) -> DeletionScope:
    return DeletionScope.of(
        index_prefix="barito-shop", app_slug="shop", start=start, end=end, query=query, now=NOW
    )


def test_only_the_apps_own_days_covered_entirely_are_dropped_whole() -> None:
    covered = scope(datetime(2025, 1, 31, 0, 0, 1, tzinfo=UTC), datetime(2025, 2, 3, tzinfo=UTC))

    assert covered.whole_indices(NAMES) == ["barito-shop-2025.02.01", "barito-shop-2025.02.02"]


def test_an_end_after_now_is_now_so_todays_index_is_never_dropped_whole() -> None:
    until_tomorrow = scope(datetime(2025, 2, 3, tzinfo=UTC), datetime(2025, 2, 4, tzinfo=UTC))

    assert until_tomorrow.end == NOW
    assert until_tomorrow.whole_indices(NAMES) == []


def test_a_query_drops_no_index_whole_and_is_scoped_to_the_app() -> None:
    narrowed = scope(datetime(2025, 1, 1, tzinfo=UTC), NOW, query="  level:debug ")

    assert narrowed.whole_indices(NAMES) == []
    assert narrowed.text == "level:debug"
    assert {"term": {"barito.app": "shop"}} in narrowed.query()["bool"]["filter"]


def test_a_blank_query_deletes_the_whole_range() -> None:
    assert scope(NOW - timedelta(hours=1), NOW, query="   ").text is None


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (datetime(2025, 2, 1), datetime(2025, 2, 2, tzinfo=UTC), "start"),
        (datetime(2025, 2, 2, tzinfo=UTC), datetime(2025, 2, 1, tzinfo=UTC), "end"),
        (NOW + timedelta(seconds=1), NOW + timedelta(hours=1), "start"),
    ],
)
def test_a_naive_reversed_or_future_range_names_its_field(
    start: datetime, end: datetime, field: str
) -> None:
    with pytest.raises(LogSearchError) as refused:
        scope(start, end)

    assert refused.value.field == field


def test_progress_survives_its_column() -> None:
    progress = Progress(41, ["nodeA:12", BATCH, DONE])

    assert Progress.decode(progress.encode()) == progress
    assert Progress.decode("0|") == Progress(0, [])
