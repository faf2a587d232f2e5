"""Queries: ``_search`` and ``_count`` over an index, a pattern or a comma list."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from barito_common.search.engine_client import EngineClient
from barito_common.search.errors import SearchUnavailable

__all__ = ["SearchRequests"]

# An index created a moment ago (an app's first events, the day's new index at
# midnight) is matched by a search before its shards have started, and the
# engine answers 503 "all shards failed": Elasticsearch names each shard
# no_shard_available_action_exception, OpenSearch lists no shard at all. They
# start within a second or so: waiting briefly answers the user; a shard still
# missing after that is an outage and stays a SearchUnavailable.
_SHARDS_STARTING = {"no_shard_available_action_exception", "search_phase_execution_exception"}
_SHARD_START_PAUSES_S = (0.1, 0.2, 0.4, 0.8, 1.5)


class SearchRequests(EngineClient):
    """The adapter's ``search``, ``search_body`` and ``count``."""

    async def search(
        self,
        index: str,
        *,
        query: Mapping[str, Any] | None = None,
        size: int = 10,
        sort: Sequence[Any] | None = None,
        aggs: Mapping[str, Any] | None = None,
        from_: int = 0,
    ) -> dict[str, Any]:
        """Search ``index`` (a name, pattern or comma list); return the response body.

        The body gets one extra key, ``total``: ``hits.total`` as a plain int
        (``None`` if the engine did not count). ``query`` defaults to match_all.
        """
        body: dict[str, Any] = {"query": query or {"match_all": {}}, "size": size, "from": from_}
        if sort is not None:
            body["sort"] = list(sort)
        if aggs is not None:
            body["aggs"] = dict(aggs)

        async def attempt() -> dict[str, Any]:
            with self._errors_translated(f"searching {index!r}"):
                return dict(self._body(await self._client.search(index=index, body=body)))

        result = await _once_shards_started(attempt)
        result["total"] = _hits_total(result)
        return result

    async def search_body(self, index: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Run a complete ``_search`` ``body`` over ``index``; missing indices match nothing.

        For requests built elsewhere (e.g. the market's log search).
        An index or pattern that matches no index yet gives an empty answer rather
        than a 404: an app that has sent no logs has nothing to find, not an error.
        The body gets the same extra ``total`` key as :meth:`search`.
        """

        async def attempt() -> dict[str, Any]:
            with self._errors_translated(f"searching {index!r}"):
                response = await self._client.search(
                    index=index, body=dict(body), ignore_unavailable=True, allow_no_indices=True
                )
                return dict(self._body(response))

        result = await _once_shards_started(attempt)
        result["total"] = _hits_total(result)
        return result

    async def count(self, index: str, *, query: Mapping[str, Any] | None = None) -> int:
        """Number of documents in ``index`` matching ``query`` (all by default)."""
        body = {"query": dict(query)} if query else None
        with self._errors_translated(f"counting {index!r}"):
            response = self._body(await self._client.count(index=index, body=body))
        return int(response["count"])


async def _once_shards_started(
    attempt: Callable[[], Awaitable[dict[str, Any]]],
) -> dict[str, Any]:
    for pause in _SHARD_START_PAUSES_S:
        try:
            return await attempt()
        except SearchUnavailable as err:
            if err.status != 503 or err.error_type not in _SHARDS_STARTING:
                raise
        await asyncio.sleep(pause)
    return await attempt()


def _hits_total(body: Mapping[str, Any]) -> int | None:
    total = body.get("hits", {}).get("total")
    if isinstance(total, Mapping):  # {"value": 42, "relation": "eq"}
        total = total.get("value")
    return total if isinstance(total, int) else None
