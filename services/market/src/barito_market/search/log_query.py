"""The search request for one app's logs, built so that it cannot leave that app.

A caller may pick the time range, a query string, field filters, the sort and
the page; it never picks the indices nor the app. Two things scope every
request, both set here and never taken from the query text:

* the index pattern ``<index_prefix>-*`` of the app's daily indices, and
* a ``term`` filter on ``barito.app`` (the slug the flow writes into every
  document), because app prefixes nest: ``barito-shop-*`` also matches the
  indices of the app ``shop-api``.

The query string goes into ``bool.must`` and the scope into ``bool.filter``;
a bool query matches only documents that satisfy both, so no query text
(``_index:other*``, ``*``, ``barito.app:other``) can widen it.

    >>> from datetime import UTC, datetime, timedelta
    >>> request = LogSearch(
    ...     index_prefix="barito-shop", app_slug="shop",
    ...     start=datetime(2025, 1, 31, 10, tzinfo=UTC), end=datetime(2025, 1, 31, 11, tzinfo=UTC),
    ...     text="payment AND failed", filters={"level": "error"},
    ... )
    >>> request.index_pattern
    'barito-shop-*'
    >>> body = request.body()
    >>> body["query"]["bool"]["filter"][1]
    {'term': {'barito.app': 'shop'}}
    >>> body["aggs"]["histogram"]["date_histogram"]["fixed_interval"]
    '1m'

Pagination is ``from``/``size``: the engines refuse ``from + size`` beyond
``index.max_result_window`` (10,000 by default), so :data:`MAX_RESULT_WINDOW`
bounds how deep a page may go; narrowing the time range reaches the rest.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from barito_common.search.tenant_field import APP_FIELD

__all__ = [
    "HISTOGRAM_BUCKETS",
    "MAX_PAGE_SIZE",
    "MAX_RANGE",
    "MAX_RESULT_WINDOW",
    "TIMESTAMP_FIELD",
    "HistogramBucket",
    "LogSearch",
    "LogSearchError",
    "histogram_buckets",
    "histogram_interval",
    "validate_field_name",
]

TIMESTAMP_FIELD = "@timestamp"
MAX_PAGE_SIZE = 500
MAX_RESULT_WINDOW = 10_000
HISTOGRAM_BUCKETS = 60
MAX_RANGE = timedelta(days=3660)
"""The longest time range searched at once: ten years, the longest retention."""
"""The histogram has at most this many buckets (and at least a sixth of it)."""

# Full-text fields of the flow's index template: the engines refuse to sort on
# them (no doc values), so a sort on one is refused here with a clear message.
_TEXT_FIELDS = frozenset({"message", "log", "msg"})
# A field path as users write them (``level``, ``http.status``, ``@timestamp``).
# Names starting with "_" are the engines' metadata fields (_index, _id, ...):
# never needed to read logs, and _index is exactly what must stay out of reach.
_FIELD_NAME = re.compile(r"^[A-Za-z0-9@][A-Za-z0-9_@.\-]{0,127}$")

# Fixed intervals, each a whole number of seconds, that the date histogram
# picks from: the smallest that keeps the range within HISTOGRAM_BUCKETS.
_INTERVALS: tuple[tuple[str, int], ...] = (
    ("1s", 1),
    ("2s", 2),
    ("5s", 5),
    ("10s", 10),
    ("30s", 30),
    ("1m", 60),
    ("2m", 120),
    ("5m", 300),
    ("10m", 600),
    ("15m", 900),
    ("30m", 1_800),
    ("1h", 3_600),
    ("3h", 10_800),
    ("6h", 21_600),
    ("12h", 43_200),
    ("1d", 86_400),
    ("7d", 604_800),
    ("30d", 2_592_000),
    ("365d", 31_536_000),
)


class LogSearchError(ValueError):
    """A search the caller asked for that cannot be run; ``field`` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def validate_field_name(name: str, *, what: str) -> str:
    """Return ``name`` if it is a document field a user may filter or sort on."""
    if not _FIELD_NAME.match(name):
        raise LogSearchError(
            what,
            f"{name!r} is not a field of your logs: use letters, digits, '@', '_', '-' "
            "and '.' for nested fields, and do not start with '_' (metadata fields are "
            "not searchable)",
        )
    return name


def histogram_interval(start: datetime, end: datetime) -> tuple[str, int]:
    """``(engine interval, seconds)``: the smallest fixed interval giving <= 60 buckets."""
    span = max((end - start).total_seconds(), 1.0)
    for name, seconds in _INTERVALS:
        if span / seconds <= HISTOGRAM_BUCKETS:
            return name, seconds
    return _INTERVALS[-1]


@dataclass(frozen=True, slots=True)
class HistogramBucket:
    start: datetime
    count: int


def histogram_buckets(
    start: datetime, end: datetime, counts: Mapping[int, int]
) -> list[HistogramBucket]:
    """Every bucket of the range, empty ones included, from the engine's ``{epoch_ms: count}``.

    The engines align fixed-interval buckets to multiples of the interval since
    the epoch (UTC), so the first bucket starts at or before ``start``. Filling
    the empty buckets here, rather than with ``extended_bounds``, also gives a
    full histogram when no index exists yet and the engine returns no buckets.
    """
    _, seconds = histogram_interval(start, end)
    step_ms = seconds * 1000
    first = int(start.timestamp() * 1000) // step_ms * step_ms
    last = int(end.timestamp() * 1000)
    return [
        HistogramBucket(datetime.fromtimestamp(key / 1000, UTC), counts.get(key, 0))
        for key in range(first, last + 1, step_ms)
        if key < last or key == first
    ]


@dataclass(frozen=True, slots=True)
class LogSearch:
    """One page of one app's logs, with a histogram of the whole match over the range."""

    index_prefix: str
    """The app's index prefix; its daily indices are ``<index_prefix>-YYYY.MM.DD``."""
    app_slug: str
    start: datetime
    end: datetime
    text: str | None = None
    """Query-string syntax (``level:error AND payment``); empty or None matches all."""
    filters: Mapping[str, str] = field(default_factory=dict)
    """Exact matches, ``field -> value``, on keyword and numeric fields."""
    sort_field: str = TIMESTAMP_FIELD
    order: Literal["asc", "desc"] = "desc"
    page: int = 1
    """1-based page number."""
    size: int = 50

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise LogSearchError("start", "start and end need a time zone (e.g. a trailing Z)")
        if self.end <= self.start:
            raise LogSearchError("end", "end must be after start")
        if self.end - self.start > MAX_RANGE:
            raise LogSearchError("start", f"the range may span at most {MAX_RANGE.days} days")
        if not 1 <= self.size <= MAX_PAGE_SIZE:
            raise LogSearchError("size", f"size must be between 1 and {MAX_PAGE_SIZE}")
        if self.page < 1:
            raise LogSearchError("page", "page must be 1 or more")
        if self.page * self.size > MAX_RESULT_WINDOW:
            raise LogSearchError(
                "page",
                f"pages reach only the first {MAX_RESULT_WINDOW} matches (page x size); "
                "narrow the time range or the query to see later ones",
            )
        validate_field_name(self.sort_field, what="sort")
        if self.sort_field in _TEXT_FIELDS:
            raise LogSearchError(
                "sort", f"{self.sort_field!r} is full text and cannot be sorted on"
            )
        for name in self.filters:
            validate_field_name(name, what="filter")

    @property
    def index_pattern(self) -> str:
        return f"{self.index_prefix}-*"

    def query(self) -> dict[str, Any]:
        """The bool query: the app's scope and the caller's filters, plus its text."""
        scope: list[dict[str, Any]] = [
            {
                "range": {
                    TIMESTAMP_FIELD: {
                        "gte": _iso(self.start),
                        "lt": _iso(self.end),
                        "format": "strict_date_optional_time",
                    }
                }
            },
            {"term": {APP_FIELD: self.app_slug}},
            *({"term": {name: value}} for name, value in self.filters.items()),
        ]
        query: dict[str, Any] = {"filter": scope}
        if self.text and self.text.strip():
            query["must"] = [
                {
                    "query_string": {
                        "query": self.text,
                        "default_field": "*",
                        # lenient: "boom" against numeric fields is no match, not an error.
                        "lenient": True,
                        # A leading wildcard scans every term of every field.
                        "allow_leading_wildcard": False,
                        "default_operator": "AND",
                    }
                }
            ]
        return {"bool": query}

    def sort(self) -> list[dict[str, Any]]:
        # unmapped_type: a field absent from some daily indices sorts as missing
        # there instead of failing the whole search.
        spec: list[dict[str, Any]] = [
            {self.sort_field: {"order": self.order, "unmapped_type": "keyword"}}
        ]
        if self.sort_field != TIMESTAMP_FIELD:
            spec.append({TIMESTAMP_FIELD: {"order": "desc"}})
        return spec

    def aggregations(self) -> dict[str, Any]:
        interval, _ = histogram_interval(self.start, self.end)
        return {
            "histogram": {
                "date_histogram": {
                    "field": TIMESTAMP_FIELD,
                    "fixed_interval": interval,
                    "min_doc_count": 1,
                }
            }
        }

    def body(self) -> dict[str, Any]:
        """The request body for ``_search`` over :attr:`index_pattern`."""
        return {
            "query": self.query(),
            "sort": self.sort(),
            "from": (self.page - 1) * self.size,
            "size": self.size,
            "aggs": self.aggregations(),
            "track_total_hits": True,
        }

    def histogram(self, response: Mapping[str, Any]) -> list[HistogramBucket]:
        """The filled histogram of a response to :meth:`body`."""
        raw: Sequence[Mapping[str, Any]] = (
            response.get("aggregations", {}).get("histogram", {}).get("buckets", [])
        )
        return histogram_buckets(
            self.start, self.end, {int(b["key"]): int(b["doc_count"]) for b in raw}
        )


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
