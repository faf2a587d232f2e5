"""Elasticsearch 8 behind :class:`~barito_common.search.adapter.SearchAdapter`."""

from __future__ import annotations

from typing import Any, ClassVar, Self

from elasticsearch import ApiError, AsyncElasticsearch, TransportError

from barito_common.search.adapter import SearchAdapter
from barito_common.search.engine_client import Engine
from barito_common.settings import SearchSettings

__all__ = ["ElasticsearchAdapter"]


class ElasticsearchAdapter(SearchAdapter):
    """:class:`SearchAdapter` on ``elasticsearch.AsyncElasticsearch`` (8.x client)."""

    _engine: ClassVar[Engine] = "elasticsearch"
    # ApiError: the engine answered with an error status; TransportError: it did
    # not answer (connection refused, timeout, TLS), which has no status at all.
    _client_errors: ClassVar[tuple[type[Exception], ...]] = (ApiError, TransportError)

    @classmethod
    def from_settings(cls, settings: SearchSettings) -> Self:
        ssl_options: dict[str, Any] = {}
        if (context := cls._ssl_context(settings)) is not None:
            ssl_options["ssl_context"] = context
        client = AsyncElasticsearch(
            hosts=[settings.url],
            basic_auth=cls._basic_auth(settings),
            api_key=settings.api_key.get_secret_value() if settings.api_key else None,
            **ssl_options,
            request_timeout=settings.request_timeout_s,
            # Retries belong to the caller, which knows whether to back off,
            # give up or dead-letter; the client would silently resend instead.
            max_retries=0,
            retry_on_timeout=False,
        )
        return cls(client, settings=settings)

    def _body(self, response: Any) -> Any:
        # The 8.x client wraps every answer in an ObjectApiResponse / ListApiResponse.
        return response.body
