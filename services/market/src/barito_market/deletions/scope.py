"""What a deletion request reaches: exactly what the log search shows for it.

The query is :class:`~barito_market.search.log_query.LogSearch`'s, so the
range (start inclusive, end exclusive), the query string's syntax and the
app's scope (its index pattern plus a ``term`` on ``barito.app``, which keeps
the app ``shop-api`` out of ``shop``'s pattern) are the search's own.

A daily index is dropped whole when the request has no query and its range
covers the index's entire UTC day (the flow names an index after the UTC day
of its events' time). The end is never later than the moment of the request,
so today's index, which the flow still writes to, is never dropped whole.

    >>> from datetime import UTC, datetime
    >>> scope = DeletionScope.of(
    ...     index_prefix="barito-shop", app_slug="shop",
    ...     start=datetime(2025, 1, 30, 12, tzinfo=UTC), end=datetime(2025, 2, 2, tzinfo=UTC),
    ...     query=None, now=datetime(2025, 3, 1, tzinfo=UTC),
    ... )
    >>> scope.whole_indices(["barito-shop-2025.01.30", "barito-shop-2025.01.31",
    ...                      "barito-shop-2025.02.01", "barito-shop-api-2025.01.31"])
    ['barito-shop-2025.01.31', 'barito-shop-2025.02.01']
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from barito_common.search.app_indices import app_index_day
from barito_market.search.log_query import LogSearch, LogSearchError

__all__ = ["DeletionScope", "LogSearchError"]


@dataclass(frozen=True, slots=True)
class DeletionScope:
    search: LogSearch

    @classmethod
    def of(
        cls,
        *,
        index_prefix: str,
        app_slug: str,
        start: datetime,
        end: datetime,
        query: str | None,
        now: datetime,
    ) -> DeletionScope:
        """The scope of a request; raises :class:`LogSearchError` naming a bad field.

        An end later than ``now`` is brought back to ``now``: nothing is stored
        after it, and a job must not reach events that arrive later.
        """
        if start.tzinfo is not None and start >= now:
            raise LogSearchError("start", "start is in the future: nothing is stored there yet")
        if end.tzinfo is not None and start.tzinfo is not None and end > now:
            end = now
        text = query.strip() if query and query.strip() else None
        search = LogSearch(
            index_prefix=index_prefix, app_slug=app_slug, start=start, end=end, text=text
        )
        return cls(search)

    @property
    def start(self) -> datetime:
        return self.search.start

    @property
    def end(self) -> datetime:
        return self.search.end

    @property
    def text(self) -> str | None:
        return self.search.text

    @property
    def index_pattern(self) -> str:
        return self.search.index_pattern

    def query(self) -> dict[str, Any]:
        """The bool query the log search runs for this range and query string."""
        return self.search.query()

    def whole_indices(self, names: Iterable[str]) -> list[str]:
        """Of ``names``, the app's own daily indices whose entire day the range covers."""
        if self.text is not None:
            return []
        covered = []
        for name in names:
            day = app_index_day(name, index_prefix=self.search.index_prefix)
            if day is None:
                continue
            midnight = datetime.combine(day, time(), tzinfo=UTC)
            if self.start <= midnight and midnight + timedelta(days=1) <= self.end:
                covered.append(name)
        return sorted(covered)
