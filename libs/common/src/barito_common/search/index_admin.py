"""Index administration: index templates, listing, sizing, deleting and refreshing indices."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from barito_common.search.engine_client import EngineClient
from barito_common.search.errors import SearchRequestError

__all__ = ["IndexAdministration", "IndexSize"]

# Deleting a pattern deletes its concrete indices in batches whose names fit in
# one request line (the engines refuse initial lines over 4 KiB by default).
_MAX_DELETE_LINE_CHARS = 3000


@dataclass(frozen=True, slots=True)
class IndexSize:
    """What one index holds, counted on its primary shards (replicas not included)."""

    documents: int
    bytes: int


class IndexAdministration(EngineClient):
    """The adapter's index template and index calls."""

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
