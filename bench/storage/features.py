"""The market's searches, run on each variant's index to prove nothing users rely on is lost.

Each check is a :class:`LogSearch` as the market's search page builds it (query
string, field filters, sort, histogram). A variant keeps a feature when the
engine runs the search and it answers exactly what the baseline answers: the
same total, and for a sort, the same first hit. The phrase search is also
timed (median of a few runs), since ``match_only_text`` verifies phrases
against ``_source`` instead of reading stored positions.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from mix import DAY

from barito_common.search import SearchAdapter, SearchError
from barito_market.search.log_query import LogSearch

__all__ = ["CHECKS", "Answers", "run_checks", "timed_phrase_ms"]

PHRASE = '"payment authorized for order"'

# name -> (query text, filters, sort field, order)
CHECKS: dict[str, tuple[str | None, dict[str, str], str, str]] = {
    "phrase in message": (PHRASE, {}, "@timestamp", "desc"),
    "words in message": ("processing AND timed", {}, "@timestamp", "desc"),
    "words in a traceback": ("Traceback AND closed", {}, "@timestamp", "desc"),
    "field:value in text": ("level:ERROR AND declined", {}, "@timestamp", "desc"),
    "filter level": (None, {"level": "ERROR"}, "@timestamp", "desc"),
    "filter status code": (None, {"code": "503"}, "@timestamp", "desc"),
    "filter nested keyword": (None, {"kubernetes.labels.app": "payments"}, "@timestamp", "asc"),
    "filter + text": ("POST", {"method": "POST"}, "@timestamp", "desc"),
    "sort by time asc": (None, {}, "@timestamp", "asc"),
    "sort by keyword": (None, {"method": "DELETE"}, "remote", "asc"),
    "sort by number": (None, {"method": "PUT"}, "size", "desc"),
}

Answers = dict[str, str]


@dataclass(frozen=True)
class _Search:
    search: SearchAdapter
    index_prefix: str
    slug: str

    def request(
        self, text: str | None, filters: dict[str, str], sort: str, order: Any
    ) -> LogSearch:
        return LogSearch(
            index_prefix=self.index_prefix,
            app_slug=self.slug,
            start=DAY,
            end=DAY + timedelta(days=1),
            text=text,
            filters=filters,
            sort_field=sort,
            order=order,
            size=5,
        )


async def run_checks(search: SearchAdapter, index_prefix: str, slug: str) -> Answers:
    """``check -> answer``: total, histogram sum and first hit's sort key, or the refusal."""
    scope = _Search(search, index_prefix, slug)
    answers: Answers = {}
    for name, (text, filters, sort, order) in CHECKS.items():
        request = scope.request(text, filters, sort, order)
        try:
            found = await search.search_body(request.index_pattern, request.body())
        except SearchError as err:
            answers[name] = f"refused: {err}"[:120]
            continue
        histogram = sum(bucket.count for bucket in request.histogram(found))
        hits = found["hits"]["hits"]
        # The first hit's sort values, not its id: hits tied on the sort key may
        # come in another order once an index is sorted.
        first = hits[0].get("sort") if hits else "-"
        answers[name] = f"total={found['total']} histogram={histogram} first={first}"
    return answers


async def timed_phrase_ms(search: SearchAdapter, index_prefix: str, slug: str) -> float:
    """Median time of the phrase search, as the engine reports it (``took``), over 5 runs."""
    request = _Search(search, index_prefix, slug).request(PHRASE, {}, "@timestamp", "desc")
    took: list[float] = []
    for _ in range(5):
        start = time.perf_counter()
        found = await search.search_body(request.index_pattern, request.body())
        took.append(float(found.get("took", (time.perf_counter() - start) * 1000)))
    return statistics.median(took)
