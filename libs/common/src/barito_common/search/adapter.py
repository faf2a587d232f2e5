"""The search adapter: one async API over Elasticsearch 8 and OpenSearch 2.

Everything is implemented once, on the request style both clients accept
(keyword arguments plus a JSON ``body=``), in one module per job:

* :mod:`~barito_common.search.engine_client` — the client, its answers
  unwrapped, its errors translated (:mod:`barito_common.search.errors`);
* :mod:`~barito_common.search.bulk_indexing` — ``bulk_index``;
* :mod:`~barito_common.search.search_requests` — ``search``, ``search_body``, ``count``;
* :mod:`~barito_common.search.index_admin` — index templates and indices;
* :mod:`~barito_common.search.delete_requests` — delete-by-query tasks;
* this module — the adapter they make up: its lifecycle and the cluster's health.

An engine module only says how to build its client, which exceptions that
client raises and how to unwrap its responses.
"""

from __future__ import annotations

import abc
import asyncio
import ssl
from types import TracebackType
from typing import Any, Self

from barito_common.search.access_failures import diagnose
from barito_common.search.bulk_indexing import BulkIndexing
from barito_common.search.delete_requests import DeleteRequests
from barito_common.search.errors import SearchRequestError, SearchUnavailable
from barito_common.search.index_admin import IndexAdministration
from barito_common.search.search_requests import SearchRequests
from barito_common.settings import SearchSettings

__all__ = ["SearchAdapter", "create_search_adapter"]

# How long a health check may go unanswered before ping suspects a TLS engine.
_TLS_SUSPICION_S = 1.0


class SearchAdapter(
    BulkIndexing,
    SearchRequests,
    IndexAdministration,
    DeleteRequests,
    abc.ABC,
):
    """Async access to one search engine; create it with :func:`create_search_adapter`.

    Use it as an async context manager, or call :meth:`close` when done::

        async with create_search_adapter(settings.search) as search:
            await search.ping()
            result = await search.bulk_index([("barito-app-2025.01.31", "0-17-0", doc)])
    """

    # -- engine hooks -------------------------------------------------------------

    @classmethod
    @abc.abstractmethod
    def from_settings(cls, settings: SearchSettings) -> Self:
        """Build the engine's client from ``settings``; no request is sent yet."""

    @staticmethod
    def _basic_auth(settings: SearchSettings) -> tuple[str, str] | None:
        if settings.username is None:
            return None
        password = settings.password.get_secret_value() if settings.password else ""
        return settings.username, password

    @staticmethod
    def _ssl_context(settings: SearchSettings) -> ssl.SSLContext | None:
        """How an https URL is verified: against ``ssl_cafile`` (else the system's
        trust store), the host name checked unless ``ssl_check_hostname`` is off."""
        if not settings.url.lower().startswith("https://"):
            return None
        context = ssl.create_default_context(cafile=settings.ssl_cafile)
        # Turning the name check off still verifies the chain: the engine must
        # hold a certificate from a trusted CA, only not one naming this host.
        context.check_hostname = settings.ssl_check_hostname
        return context

    # -- lifecycle ----------------------------------------------------------------

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
            health = await self._health_or_tls_named()
        except SearchRequestError as err:
            # For readiness a refused health check (bad credentials, a proxy's
            # 404) means the same as no answer: this engine cannot be used.
            raise SearchUnavailable(str(err), status=err.status, error_type=err.error_type) from err
        status = health.get("status")
        if status not in ("green", "yellow"):
            raise SearchUnavailable(
                f"{self.engine} at {self._url} is not ready: cluster status is {status}"
            )

    async def _health_or_tls_named(self) -> dict[str, Any]:
        """:meth:`cluster_health`, with an http URL at a TLS engine named, not waited out.

        Such an engine drops the connection (Elasticsearch) or says nothing
        until the request times out (OpenSearch), long after readiness gave up.
        So when the health check has failed without an answer, or not answered
        within a second, a TLS handshake on the same port tells whether that is why.
        """
        health = asyncio.ensure_future(self.cluster_health())
        try:
            await asyncio.wait({health}, timeout=_TLS_SUSPICION_S)
            answered = health.done() and not _unanswered(health.exception())
            if not answered and (reason := await diagnose(self._settings, timeout_s=1.0)):
                raise SearchUnavailable(
                    f"reading cluster health on {self.engine} at {self._url} failed: {reason}"
                )
            return await health
        finally:
            health.cancel()

    async def http_nodes(self) -> list[tuple[str, str]]:
        """``(name, HTTP publish address)`` of every node of the cluster, sorted by name."""
        with self._errors_translated("listing nodes"):
            response = self._body(await self._client.nodes.info(metric="http"))
        nodes = [
            (str(node.get("name", node_id)), str(node.get("http", {}).get("publish_address", "")))
            for node_id, node in response.get("nodes", {}).items()
        ]
        return sorted(nodes)


def _unanswered(err: BaseException | None) -> bool:
    """A health check that failed without the engine's answer (no HTTP status)."""
    return isinstance(err, SearchUnavailable) and err.status is None


def create_search_adapter(settings: SearchSettings) -> SearchAdapter:
    """Build the adapter of ``settings.engine``; it connects on its first request."""
    # Imported here because the engine modules import this one.
    if settings.engine == "elasticsearch":
        from barito_common.search.elasticsearch_adapter import ElasticsearchAdapter

        return ElasticsearchAdapter.from_settings(settings)
    from barito_common.search.opensearch_adapter import OpenSearchAdapter

    return OpenSearchAdapter.from_settings(settings)
