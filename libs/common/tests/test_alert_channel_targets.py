"""Every HTTP channel, not only the webhook, refuses a URL on the installation's own network."""

from __future__ import annotations

import pytest

from barito_common.notifications import deliver
from barito_common.settings import SmtpSettings
from barito_testing.alert_channels import (
    OPENER,
    pagerduty_channel,
    sample_notification,
    slack_channel,
    webhook_channel,
)
from barito_testing.webhook_receiver import webhook_receiver

NO_SMTP = SmtpSettings()


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "[::1]", "0.0.0.0", "[::ffff:127.0.0.1]", "10.0.0.5", "localhost"],
)
async def test_slack_and_pagerduty_urls_on_a_private_address_are_refused_before_sending(
    host: str,
) -> None:
    async with webhook_receiver() as receiver:
        port = receiver.url.rsplit(":", 1)[1].split("/", 1)[0]
        url = f"https://{host}:{port}/T0/B0/slack-token"
        results = [
            await deliver(
                channel,
                sample_notification(),
                opener=OPENER,
                private_targets=False,
                smtp=NO_SMTP,
            )
            for channel in (slack_channel(url), pagerduty_channel(url), webhook_channel(url))
        ]

    for result in results:
        assert not result.delivered and result.attempts == 0
        assert result.error is not None and "a private or local address" in result.error
    # The Slack URL is its secret: never quoted, even when refused.
    assert results[0].error is not None and "slack-token" not in results[0].error
    assert receiver.requests == []
