"""/api/v1/apps/{slug}/logs: search an app's logs (time range, query, filters, pages)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from barito_market.accounts.access import readable_app
from barito_market.apps.status import app_index_prefix
from barito_market.dependencies import CurrentUserDep, SearchEnginesDep, SessionDep, SettingsDep
from barito_market.schemas.search import LogSearchPublic
from barito_market.search.log_query import MAX_PAGE_SIZE, MAX_RESULT_WINDOW
from barito_market.search.log_search import invalid_field, parse_filters, search_app_logs

__all__ = ["router"]

router = APIRouter(prefix="/apps", tags=["search"])

_DEFAULT_RANGE = timedelta(minutes=15)


@router.get(
    "/{slug}/logs",
    response_model=LogSearchPublic,
    responses={
        400: {"description": "The search engine refused the query; the message says why."},
        401: {"description": "Not logged in."},
        404: {"description": "No such app that you can see."},
        422: {"description": "Invalid time range, sort field, filter or page."},
        503: {"description": "A search engine holding the app's logs did not answer."},
    },
)
async def search_logs(
    slug: str,
    user: CurrentUserDep,
    session: SessionDep,
    settings: SettingsDep,
    engines: SearchEnginesDep,
    start: Annotated[
        datetime | None,
        Query(description="Start of the range, with a time zone (default: end - 15 min)."),
    ] = None,
    end: Annotated[
        datetime | None, Query(description="End of the range, exclusive (default: now).")
    ] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=4000,
            description="Query-string syntax, e.g. `level:error AND payment`; terms are "
            "ANDed; no leading wildcards. It only narrows: the app's scope is fixed.",
        ),
    ] = None,
    filter: Annotated[
        list[str],
        Query(description="Exact matches as field:value (keyword and numeric fields); repeat."),
    ] = [],  # noqa: B006 - FastAPI copies query defaults per request
    sort: Annotated[
        str, Query(max_length=128, description="Field to sort on (not a full-text field).")
    ] = "@timestamp",
    order: Annotated[Literal["asc", "desc"], Query(description="Sort direction.")] = "desc",
    page: Annotated[
        int,
        Query(
            ge=1,
            le=MAX_RESULT_WINDOW,
            description=f"1-based page; page x size may not pass {MAX_RESULT_WINDOW} "
            "(from/size paging: narrow the range to reach later events).",
        ),
    ] = 1,
    size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Events per page.")] = 50,
) -> Any:
    """One page of an app's events, newest first by default, with a histogram of all matches."""
    app = await readable_app(session, user, slug)
    end = end or datetime.now(UTC)
    try:
        start = start or end - _DEFAULT_RANGE
    except OverflowError as err:
        raise invalid_field("end", "end is too early; give a start as well") from err
    return await search_app_logs(
        await engines.for_app(session, app),
        index_prefix=app_index_prefix(settings.search.index_prefix, app),
        slug=app.slug,
        start=start,
        end=end,
        text=q,
        filters=parse_filters(filter),
        sort=sort,
        order=order,
        page=page,
        size=size,
    )
