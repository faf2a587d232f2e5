"""Searching one app's logs through the search adapters, scoped server-side.

The route hands over what the caller asked; :class:`LogSearch` (barito_common)
builds a request scoped to the app's index pattern and slug, whatever the
query text says. Engine refusals become 400s a user can act on, an engine
that does not answer a 503.

An app of a dedicated group is searched on two engines (its cluster's and
the installation's, :mod:`barito_market.search.engines`): each is asked for
the first ``page x size`` hits and :mod:`barito_market.search.merge` makes
one page of them. Both must answer: a page missing one engine's hits would
look complete and be wrong.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from barito_common.errors import ApiError
from barito_common.search import SearchAdapter, SearchRequestError, SearchUnavailable
from barito_market.schemas.search import (
    HistogramBucketPublic,
    LogHistogram,
    LogHit,
    LogSearchPublic,
)
from barito_market.search.log_query import (
    TIMESTAMP_FIELD,
    LogSearch,
    LogSearchError,
    histogram_interval,
)
from barito_market.search.merge import merge_hits, sort_orders, summed_buckets, summed_total

__all__ = ["invalid_field", "parse_filters", "search_app_logs"]


def invalid_field(location: str, message: str) -> ApiError:
    """A 422 shaped like FastAPI's own: the message plus the field it concerns."""
    return ApiError(
        422,
        f"{location}: {message}",
        details={"errors": [{"loc": ["query", location], "msg": message}]},
    )


def parse_filters(raw: list[str]) -> dict[str, str]:
    """``["level:error", "http.status:500"]`` as ``{field: value}``."""
    filters: dict[str, str] = {}
    for item in raw:
        name, sep, value = item.partition(":")
        if not sep or not name:
            raise invalid_field("filter", f"{item!r} is not field:value (e.g. level:error)")
        filters[name] = value
    return filters


def _hit(hit: Mapping[str, Any]) -> LogHit:
    source = dict(hit.get("_source") or {})
    timestamp = source.get(TIMESTAMP_FIELD)
    return LogHit(
        id=str(hit.get("_id", "")),
        timestamp=timestamp if isinstance(timestamp, str) else None,
        source=source,
    )


async def _search_all(
    engines: Sequence[SearchAdapter], index: str, body: Mapping[str, Any]
) -> list[dict[str, Any]]:
    results = await asyncio.gather(
        *(engine.search_body(index, body) for engine in engines), return_exceptions=True
    )
    failures = [result for result in results if isinstance(result, BaseException)]
    # An engine that does not answer wins over one that refused: retrying
    # may help the former, and the same query went to both.
    for failure in sorted(failures, key=lambda f: not isinstance(f, SearchUnavailable)):
        raise failure
    return [result for result in results if not isinstance(result, BaseException)]


async def search_app_logs(
    engines: Sequence[SearchAdapter],
    *,
    index_prefix: str,
    slug: str,
    start: datetime,
    end: datetime,
    text: str | None,
    filters: dict[str, str],
    sort: str,
    order: Literal["asc", "desc"],
    page: int,
    size: int,
) -> LogSearchPublic:
    try:
        request = LogSearch(
            index_prefix=index_prefix,
            app_slug=slug,
            start=start,
            end=end,
            text=text,
            filters=filters,
            sort_field=sort,
            order=order,
            page=page,
            size=size,
        )
    except LogSearchError as err:
        raise invalid_field(err.field, str(err)) from err
    body = request.body()
    if len(engines) > 1:
        body.update({"from": 0, "size": page * size})
    try:
        answers = await _search_all(engines, request.index_pattern, body)
    except SearchRequestError as err:
        raise ApiError(
            400,
            f"The search engine could not run this search: {err.reason}. Check the query "
            "syntax (e.g. balanced parentheses and quotes), the filters and the sort field.",
            code="bad_query",
        ) from err
    except SearchUnavailable as err:
        raise ApiError(
            503,
            "The search engine did not answer; try again shortly.",
            headers={"Retry-After": "5"},
        ) from err
    if len(answers) == 1:
        (found,) = answers
        hits = found.get("hits", {}).get("hits", [])
    else:
        found = summed_buckets(answers)
        hits = merge_hits(
            answers, orders=sort_orders(body["sort"]), offset=(page - 1) * size, size=size
        )
    interval, _ = histogram_interval(request.start, request.end)
    return LogSearchPublic(
        total=summed_total(answers),
        page=page,
        size=size,
        start=request.start,
        end=request.end,
        hits=[_hit(hit) for hit in hits],
        histogram=LogHistogram(
            interval=interval,
            buckets=[
                HistogramBucketPublic(start=bucket.start, count=bucket.count)
                for bucket in request.histogram(found)
            ],
        ),
    )
