"""An app's own daily indices, ``<index_prefix>-YYYY.MM.DD``, and never another app's.

App prefixes nest: the pattern ``barito-shop-*`` of the app ``shop`` also
matches ``barito-shop-api-2025.01.31``, a daily index of the app
``shop-api``, which may belong to another group. So whatever lists, measures
or deletes an app's indices lists by the pattern and then keeps only the
names whose rest is a date. A slug has no dots, so no other app's index can
end in ``<index_prefix>-`` followed by a date.

Example::

    names = await list_app_indices(search, profile.index_prefix)
    await delete_app_indices(search, profile.index_prefix)  # only these names
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime

from barito_common.search.adapter import SearchAdapter

__all__ = [
    "app_index_day",
    "app_index_pattern",
    "delete_app_indices",
    "list_app_indices",
    "own_app_indices",
]

_DAY = re.compile(r"\d{4}\.\d{2}\.\d{2}")


def app_index_pattern(index_prefix: str) -> str:
    """The wildcard that finds an app's indices, and those of apps whose slug extends it."""
    return f"{index_prefix}-*"


def app_index_day(name: str, *, index_prefix: str) -> date | None:
    """The day of ``name`` if it is one of the app's own daily indices, else None.

    >>> app_index_day("barito-shop-2025.01.31", index_prefix="barito-shop")
    datetime.date(2025, 1, 31)
    >>> app_index_day("barito-shop-api-2025.01.31", index_prefix="barito-shop") is None
    True
    """
    rest = name.removeprefix(f"{index_prefix}-")
    if rest == name or not _DAY.fullmatch(rest):
        return None
    try:
        return datetime.strptime(rest, "%Y.%m.%d").date()
    except ValueError:  # 2025.02.30: shaped like a day, but none
        return None


def own_app_indices(names: Iterable[str], *, index_prefix: str) -> list[str]:
    """Of ``names``, the app's own daily indices, sorted."""
    return sorted(n for n in names if app_index_day(n, index_prefix=index_prefix) is not None)


async def list_app_indices(search: SearchAdapter, index_prefix: str) -> list[str]:
    """The app's own daily indices on the engine, sorted."""
    names = await search.list_indices(app_index_pattern(index_prefix))
    return own_app_indices(names, index_prefix=index_prefix)


async def delete_app_indices(search: SearchAdapter, index_prefix: str) -> list[str]:
    """Delete the app's own daily indices, never another app's; return the names deleted."""
    names = await list_app_indices(search, index_prefix)
    await search.delete_indices(names)
    return names
