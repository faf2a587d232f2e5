"""What each index holds on disk, when it was made: the figures a storage quota counts.

One ``_stats`` request (documents, store on the primaries and on every copy)
and one ``_settings`` request (``index.creation_date``) per pattern::

    stats = await search.index_stats("barito-shop-*")
    stats["barito-shop-2025.01.31"].primary_bytes   # one copy
    stats["barito-shop-2025.01.31"].total_bytes     # primaries + replicas: the disks' share

The pattern of an app also matches the indices of apps whose slug extends its
own: keep an app's own names with ``app_indices.own_app_indices``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from barito_common.search.engine_client import EngineClient

__all__ = ["IndexStatistics", "IndexStats"]

_STATS_FIELDS = ",".join(
    (
        "indices.*.primaries.docs.count",
        "indices.*.primaries.store.size_in_bytes",
        "indices.*.total.store.size_in_bytes",
    )
)


@dataclass(frozen=True, slots=True)
class IndexStats:
    """One index: its documents (counted once), its bytes on disk, its creation time."""

    documents: int
    primary_bytes: int
    """Store size of the primary shards: one copy of the data."""
    total_bytes: int
    """Store size of the primaries and their replicas: what the engine's disks hold."""
    created_at: datetime | None
    """``index.creation_date``; None if the index went before its settings were read."""


class IndexStatistics(EngineClient):
    """The adapter's per-index size and age."""

    async def index_stats(self, pattern: str) -> dict[str, IndexStats]:
        """Every open index matching ``pattern`` (comma-separated patterns too), by name.

        A missing name or a pattern matching nothing gives an empty dict; an
        index deleted between the two requests has no creation time.
        """
        stats: Mapping[str, Any] = {}
        with self._errors_translated(f"reading stats of {pattern!r}", missing_ok=True):
            stats = self._body(
                await self._client.indices.stats(
                    index=pattern,
                    metric="docs,store",
                    filter_path=_STATS_FIELDS,
                )
            )
        indices: Mapping[str, Any] = stats.get("indices", {})
        if not indices:
            return {}
        created: Mapping[str, Any] = {}
        with self._errors_translated(f"reading settings of {pattern!r}", missing_ok=True):
            created = self._body(
                await self._client.indices.get_settings(
                    index=pattern,
                    name="index.creation_date",
                    flat_settings=True,
                    ignore_unavailable=True,
                )
            )
        return {name: _stats(figures, created.get(name)) for name, figures in indices.items()}


def _stats(figures: Mapping[str, Any], settings: Mapping[str, Any] | None) -> IndexStats:
    primaries = figures.get("primaries", {})
    total = figures.get("total", {})
    millis = ((settings or {}).get("settings") or {}).get("index.creation_date")
    return IndexStats(
        documents=int(primaries.get("docs", {}).get("count", 0)),
        primary_bytes=int(primaries.get("store", {}).get("size_in_bytes", 0)),
        total_bytes=int(total.get("store", {}).get("size_in_bytes", 0)),
        created_at=None if millis is None else datetime.fromtimestamp(int(millis) / 1000, UTC),
    )
