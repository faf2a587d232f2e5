"""Searching one app's logs through the search adapter, scoped server-side.

The route hands over what the caller asked; :class:`LogSearch` (barito_common)
builds a request scoped to the app's index pattern and slug, whatever the
query text says. Engine refusals become 400s a user can act on.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from barito_common.errors import ApiError
from barito_common.search import SearchAdapter, SearchRequestError, SearchUnavailable
from barito_common.search.log_query import (
    TIMESTAMP_FIELD,
    LogSearch,
    LogSearchError,
    histogram_interval,
)
from barito_market.schemas.search import (
    HistogramBucketPublic,
    LogHistogram,
    LogHit,
    LogSearchPublic,
)

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


async def search_app_logs(
    search: SearchAdapter,
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
    try:
        found = await search.search_body(request.index_pattern, request.body())
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
    interval, _ = histogram_interval(request.start, request.end)
    return LogSearchPublic(
        total=int(found.get("total") or 0),
        page=page,
        size=size,
        start=request.start,
        end=request.end,
        hits=[_hit(hit) for hit in found.get("hits", {}).get("hits", [])],
        histogram=LogHistogram(
            interval=interval,
            buckets=[
                HistogramBucketPublic(start=bucket.start, count=bucket.count)
                for bucket in request.histogram(found)
            ],
        ),
    )
