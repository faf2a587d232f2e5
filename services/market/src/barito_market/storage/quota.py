"""A group's storage limit: a superadmin's figure, else its live apps' templates' sum.

>>> from types import SimpleNamespace as N
>>> templates = {"small": N(storage_quota_bytes=200), "medium": N(storage_quota_bytes=4000)}
>>> group_limit(N(storage_quota_bytes=None), ["small", "small", "medium"], templates)
GroupLimit(bytes=4400, source='template')
>>> group_limit(N(storage_quota_bytes=50), ["small"], templates)
GroupLimit(bytes=50, source='admin')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

__all__ = ["WARNING_RATIO", "GroupLimit", "LimitSource", "group_limit"]

# The share of the limit at which the owners are told (and the UI warns).
WARNING_RATIO = 0.8

LimitSource = Literal["template", "admin"]


class _WithQuota(Protocol):
    @property
    def storage_quota_bytes(self) -> int | None: ...


class _Template(Protocol):
    @property
    def storage_quota_bytes(self) -> int: ...


@dataclass(frozen=True, slots=True)
class GroupLimit:
    bytes: int
    source: LimitSource


def group_limit(
    group: _WithQuota, capacities: Iterable[str], templates: Mapping[str, _Template]
) -> GroupLimit:
    """The group's limit; ``capacities``: the template name of each of its live apps.

    An app whose template is no longer installed adds nothing: its group's
    limit shrinks rather than the market guessing a size for it.
    """
    if group.storage_quota_bytes is not None:
        return GroupLimit(group.storage_quota_bytes, "admin")
    total = sum(templates[name].storage_quota_bytes for name in capacities if name in templates)
    return GroupLimit(total, "template")
