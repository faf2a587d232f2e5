"""OpenSearch 2 behind :class:`~barito_common.search.adapter.SearchAdapter`."""

from __future__ import annotations

from typing import ClassVar, Self

from opensearchpy import AsyncOpenSearch, TransportError

from barito_common.search.adapter import SearchAdapter
from barito_common.search.engine_client import Engine
from barito_common.settings import SearchSettings

__all__ = ["OpenSearchAdapter"]


class OpenSearchAdapter(SearchAdapter):
    """:class:`SearchAdapter` on ``opensearchpy.AsyncOpenSearch`` (3.x client)."""

    _engine: ClassVar[Engine] = "opensearch"
    # Error answers and failed connections alike (ConnectionError subclasses it).
    _client_errors: ClassVar[tuple[type[Exception], ...]] = (TransportError,)

    @classmethod
    def from_settings(cls, settings: SearchSettings) -> Self:
        client = AsyncOpenSearch(
            hosts=[settings.url],
            http_auth=cls._basic_auth(settings),
            ssl_context=cls._ssl_context(settings),
            timeout=settings.request_timeout_s,
            # Retries belong to the caller, which knows whether to back off,
            # give up or dead-letter; the client would silently resend instead.
            max_retries=0,
            retry_on_timeout=False,
        )
        return cls(client, settings=settings)
