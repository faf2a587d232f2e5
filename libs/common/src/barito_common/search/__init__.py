"""One async API over Elasticsearch 8 and OpenSearch 2.

Build the adapter from the service's :class:`~barito_common.settings.SearchSettings`
(``engine`` picks the client) and close it when done, e.g. in the lifespan::

    from barito_common.search import BulkOutcome, create_search_adapter

    async with create_search_adapter(settings.search) as search:
        await search.ping()  # /readyz: SearchUnavailable unless green or yellow
        await search.put_index_template(
            "barito-logs",
            index_patterns=["barito-*"],
            settings={"number_of_shards": 1},
            mappings={"properties": {"@timestamp": {"type": "date"}}},
        )
        result = await search.bulk_index(
            [("barito-shop-2025.01.31", "0-17-0", {"@timestamp": "2025-01-31T10:00:00Z"})]
        )
        for item in result.rejected:  # mapping / parse errors: dead-letter them
            print(item.id, item.error_type, item.reason)
        page = await search.search("barito-shop-*", query={"match": {"message": "boom"}})
        print(page["total"], page["hits"]["hits"])

``bulk_index`` never raises for what individual documents suffer: each comes
back as ``ok``, ``conflict`` (already indexed, a replay), ``retryable`` (429,
5xx, cluster block, no answer) or ``rejected`` (the engine refused the content).
An https engine is verified against ``ssl_cafile`` (else the system's trust
store) and, unless ``ssl_check_hostname`` is off, must name the URL's host;
Elasticsearch takes an ``api_key`` instead of a user. A refusal says what to
fix: the credentials of a user or the API key, a certificate not signed by a CA
in ``ssl_cafile`` or naming another host, https at a plain engine, and (from
``ping``) an http URL at a TLS engine.

The other calls raise::

    SearchError                 base; .status (HTTP or None), .error_type
    ├── SearchUnavailable       no answer, timeout, 429 or 5xx: try again later
    └── SearchRequestError      4xx: the engine refused this request
"""

from barito_common.search.adapter import SearchAdapter, create_search_adapter
from barito_common.search.bulk_indexing import Document
from barito_common.search.bulk_result import BulkItemResult, BulkOutcome, BulkResult
from barito_common.search.engine_client import Engine
from barito_common.search.errors import SearchError, SearchRequestError, SearchUnavailable
from barito_common.search.index_admin import IndexSize

__all__ = [
    "BulkItemResult",
    "BulkOutcome",
    "BulkResult",
    "Document",
    "Engine",
    "IndexSize",
    "SearchAdapter",
    "SearchError",
    "SearchRequestError",
    "SearchUnavailable",
    "create_search_adapter",
]
