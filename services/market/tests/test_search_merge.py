"""Merging one search's answers from two engines: order, missing values, pages, buckets."""

from __future__ import annotations

from typing import Any

from barito_market.search.merge import merge_hits, sort_orders, summed_buckets, summed_total


def answer(*hits: tuple[str, list[Any]], total: int | None = None) -> dict[str, Any]:
    return {
        "total": len(hits) if total is None else total,
        "hits": {"hits": [{"_id": identity, "sort": sort} for identity, sort in hits]},
    }


def ids(hits: list[Any]) -> list[str]:
    return [hit["_id"] for hit in hits]


def test_sort_orders_follow_the_sort_clause() -> None:
    clause = [
        {"level": {"order": "asc", "unmapped_type": "keyword"}},
        {"@timestamp": {"order": "desc"}},
    ]

    assert sort_orders(clause) == ["asc", "desc"]


def test_hits_interleave_by_every_sort_key_and_missing_values_come_last_both_ways() -> None:
    group = answer(("g1", ["a", 30]), ("g2", ["b", 40]), ("g3", [None, 50]))
    shared = answer(("s1", ["a", 35]), ("s2", [None, 10]), ("s3", ["c", 1]))

    ascending = merge_hits([group, shared], orders=["asc", "desc"], offset=0, size=10)
    descending = merge_hits([group, shared], orders=["desc", "desc"], offset=0, size=10)

    assert ids(ascending) == ["s1", "g1", "g2", "s3", "g3", "s2"]
    assert ids(descending) == ["s3", "g2", "s1", "g1", "g3", "s2"]


def test_a_duplicate_id_is_kept_once_and_pages_slice_the_merged_order() -> None:
    group = answer(("a", [50]), ("b", [40]), ("dup", [30]))
    shared = answer(("dup", [30]), ("c", [20]), ("d", [10]))

    pages = [
        ids(merge_hits([group, shared], orders=["desc"], offset=offset, size=2))
        for offset in (0, 2, 4)
    ]

    assert pages == [["a", "b"], ["dup", "c"], ["d"]]


def test_totals_and_histogram_buckets_add_up() -> None:
    group = {
        "total": 3,
        "aggregations": {"histogram": {"buckets": [{"key": 60_000, "doc_count": 3}]}},
    }
    shared = {
        "total": 4,
        "aggregations": {
            "histogram": {"buckets": [{"key": 0, "doc_count": 1}, {"key": 60_000, "doc_count": 3}]}
        },
    }

    assert summed_total([group, shared]) == 7
    assert summed_buckets([group, shared]) == {
        "aggregations": {
            "histogram": {"buckets": [{"key": 0, "doc_count": 1}, {"key": 60_000, "doc_count": 6}]}
        }
    }
