""" "Send test": a sample notification through a channel, now, and what became of it."""

from __future__ import annotations

import uuid

from barito_common.alerts import AlertSeverity, AlertTransition
from barito_common.notifications import DeliveryResult, Notification, deliver
from barito_market.alerts.sealing import opener
from barito_market.alerts.specs import channel_spec
from barito_market.models import AlertChannel, AppGroup
from barito_market.models.base import utc_now
from barito_market.settings import MarketSettings

__all__ = ["TEST_ATTEMPTS", "TEST_BUDGET_S", "send_test"]

# Someone is waiting for the answer: one try, a bounded wait, and the reason
# in words if it failed, rather than the server's patient retries.
TEST_ATTEMPTS = 1
TEST_BUDGET_S = 20.0


async def send_test(
    settings: MarketSettings, *, group: AppGroup, channel: AlertChannel
) -> DeliveryResult:
    notification = Notification(
        id=f"test:{uuid.uuid4()}",
        rule_id="test",
        rule_name=f"Test of the channel '{channel.name}'",
        app="",
        group=group.slug,
        transition=AlertTransition.FIRING,
        severity=AlertSeverity.INFO,
        at=utc_now(),
        count=0,
        window_s=0,
        test=True,
    )
    return await deliver(
        channel_spec(channel),
        notification,
        opener=opener(settings),
        smtp=settings.smtp,
        attempts=TEST_ATTEMPTS,
        budget_s=TEST_BUDGET_S,
        private_targets=settings.alert_private_targets,
    )
