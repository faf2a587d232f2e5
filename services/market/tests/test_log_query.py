"""The log search request: what a caller may choose, and the scope it may not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from barito_market.search.log_query import (
    MAX_PAGE_SIZE,
    HistogramBucket,
    LogSearch,
    LogSearchError,
    histogram_buckets,
    histogram_interval,
)

START = datetime(2025, 1, 31, 10, 0, tzinfo=UTC)


def search(**changes: Any) -> LogSearch:
    fields: dict[str, Any] = {
        "index_prefix": "barito-shop",
        "app_slug": "shop",
        "start": START,
        "end": START + timedelta(hours=1),
        **changes,
    }
    return LogSearch(**fields)


def test_the_scope_is_the_apps_pattern_and_slug_whatever_the_query_text() -> None:
    request = search(text="_index:other* OR barito.app:other OR *", filters={"level": "error"})

    body = request.body()

    assert request.index_pattern == "barito-shop-*"
    scope = body["query"]["bool"]["filter"]
    assert {"term": {"barito.app": "shop"}} in scope
    assert {"term": {"level": "error"}} in scope
    assert scope[0]["range"]["@timestamp"]["gte"] == "2025-01-31T10:00:00.000Z"
    assert scope[0]["range"]["@timestamp"]["lt"] == "2025-01-31T11:00:00.000Z"
    # The text only narrows: it sits in "must", beside the scope, never instead of it.
    [text] = body["query"]["bool"]["must"]
    assert text["query_string"]["query"] == "_index:other* OR barito.app:other OR *"
    assert text["query_string"]["allow_leading_wildcard"] is False


def test_no_text_matches_everything_in_scope() -> None:
    assert "must" not in search(text="  ").body()["query"]["bool"]
    assert "must" not in search().body()["query"]["bool"]


def test_newest_first_by_default_and_other_sorts_break_ties_by_time() -> None:
    assert search().body()["sort"] == [
        {"@timestamp": {"order": "desc", "unmapped_type": "keyword"}}
    ]
    assert search(sort_field="level", order="asc").body()["sort"] == [
        {"level": {"order": "asc", "unmapped_type": "keyword"}},
        {"@timestamp": {"order": "desc"}},
    ]


def test_pages_map_to_from_and_size() -> None:
    body = search(page=3, size=100).body()
    assert (body["from"], body["size"]) == (200, 100)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"end": START}, "end"),
        ({"end": START - timedelta(seconds=1)}, "end"),
        ({"start": START.replace(tzinfo=None)}, "start"),
        ({"start": START - timedelta(days=3660)}, "start"),
        ({"size": MAX_PAGE_SIZE + 1}, "size"),
        ({"size": 0}, "size"),
        ({"page": 0}, "page"),
        ({"page": 21, "size": 500}, "page"),
        ({"sort_field": "_index"}, "sort"),
        ({"sort_field": "message"}, "sort"),
        ({"sort_field": "a b"}, "sort"),
        ({"filters": {"_index": "barito-other-2025.01.31"}}, "filter"),
        ({"filters": {"": "x"}}, "filter"),
    ],
)
def test_a_search_that_cannot_be_run_names_the_field_to_fix(
    changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(LogSearchError) as caught:
        search(**changes)
    assert caught.value.field == field
    assert str(caught.value)


def test_the_last_reachable_page_is_allowed() -> None:
    assert search(page=20, size=500).body()["from"] == 9_500


@pytest.mark.parametrize(
    ("span", "interval"),
    [
        (timedelta(seconds=30), "1s"),
        (timedelta(minutes=15), "30s"),
        (timedelta(hours=1), "1m"),
        (timedelta(hours=24), "30m"),
        (timedelta(days=7), "3h"),
        (timedelta(days=30), "12h"),
    ],
)
def test_the_histogram_interval_keeps_about_sixty_buckets(span: timedelta, interval: str) -> None:
    name, seconds = histogram_interval(START, START + span)
    assert name == interval
    assert span.total_seconds() / seconds <= 60


def test_the_histogram_has_every_bucket_of_the_range_including_empty_ones() -> None:
    end = START + timedelta(minutes=5)
    ten_oh_two = int((START + timedelta(minutes=2)).timestamp() * 1000)

    buckets = histogram_buckets(START, end, {ten_oh_two: 7})

    # Five minutes at 5 s per bucket: 60 buckets, one of them counted.
    assert len(buckets) == 60
    assert buckets[0] == HistogramBucket(START, 0)
    assert buckets[24] == HistogramBucket(START + timedelta(minutes=2), 7)
    assert sum(bucket.count for bucket in buckets) == 7
    assert buckets[-1].start < end


def test_a_range_not_on_a_bucket_boundary_starts_with_the_bucket_holding_start() -> None:
    start = START + timedelta(seconds=20)
    buckets = histogram_buckets(start, start + timedelta(hours=1), {})
    assert buckets[0].start == START
    assert buckets[-1].start == START + timedelta(hours=1)
    assert len(buckets) == 61


def test_the_histogram_of_an_empty_answer_is_all_zeroes() -> None:
    request = search()
    buckets = request.histogram({"hits": {"hits": []}})
    assert len(buckets) == 60
    assert {bucket.count for bucket in buckets} == {0}
