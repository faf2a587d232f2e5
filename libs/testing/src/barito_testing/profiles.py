"""App profiles for tests that need one without registering it (no Kafka).

    >>> profile = app_profile("shop", "g-1", capacity="small")
    >>> profile.topic, profile.group_slug, profile.capacity
    ('barito.logs.shop', 'g-1', 'small')

To register an app on the stack's Kafka, use :class:`barito_testing.apps.Apps`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from barito_common.kafka import Topics
from barito_common.schemas import AppProfile, AppStatus

__all__ = ["app_profile"]


def app_profile(slug: str, group_id: str = "g-1", **changes: Any) -> AppProfile:
    """An active app ``slug`` of the group ``group_id`` (its slug too), validated.

    The topic and index prefix are the default installation's; ``changes``
    replace any field.
    """
    fields: dict[str, Any] = {
        "app_id": f"id-{slug}",
        "slug": slug,
        "name": slug,
        "group_id": group_id,
        "group_slug": group_id,
        "status": AppStatus.ACTIVE,
        "tps": 100,
        "topic": Topics().logs(slug),
        "index_prefix": f"barito-{slug}",
        "retention_days": 7,
        "capacity": "medium",
        "updated_at": datetime.now(UTC),
    }
    return AppProfile(**(fields | changes))
