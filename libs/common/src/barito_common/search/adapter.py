"""The search adapter: one async API over Elasticsearch 8 and OpenSearch 2.

Everything is implemented once here, on the request style both clients accept
(keyword arguments plus a JSON ``body=``). An engine module only says how to
build its client, which exceptions that client raises and how to unwrap its
responses. What it raises is drawn in :mod:`barito_common.search.errors`.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, ClassVar, Literal, Self

from barito_common.search.bulk_result import (
    BulkItemResult,
    BulkOutcome,
    BulkResult,
    classify_bulk_item,
)
from barito_common.search.errors import (
    SearchError,
    SearchRequestError,
    SearchUnavailable,
    translated_error,
)
from barito_common.settings import SearchSettings

__all__ = [
    "Document",
    "Engine",
    "IndexSize",
    "SearchAdapter",
    "SearchError",
    "SearchRequestError",
    "SearchUnavailable",
    "create_search_adapter",
]

Engine = Literal["elasticsearch", "opensearch"]
Document = tuple[str, str, Mapping[str, Any]]
"""``(index, id, source)`` of one document to index."""

# Deleting a pattern deletes its concrete indices in batches whose names fit in
# one request line (the engines refuse initial lines over 4 KiB by default).
_MAX_DELETE_LINE_CHARS = 3000


@dataclass(frozen=True, slots=True)
class IndexSize:
    """What one index holds, counted on its primary shards (replicas not included)."""

    documents: int
    bytes: int


class SearchAdapter(abc.ABC):
    """Async access to one search engine; create it with :func:`create_search_adapter`.

    Use it as an async context manager, or call :meth:`close` when done::

        async with create_search_adapter(settings.search) as search:
            await search.ping()
            result = await search.bulk_index([("barito-app-2025.01.31", "0-17-0", doc)])
    """

    _engine: ClassVar[Engine]
    _client_errors: ClassVar[tuple[type[Exception], ...]]
    """What the engine's client raises for error answers and failed connections."""

    def __init__(self, client: Any, *, url: str) -> None:
        # The two clients share method names and keyword arguments but no base
        # type, so the client is typed by what the engine module hands in: Any.
        self._client = client
        self._url = _without_credentials(url)

    # -- engine hooks -------------------------------------------------------------

    @classmethod
    @abc.abstractmethod
    def from_settings(cls, settings: SearchSettings) -> Self:
        """Build the engine's client from ``settings``; no request is sent yet."""

    def _body(self, response: Any) -> Any:
        """The decoded JSON of a client response."""
        return response

    @staticmethod
    def _basic_auth(settings: SearchSettings) -> tuple[str, str] | None:
        if settings.username is None:
            return None
        return settings.username, settings.password or ""

    # -- lifecycle ----------------------------------------------------------------

    @property
    def engine(self) -> Engine:
        """``"elasticsearch"`` or ``"opensearch"``."""
        return self._engine

    async def close(self) -> None:
        """Close the client's HTTP sessions."""
        await self._client.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    # -- cluster ------------------------------------------------------------------

    async def cluster_health(self) -> dict[str, Any]:
        """The body of ``GET _cluster/health``."""
        with self._errors_translated("reading cluster health"):
            return dict(self._body(await self._client.cluster.health()))

    async def ping(self) -> None:
        """Raise :class:`SearchUnavailable` unless the cluster answers green or yellow."""
        try:
            health = await self.cluster_health()
        except SearchRequestError as err:
            # For readiness a refused health check (bad credentials, a proxy's
            # 404) means the same as no answer: this engine cannot be used.
            raise SearchUnavailable(str(err), status=err.status, error_type=err.error_type) from err
        status = health.get("status")
        if status not in ("green", "yellow"):
            raise SearchUnavailable(
                f"{self.engine} at {self._url} is not ready: cluster status is {status}"
            )

    async def http_nodes(self) -> list[tuple[str, str]]:
        """``(name, HTTP publish address)`` of every node of the cluster, sorted by name."""
        with self._errors_translated("listing nodes"):
            response = self._body(await self._client.nodes.info(metric="http"))
        nodes = [
            (str(node.get("name", node_id)), str(node.get("http", {}).get("publish_address", "")))
            for node_id, node in response.get("nodes", {}).items()
        ]
        return sorted(nodes)

    async def put_index_template(
        self,
        name: str,
        *,
        index_patterns: Sequence[str],
        settings: Mapping[str, Any],
        mappings: Mapping[str, Any],
        priority: int = 100,
        replace: bool = True,
    ) -> bool:
        """Create or replace the composable index template ``name`` (``_index_template``).

        With ``replace=False`` an existing template of that name is left as it
        is; the answer says whether this call wrote the template.
        """
        body = {
            "index_patterns": list(index_patterns),
            "priority": priority,
            "template": {"settings": dict(settings), "mappings": dict(mappings)},
        }
        try:
            with self._errors_translated(f"putting index template {name!r}"):
                await self._client.indices.put_index_template(
                    name=name, body=body, create=not replace
                )
        except SearchRequestError as err:
            # Both engines answer 400 illegal_argument_exception "... already exists".
            if replace or err.status != 400 or "already exists" not in str(err):
                raise
            return False
        return True

    async def delete_index_template(self, name: str) -> None:
        """Delete the composable index template ``name``; a missing one is ignored."""
        with self._errors_translated(f"deleting index template {name!r}", missing_ok=True):
            await self._client.indices.delete_index_template(name=name)

    # -- documents ----------------------------------------------------------------

    async def bulk_index(
        self,
        docs: Sequence[Document],
        *,
        op_type: Literal["create", "index"] = "create",
        refresh: bool | Literal["wait_for"] = False,
    ) -> BulkResult:
        """Index ``docs`` in one bulk request; return one outcome per document, in order.

        Nothing is retried here: the caller decides what to do with the
        ``retryable`` and ``rejected`` items. Raises :class:`SearchRequestError`
        only when the engine refuses the request as a whole (e.g. bad credentials),
        which no document is to blame for.
        """
        if not docs:
            return BulkResult(items=())
        operations: list[Mapping[str, Any]] = []
        for index, doc_id, source in docs:
            operations.append({op_type: {"_index": index, "_id": doc_id}})
            operations.append(source)
        # One raw _bulk call rather than the clients' bulk helpers: callers cut
        # their own bulks (the flow by count and bytes, splitting again on a 413),
        # so the helpers' re-chunking buys nothing, and their failure paths
        # differ (Elasticsearch's helper lets a connection error escape even with
        # raise_on_exception=False, losing the outcomes of chunks already sent).
        # Here every document gets an outcome, in the order it was given.
        try:
            response = self._body(await self._client.bulk(body=operations, refresh=refresh))
        except self._client_errors as err:
            error = translated_error(err, "bulk request", engine=self.engine, url=self._url)
            if isinstance(error, SearchRequestError):
                raise error from err
            return BulkResult(
                items=tuple(
                    BulkItemResult(
                        index=index,
                        id=doc_id,
                        outcome=BulkOutcome.RETRYABLE,
                        status=error.status,
                        error_type=error.error_type,
                        reason=str(error),
                    )
                    for index, doc_id, _ in docs
                )
            )
        items = response.get("items", [])
        if len(items) != len(docs):
            raise SearchError(
                f"bulk response of {self.engine} has {len(items)} items for {len(docs)} documents"
            )
        return BulkResult(items=tuple(classify_bulk_item(item) for item in items))

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
        with self._errors_translated(f"searching {index!r}"):
            result = dict(self._body(await self._client.search(index=index, body=body)))
        result["total"] = _hits_total(result)
        return result

    async def search_body(self, index: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Run a complete ``_search`` ``body`` over ``index``; missing indices match nothing.

        For requests built elsewhere (e.g. :class:`~barito_common.search.log_query.LogSearch`).
        An index or pattern that matches no index yet gives an empty answer rather
        than a 404: an app that has sent no logs has nothing to find, not an error.
        The body gets the same extra ``total`` key as :meth:`search`.
        """
        with self._errors_translated(f"searching {index!r}"):
            response = await self._client.search(
                index=index, body=dict(body), ignore_unavailable=True, allow_no_indices=True
            )
            result = dict(self._body(response))
        result["total"] = _hits_total(result)
        return result

    async def count(self, index: str, *, query: Mapping[str, Any] | None = None) -> int:
        """Number of documents in ``index`` matching ``query`` (all by default)."""
        body = {"query": dict(query)} if query else None
        with self._errors_translated(f"counting {index!r}"):
            response = self._body(await self._client.count(index=index, body=body))
        return int(response["count"])

    # -- indices ------------------------------------------------------------------

    async def list_indices(self, pattern: str) -> list[str]:
        """Names of the open and closed indices matching ``pattern``, sorted."""
        rows: list[dict[str, str]] = []
        # missing_ok: a name without wildcards that does not exist answers 404.
        with self._errors_translated(f"listing indices {pattern!r}", missing_ok=True):
            rows = self._body(
                await self._client.cat.indices(
                    index=pattern, format="json", h="index", expand_wildcards="open,closed"
                )
            )
        return sorted(row["index"] for row in rows)

    async def index_sizes(self, pattern: str) -> dict[str, IndexSize]:
        """Documents and bytes stored (primary shards) of each index matching ``pattern``.

        An unknown name or a pattern matching nothing gives an empty dict.
        """
        response: Mapping[str, Any] = {}
        with self._errors_translated(f"reading stats of {pattern!r}", missing_ok=True):
            response = self._body(
                await self._client.indices.stats(index=pattern, metric="docs,store")
            )
        sizes: dict[str, IndexSize] = {}
        for name, stats in response.get("indices", {}).items():
            primaries = stats.get("primaries", {})
            sizes[name] = IndexSize(
                documents=int(primaries.get("docs", {}).get("count", 0)),
                bytes=int(primaries.get("store", {}).get("size_in_bytes", 0)),
            )
        return sizes

    async def delete_index(self, index_or_pattern: str) -> None:
        """Delete an index, or every index matching a pattern; missing ones are ignored.

        An app's pattern also matches the indices of apps whose slug extends
        its own: delete an app's indices with ``app_indices.delete_app_indices``.
        """
        if "*" not in index_or_pattern:
            await self._delete_indices(index_or_pattern)
            return
        # Elasticsearch 8 refuses wildcard deletes (action.destructive_requires_name
        # defaults to true), so resolve the pattern and delete the names it matches.
        await self.delete_indices(await self.list_indices(index_or_pattern))

    async def delete_indices(self, names: Iterable[str]) -> None:
        """Delete these concrete indices, in as few requests as fit; missing ones are ignored."""
        batch: list[str] = []
        for name in names:
            if batch and sum(len(n) + 1 for n in batch) + len(name) > _MAX_DELETE_LINE_CHARS:
                await self._delete_indices(",".join(batch))
                batch = []
            batch.append(name)
        if batch:
            await self._delete_indices(",".join(batch))

    async def _delete_indices(self, names: str) -> None:
        with self._errors_translated(f"deleting {names!r}", missing_ok=True):
            # ignore_unavailable: an index deleted meanwhile (by retention on
            # another replica) must not keep the others from being deleted.
            await self._client.indices.delete(index=names, ignore_unavailable=True)

    async def refresh(self, index: str) -> None:
        """Make everything indexed into ``index`` so far visible to search."""
        with self._errors_translated(f"refreshing {index!r}"):
            await self._client.indices.refresh(index=index)

    # -- errors -------------------------------------------------------------------

    @contextmanager
    def _errors_translated(self, action: str, *, missing_ok: bool = False) -> Iterator[None]:
        """Raise client errors as :class:`SearchError`; swallow 404 if ``missing_ok``."""
        try:
            yield
        except self._client_errors as err:
            error = translated_error(err, action, engine=self.engine, url=self._url)
            if missing_ok and error.status == 404:
                return
            raise error from err


def create_search_adapter(settings: SearchSettings) -> SearchAdapter:
    """Build the adapter of ``settings.engine``; it connects on its first request."""
    # Imported here because the engine modules import this one.
    if settings.engine == "elasticsearch":
        from barito_common.search.elasticsearch_adapter import ElasticsearchAdapter

        return ElasticsearchAdapter.from_settings(settings)
    from barito_common.search.opensearch_adapter import OpenSearchAdapter

    return OpenSearchAdapter.from_settings(settings)


def _hits_total(body: Mapping[str, Any]) -> int | None:
    total = body.get("hits", {}).get("total")
    if isinstance(total, Mapping):  # {"value": 42, "relation": "eq"}
        total = total.get("value")
    return total if isinstance(total, int) else None


def _without_credentials(url: str) -> str:
    """``url`` fit for messages and logs: any ``user:password@`` removed."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority, slash, path = rest.partition("/")
    return f"{scheme}://{authority.rpartition('@')[2]}{slash}{path}"
