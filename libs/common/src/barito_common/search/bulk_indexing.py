"""Bulk submission: many documents in one ``_bulk`` request, one outcome each."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from barito_common.search.bulk_result import (
    BulkItemResult,
    BulkOutcome,
    BulkResult,
    classify_bulk_item,
)
from barito_common.search.engine_client import EngineClient
from barito_common.search.errors import SearchError, SearchRequestError, translated_error

__all__ = ["BulkIndexing", "Document"]

Document = tuple[str, str, Mapping[str, Any]]
"""``(index, id, source)`` of one document to index."""


class BulkIndexing(EngineClient):
    """The adapter's ``bulk_index``."""

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
            error = translated_error(
                err, "bulk request", engine=self.engine, url=self._url, settings=self._settings
            )
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
