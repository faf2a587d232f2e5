"""What a group's indices hold: each app's own daily indices on the engines of its logs.

An app's daily indices are ``<index_prefix><slug>-YYYY.MM.DD``. The wildcard
``<index_prefix>shop-*`` also matches ``shop-api``'s indices, so a name is
the app's only when what precedes its date suffix is exactly the app's
prefix: each name is cut at its date and looked up, never prefix-matched.

Bytes are the primary shards' store (one copy of the data): the same figure
as an app's status page, whatever replicas the cluster keeps, and the figure
the templates' ``storage_quota`` is sized in (docs/deploy.md §8). The disks
hold it ``1 + replicas`` times.

Deleted apps count too: their indices stay on the group's disks until
retention removes them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date

from barito_common.search import SearchAdapter
from barito_common.search.app_indices import app_index_day, app_index_pattern
from barito_market.models import App

__all__ = ["GroupUsage", "StoredIndex", "measure_group"]

# "-YYYY.MM.DD"
_DAY_SUFFIX_CHARS = 11
# Patterns go comma-joined in the request line, which the engines cap at 4 KiB.
_MAX_PATTERNS_CHARS = 3000


@dataclass(frozen=True, slots=True)
class StoredIndex:
    engine: SearchAdapter
    name: str
    app_id: uuid.UUID
    app_slug: str
    day: date
    bytes: int
    documents: int


@dataclass(frozen=True)
class GroupUsage:
    indices: list[StoredIndex] = field(default_factory=list)

    @property
    def used_bytes(self) -> int:
        return sum(index.bytes for index in self.indices)


def _own_day(name: str, prefixes: dict[str, App]) -> tuple[App, date] | None:
    """The app and day of ``name`` if it is one of these apps' own daily indices."""
    prefix = name[:-_DAY_SUFFIX_CHARS]
    app = prefixes.get(prefix)
    if app is None:
        return None
    day = app_index_day(name, index_prefix=prefix)
    return None if day is None else (app, day)


def _batches(patterns: Sequence[str]) -> Iterator[str]:
    batch: list[str] = []
    for pattern in patterns:
        if batch and sum(len(p) + 1 for p in batch) + len(pattern) > _MAX_PATTERNS_CHARS:
            yield ",".join(batch)
            batch = []
        batch.append(pattern)
    if batch:
        yield ",".join(batch)


async def measure_group(
    engines: Sequence[SearchAdapter], *, index_prefix: str, apps: Sequence[App]
) -> GroupUsage:
    """The apps' own daily indices on each engine; raises ``SearchError`` if one fails."""
    prefixes = {f"{index_prefix}{app.slug}": app for app in apps}
    found: list[StoredIndex] = []
    for engine in engines:
        for patterns in _batches([app_index_pattern(prefix) for prefix in sorted(prefixes)]):
            for name, stats in (await engine.index_sizes(patterns)).items():
                owned = _own_day(name, prefixes)
                if owned is None:
                    continue
                app, day = owned
                found.append(
                    StoredIndex(
                        engine=engine,
                        name=name,
                        app_id=app.id,
                        app_slug=app.slug,
                        day=day,
                        bytes=stats.bytes,
                        documents=stats.documents,
                    )
                )
    return GroupUsage(found)
