"""Telling a group's owners that its indices passed 80 % of its storage limit.

Through every alert channel of the group (the alert notifications' own
delivery, :mod:`barito_common.notifications`), as a warning whose rule is
``storage-quota``; the storage API's ``warning`` shows the same to the web
UI whether or not the group has channels. ``AppGroup.storage_notified_at``
is set before sending and cleared once the group falls back under 80 %, so
each crossing is told once, also with several market replicas.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from barito_common.alerts import AlertSeverity, AlertTransition
from barito_common.notifications import DeliveryResult, Notification, deliver
from barito_market.alerts.sealing import opener
from barito_market.alerts.specs import channel_spec, group_channels
from barito_market.models import AppGroup
from barito_market.settings import MarketSettings

__all__ = ["NOTICE_RULE_ID", "send_storage_notice", "storage_notice"]

log = logging.getLogger(__name__)

NOTICE_RULE_ID = "storage-quota"
# A pass waits for its deliveries; a channel that keeps failing must not hold
# the other groups' checks for the alerts' two minutes.
_ATTEMPTS = 3
_BUDGET_S = 30.0


def _size(n: int) -> str:
    for unit, size in (("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


def storage_notice(
    group: AppGroup, *, used_bytes: int, limit_bytes: int, at: datetime
) -> Notification:
    """The notification, its id the same for one crossing (``at`` is when it was noticed).

    >>> from types import SimpleNamespace as N
    >>> from datetime import UTC
    >>> notice = storage_notice(
    ...     N(id="g1", slug="shop"), used_bytes=850, limit_bytes=1000,
    ...     at=datetime(2026, 12, 5, tzinfo=UTC))
    >>> notice.rule_name
    "Storage of the group 'shop' at 85 % of its limit (850 B of 1000 B)"
    """
    percent = used_bytes * 100 // limit_bytes
    return Notification(
        id=f"{NOTICE_RULE_ID}:{group.id}:{int(at.timestamp())}",
        rule_id=NOTICE_RULE_ID,
        rule_name=f"Storage of the group '{group.slug}' at {percent} % of its limit "
        f"({_size(used_bytes)} of {_size(limit_bytes)})",
        app="",
        group=group.slug,
        transition=AlertTransition.FIRING,
        severity=AlertSeverity.WARNING,
        at=at,
        count=0,
        window_s=0,
    )


async def send_storage_notice(
    settings: MarketSettings, group: AppGroup, notification: Notification
) -> list[DeliveryResult]:
    """Deliver to each of the group's channels at once; never raises for a failed one."""
    channels = group_channels(group)
    results = await asyncio.gather(
        *(
            deliver(
                channel_spec(channel),
                notification,
                opener=opener(settings),
                smtp=settings.smtp,
                attempts=_ATTEMPTS,
                budget_s=_BUDGET_S,
                private_targets=settings.alert_private_targets,
            )
            for channel in channels
        )
    )
    log.info(
        "Told a group's channels that it passed 80 % of its storage limit.",
        extra={
            "ctx": {
                "group": group.slug,
                "channels": len(channels),
                "delivered": sum(result.delivered for result in results),
            }
        },
    )
    return list(results)
