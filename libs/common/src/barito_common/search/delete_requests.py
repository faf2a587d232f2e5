"""Deleting documents by query as a background task of the engine, and following it.

A deletion of days of logs outlives any HTTP request, so it is started with
``wait_for_completion=false``: the engine answers at once with a task id and
works on. Whoever started it keeps the id and reads the task's progress with
the tasks API, also after a restart: the engine, not the caller, runs it::

    task_id = await search.start_delete_by_query("barito-shop-*", query=query)
    status = await search.delete_task_status(task_id)
    while not status.completed:
        ...
        status = await search.delete_task_status(task_id)
    if status.error:
        print("failed:", status.error)

Both engines store a finished task's result in their ``.tasks`` index, so a
task is still found, completed, after it ended.

Delete-by-query lives in the engines' ``reindex`` module, which the minimal
distributions (the integ-test zips of the local stack among them) leave out:
there :meth:`~DeleteRequests.start_delete_by_query` raises
:class:`DeleteByQueryUnsupported`, and :meth:`~DeleteRequests.delete_matching_batch`
does the same work from the caller's side, a batch of ids at a time.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from barito_common.search.engine_client import EngineClient
from barito_common.search.errors import SearchRequestError

__all__ = ["DeleteByQueryUnsupported", "DeleteRequests", "DeleteTaskStatus"]

# How an engine without the reindex module answers _delete_by_query.
_NO_HANDLER = "no handler found"


class DeleteByQueryUnsupported(SearchRequestError):
    """The engine has no ``_delete_by_query`` (its ``reindex`` module is missing)."""


@dataclass(frozen=True, slots=True)
class DeleteTaskStatus:
    """Where a delete-by-query task stands."""

    completed: bool
    total: int
    """Documents the task found matching (all slices)."""
    deleted: int
    """Documents deleted so far."""
    error: str | None = None
    """Why a completed task did not delete everything (the engine's reason), else None."""


class DeleteRequests(EngineClient):
    """The adapter's delete-by-query task, its status, and deletion in batches."""

    async def start_delete_by_query(self, index: str, *, query: Mapping[str, Any]) -> str:
        """Start deleting what ``query`` matches in ``index``; return the engine's task id.

        Missing indices match nothing. A document changed while the task runs
        is skipped rather than failing the task (``conflicts=proceed``), the
        work is split over the shards (``slices=auto``), and the indices are
        refreshed when it is done, so searches stop finding what went.
        """
        try:
            with self._errors_translated(f"starting a delete-by-query on {index!r}"):
                response = self._body(
                    await self._client.delete_by_query(
                        index=index,
                        body={"query": dict(query)},
                        conflicts="proceed",
                        slices="auto",
                        refresh=True,
                        wait_for_completion=False,
                        ignore_unavailable=True,
                        allow_no_indices=True,
                    )
                )
        except SearchRequestError as err:
            if _NO_HANDLER not in str(err):
                raise
            raise DeleteByQueryUnsupported(
                f"{self.engine} at {self._url} has no _delete_by_query (its reindex module "
                "is not installed)",
                status=err.status,
                error_type=err.error_type,
            ) from err
        return str(response["task"])

    async def delete_matching_batch(
        self, index: str, *, query: Mapping[str, Any], size: int = 1000
    ) -> int:
        """Delete up to ``size`` documents ``query`` matches in ``index``; return how many went.

        Call it until it answers 0. Each batch is refreshed before it returns,
        so the next one does not find the same documents again. A document the
        engine refuses to delete (a read-only index) raises
        :class:`SearchRequestError` instead of being found again forever.
        """
        body = {"query": dict(query), "size": size, "_source": False, "sort": ["_doc"]}
        with self._errors_translated(f"finding documents to delete in {index!r}"):
            found = self._body(
                await self._client.search(
                    index=index, body=body, ignore_unavailable=True, allow_no_indices=True
                )
            )
        hits = found.get("hits", {}).get("hits", [])
        if not hits:
            return 0
        operations = [{"delete": {"_index": hit["_index"], "_id": hit["_id"]}} for hit in hits]
        with self._errors_translated(f"deleting documents in {index!r}"):
            response = self._body(await self._client.bulk(body=operations, refresh=True))
        deleted = 0
        for item in response.get("items", []):
            outcome = item.get("delete", {})
            # not_found: deleted meanwhile by someone else, which is as good.
            if outcome.get("result") == "deleted":
                deleted += 1
            elif outcome.get("status") != 404:
                error = outcome.get("error", {})
                raise SearchRequestError(
                    f"deleting {outcome.get('_id')!r} in {outcome.get('_index')!r} on "
                    f"{self.engine} failed: {error.get('reason', error)}",
                    status=outcome.get("status"),
                    error_type=error.get("type") if isinstance(error, Mapping) else None,
                )
        return deleted

    async def delete_task_status(self, task_id: str) -> DeleteTaskStatus:
        """The progress of a task started by :meth:`start_delete_by_query`."""
        with (
            warnings.catch_warnings(),
            self._errors_translated(f"reading task {task_id!r}"),
        ):
            # Elasticsearch's client flags the tasks API "technical preview";
            # it has been stable since 5.x and is how its own docs follow a task.
            warnings.filterwarnings("ignore", message="This API is in technical preview")
            response = self._body(await self._client.tasks.get(task_id=task_id))
        status = response.get("task", {}).get("status", {})
        if not response.get("completed"):
            return DeleteTaskStatus(
                completed=False,
                total=int(status.get("total", 0)),
                deleted=int(status.get("deleted", 0)),
            )
        result = response.get("response") or status
        return DeleteTaskStatus(
            completed=True,
            total=int(result.get("total", 0)),
            deleted=int(result.get("deleted", 0)),
            error=_failure(response),
        )


def _failure(response: Mapping[str, Any]) -> str | None:
    """The first reason a completed task gives for not finishing, if any."""
    error = response.get("error")
    if isinstance(error, Mapping):
        return str(error.get("reason") or error.get("type") or error)
    result = response.get("response") or {}
    for failure in result.get("failures") or []:
        cause = failure.get("cause", failure) if isinstance(failure, Mapping) else failure
        if isinstance(cause, Mapping):
            return str(cause.get("reason") or cause.get("type") or cause)
        return str(cause)
    if result.get("canceled"):
        return f"the task was cancelled: {result['canceled']}"
    return None
