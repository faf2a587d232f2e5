"""One search's answers from several engines as one answer (pure; no I/O).

An app of a dedicated group is searched on its cluster's engine and on the
installation's (:mod:`barito_market.search.engines`). Each engine is asked for
the first ``from + size`` hits; here they are merged by the request's sort,
de-duplicated by ``_id`` (a chunk retried around the move can be indexed on
both, under the same id), and the page is sliced out. Totals and histogram
buckets are summed: the duplicates are rare enough not to correct them by
a second query.

    >>> a = {"total": 2, "hits": {"hits": [{"_id": "1", "sort": [30]}, {"_id": "2", "sort": [10]}]}}
    >>> b = {"total": 2, "hits": {"hits": [{"_id": "3", "sort": [20]}, {"_id": "1", "sort": [30]}]}}
    >>> [hit["_id"] for hit in merge_hits([a, b], orders=["desc"], offset=0, size=3)]
    ['1', '3', '2']
    >>> summed_total([a, b])
    4
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any, Literal

__all__ = ["merge_hits", "sort_orders", "summed_buckets", "summed_total"]

Hit = Mapping[str, Any]


def sort_orders(sort: Sequence[Mapping[str, Any]]) -> list[Literal["asc", "desc"]]:
    """The direction of each key of a ``sort`` clause, as ``hit["sort"]`` holds the keys."""
    orders: list[Literal["asc", "desc"]] = []
    for clause in sort:
        (spec,) = clause.values()
        orders.append("asc" if spec.get("order") == "asc" else "desc")
    return orders


def _compare_values(a: Any, b: Any) -> int:
    """Ascending comparison of two sort values; None (a missing field) is greater."""
    if a == b:
        return 0
    if a is None or b is None:
        return 1 if a is None else -1
    try:
        return -1 if a < b else 1
    except TypeError:
        # A field mapped differently on the two engines (a number on one, a
        # keyword on the other): still a total order, if not a meaningful one.
        return -1 if str(a) < str(b) else 1


def _compare_hits(orders: Sequence[str], a: Hit, b: Hit) -> int:
    for position, order in enumerate(orders):
        left = _key(a, position)
        right = _key(b, position)
        result = _compare_values(left, right)
        if result == 0:
            continue
        # The engines put missing values last in either direction.
        if left is None or right is None or order == "asc":
            return result
        return -result
    return 0


def _key(hit: Hit, position: int) -> Any:
    values = hit.get("sort") or []
    return values[position] if position < len(values) else None


def merge_hits(
    responses: Sequence[Mapping[str, Any]],
    *,
    orders: Sequence[str],
    offset: int,
    size: int,
) -> list[Hit]:
    """The page ``[offset, offset + size)`` of every response's hits in sort order.

    Ties keep the order of ``responses`` (the sort is stable); a later hit with
    an ``_id`` already taken is dropped.
    """
    every = [hit for response in responses for hit in response.get("hits", {}).get("hits", [])]
    every.sort(key=functools.cmp_to_key(functools.partial(_compare_hits, orders)))
    seen: set[str] = set()
    unique: list[Hit] = []
    for hit in every:
        identity = str(hit.get("_id", ""))
        if identity in seen:
            continue
        seen.add(identity)
        unique.append(hit)
    return unique[offset : offset + size]


def summed_total(responses: Sequence[Mapping[str, Any]]) -> int:
    return sum(int(response.get("total") or 0) for response in responses)


def summed_buckets(responses: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """A response whose ``aggregations.histogram.buckets`` count every response's matches."""
    counts: dict[int, int] = {}
    for response in responses:
        buckets = response.get("aggregations", {}).get("histogram", {}).get("buckets", [])
        for bucket in buckets:
            key = int(bucket["key"])
            counts[key] = counts.get(key, 0) + int(bucket["doc_count"])
    merged = [{"key": key, "doc_count": count} for key, count in sorted(counts.items())]
    return {"aggregations": {"histogram": {"buckets": merged}}}
