"""Webhook notifications reach a real HTTP server signed, retried and deduplicable."""

from __future__ import annotations

import json

from barito_common.kafka.backoff import Backoff
from barito_common.notifications import deliver
from barito_common.notifications.webhook import notification_body
from barito_common.settings import SmtpSettings
from barito_testing.alert_channels import OPENER, sample_notification, webhook_channel
from barito_testing.webhook_receiver import Answer, webhook_receiver

FAST = Backoff(base_s=0.01, cap_s=0.05)
NO_SMTP = SmtpSettings()


async def test_the_body_is_signed_with_the_channel_secret_and_a_tampered_body_is_not() -> None:
    notification = sample_notification()
    async with webhook_receiver() as receiver:
        result = await deliver(
            webhook_channel(receiver.url, secret="hook secret"),
            notification,
            opener=OPENER,
            private_targets=True,
            smtp=NO_SMTP,
        )
        [body] = await receiver.wait_for(1)

    assert result.delivered and result.attempts == 1 and result.error is None
    [request] = receiver.requests
    assert request.headers["x-barito-notification-id"] == notification.id
    assert request.headers["content-type"] == "application/json"
    assert request.verified("hook secret")
    assert not request.verified("another secret")
    tampered = request.body.replace(b'"count": 12', b'"count": 13')
    assert tampered != request.body
    assert not type(request)(request.path, request.headers, tampered, 200).verified("hook secret")
    assert body["id"] == notification.id
    assert body["rule"] == {"id": notification.rule_id, "name": "checkout errors"}
    assert (body["app"], body["group"], body["transition"], body["severity"]) == (
        "checkout",
        "shop",
        "firing",
        "critical",
    )
    assert (body["count"], body["window_s"], body["test"]) == (12, 300, False)
    assert body["at"] == "2026-12-05T16:00:00Z"
    assert body["samples"][0]["message"] == "payment failed"


async def test_500_500_200_is_delivered_on_the_third_attempt_as_one_notification() -> None:
    async with webhook_receiver(answers=[500, 500, 200]) as receiver:
        result = await deliver(
            webhook_channel(receiver.url),
            sample_notification(),
            opener=OPENER,
            private_targets=True,
            smtp=NO_SMTP,
            backoff=FAST,
        )
        await receiver.wait_for(1)

    assert result.delivered and result.attempts == 3
    assert [r.status for r in receiver.requests] == [500, 500, 200]
    assert len({r.notification_id for r in receiver.requests}) == 1
    assert len(receiver.notifications) == 1


async def test_a_404_fails_at_once_naming_the_status_and_the_receiver_words() -> None:
    async with webhook_receiver(answers=[Answer(404, "no such hook")]) as receiver:
        result = await deliver(
            webhook_channel(receiver.url),
            sample_notification(),
            opener=OPENER,
            private_targets=True,
            smtp=NO_SMTP,
            backoff=FAST,
        )

    assert not result.delivered and result.attempts == 1
    assert result.error == f"HTTP 404 from {receiver.url}: no such hook"
    assert len(receiver.requests) == 1


async def test_a_429_retry_after_is_waited_for() -> None:
    async with webhook_receiver(answers=[Answer(429, headers={"Retry-After": "1"})]) as receiver:
        result = await deliver(
            webhook_channel(receiver.url),
            sample_notification(),
            opener=OPENER,
            private_targets=True,
            smtp=NO_SMTP,
            backoff=FAST,
        )

    assert result.delivered and result.attempts == 2
    first, second = receiver.requests
    # The asked second, not the tiny backoff, passed between the attempts.
    assert second.received_at - first.received_at >= 1.0
    assert second.verified("webhook signing secret")


async def test_a_retry_after_beyond_the_budget_gives_up_saying_so() -> None:
    async with webhook_receiver(answers=[Answer(429, headers={"Retry-After": "600"})]) as receiver:
        result = await deliver(
            webhook_channel(receiver.url),
            sample_notification(),
            opener=OPENER,
            private_targets=True,
            smtp=NO_SMTP,
            budget_s=30,
            backoff=FAST,
        )

    assert not result.delivered and result.attempts == 1
    assert result.error is not None
    assert result.error.startswith(
        f"HTTP 429 from {receiver.url} after 1 attempt (it asked to wait 600 s, more than the "
    )
    assert result.error.endswith(" s left of the 30 s budget)")
    assert len(receiver.requests) == 1


async def test_an_exhausted_time_budget_stops_retrying_naming_the_last_status() -> None:
    busy = Answer(503, "busy", headers={"Retry-After": "1"})
    async with webhook_receiver(answers=[busy] * 5) as receiver:
        result = await deliver(
            webhook_channel(receiver.url),
            sample_notification(),
            opener=OPENER,
            private_targets=True,
            smtp=NO_SMTP,
            budget_s=1.5,
            backoff=FAST,
        )

    # Attempts at 0 s and 1 s; a third would start past the 1.5 s budget.
    assert not result.delivered and result.attempts == 2
    assert result.error is not None
    assert result.error.startswith(f"HTTP 503 from {receiver.url} after 2 attempts (it asked")
    assert result.error.endswith("left of the 1.5 s budget): busy")
    assert receiver.notifications == []


async def test_out_of_attempts_names_the_last_status_and_the_attempts() -> None:
    async with webhook_receiver(
        answers=[500, 502, 503, Answer(503, "down for maintenance")]
    ) as receiver:
        result = await deliver(
            webhook_channel(receiver.url),
            sample_notification(),
            opener=OPENER,
            private_targets=True,
            smtp=NO_SMTP,
            attempts=4,
            backoff=FAST,
        )

    assert not result.delivered and result.attempts == 4
    assert result.error == f"HTTP 503 from {receiver.url} after 4 attempts: down for maintenance"
    assert receiver.notifications == []


async def test_an_unreachable_receiver_is_retried_then_named() -> None:
    async with webhook_receiver() as receiver:
        url = receiver.url
    result = await deliver(
        webhook_channel(url),
        sample_notification(),
        opener=OPENER,
        private_targets=True,
        smtp=NO_SMTP,
        attempts=2,
        backoff=FAST,
    )

    assert not result.delivered and result.attempts == 2
    assert result.error == f"could not reach {url} (ConnectError) after 2 attempts"


async def test_a_secret_that_does_not_open_is_named_and_nothing_is_sent() -> None:
    async with webhook_receiver() as receiver:
        channel = webhook_channel(receiver.url)
        without_key = await deliver(
            channel, sample_notification(), opener=None, private_targets=True, smtp=NO_SMTP
        )

        def wrong_key(sealed: str) -> str:
            raise ValueError("a sealed secret does not open under this installation key")

        wrong = await deliver(
            channel, sample_notification(), opener=wrong_key, private_targets=True, smtp=NO_SMTP
        )

    assert not without_key.delivered and without_key.attempts == 0
    assert without_key.error == "no installation key to open the channel's secret"
    assert wrong.error == "a sealed secret does not open under this installation key"
    assert receiver.requests == []


def test_the_notification_body_is_plain_json() -> None:
    notification = sample_notification(test=True, url=None)
    assert json.loads(json.dumps(notification_body(notification)))["test"] is True


async def test_a_receiver_slower_than_the_budget_is_given_up_on_within_it() -> None:
    async with webhook_receiver(answers=[Answer(200, delay_s=1.0)]) as receiver:
        result = await deliver(
            webhook_channel(receiver.url),
            sample_notification(),
            opener=OPENER,
            private_targets=True,
            smtp=NO_SMTP,
            budget_s=0.3,
            backoff=FAST,
        )

    assert not result.delivered and result.attempts == 1
    assert result.error == (
        f"no answer from {receiver.url} within 0.3 s after 1 attempt (the 0.3 s budget ran out)"
    )


async def test_a_url_on_the_installations_own_network_is_refused_unless_allowed() -> None:
    # A tenant's webhook URL must not make Barito reach, for the tenant, what
    # only Barito reaches: the engines on loopback, a cloud's metadata address.
    async with webhook_receiver() as receiver:
        local = await deliver(
            webhook_channel(receiver.url),
            sample_notification(),
            opener=OPENER,
            private_targets=False,
            smtp=NO_SMTP,
        )
        metadata = await deliver(
            webhook_channel("http://169.254.169.254/latest/meta-data/"),
            sample_notification(),
            opener=OPENER,
            private_targets=False,
            smtp=NO_SMTP,
        )

    assert not local.delivered and local.attempts == 0
    assert local.error is not None
    assert "resolves to 127.0.0.1, a private or local address" in local.error
    assert "BARITO_ALERT_PRIVATE_TARGETS" in local.error
    assert metadata.error is not None and "resolves to 169.254.169.254" in metadata.error
    assert receiver.requests == []
