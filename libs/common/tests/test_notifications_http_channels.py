"""Slack and PagerDuty notifications reach a real HTTP server in the shape those services take."""

from __future__ import annotations

import logging

import pytest

from barito_common.alerts import AlertSeverity, AlertTransition
from barito_common.kafka.backoff import Backoff
from barito_common.notifications import deliver
from barito_common.settings import SmtpSettings
from barito_testing.alert_channels import (
    OPENER,
    pagerduty_channel,
    sample_notification,
    slack_channel,
)
from barito_testing.webhook_receiver import Answer, webhook_receiver

FAST = Backoff(base_s=0.01, cap_s=0.05)
NO_SMTP = SmtpSettings()


async def test_slack_gets_text_and_blocks_with_the_rule_app_severity_count_and_three_samples() -> (
    None
):
    samples = [{"level": "error", "message": f"payment {n} failed " + "x" * 400} for n in range(5)]
    notification = sample_notification(samples=samples)
    async with webhook_receiver() as receiver:
        result = await deliver(
            slack_channel(f"{receiver.url}/T0/B0/slack-token"),
            notification,
            opener=OPENER,
            private_targets=True,
            smtp=NO_SMTP,
        )
        [body] = await receiver.wait_for(1)

    assert result.delivered
    assert body["text"] == (
        "FIRING critical: checkout errors on checkout — 12 matching events in the last 5 min"
    )
    title, facts, sample_block, footer = body["blocks"]
    assert title["text"]["text"] == "*FIRING critical: checkout errors on checkout*"
    assert [field["text"] for field in facts["fields"]] == [
        "*Rule*\ncheckout errors",
        "*App*\ncheckout (shop)",
        "*Severity*\ncritical",
        "*Matching events*\n12 matching events in the last 5 min",
    ]
    lines = sample_block["text"]["text"].strip("`").split("\n")
    assert len(lines) == 3
    assert all(len(line) <= 200 and line.endswith("…") for line in lines)
    assert "payment 2 failed" in lines[2]
    assert (
        "<https://barito.example/apps/checkout/alerts|Open in Barito>"
        in (footer["elements"][0]["text"])
    )


async def test_a_refused_slack_post_says_the_slack_webhook_and_never_its_url(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with webhook_receiver(answers=[Answer(403, "invalid_token")]) as receiver:
        secret_url = f"{receiver.url}/T0/B0/slack-token"
        result = await deliver(
            slack_channel(secret_url),
            sample_notification(),
            opener=OPENER,
            private_targets=True,
            smtp=NO_SMTP,
        )
    async with webhook_receiver() as gone:
        gone_url = f"{gone.url}/T0/B0/slack-token"
    unreachable = await deliver(
        slack_channel(gone_url),
        sample_notification(),
        opener=OPENER,
        private_targets=True,
        smtp=NO_SMTP,
        attempts=2,
        backoff=FAST,
    )

    assert not result.delivered
    assert result.error == "HTTP 403 from the Slack webhook: invalid_token"
    assert unreachable.error == "could not reach the Slack webhook (ConnectError) after 2 attempts"
    # The sender's log lines (the test receiver's own access log names its path).
    logged = [repr(r.__dict__) for r in caplog.records if not r.name.startswith("uvicorn")]
    assert any("HTTP 403 from the Slack webhook" in line for line in logged)
    assert not [line for line in logged if "slack-token" in line]


async def test_pagerduty_triggers_and_resolves_one_incident_keyed_by_the_rule() -> None:
    firing = sample_notification(severity=AlertSeverity.WARNING)
    renotify = sample_notification(
        rule_id=firing.rule_id, sequence=2, transition=AlertTransition.RENOTIFY
    )
    resolved = sample_notification(
        rule_id=firing.rule_id, sequence=3, transition=AlertTransition.RESOLVED
    )
    async with webhook_receiver(answers=[Answer(202, '{"status":"success"}')]) as receiver:
        channel = pagerduty_channel(receiver.url, routing_key="R0UT1NGKEY")
        for notification in (firing, renotify, resolved):
            result = await deliver(
                channel, notification, opener=OPENER, private_targets=True, smtp=NO_SMTP
            )
            assert result.delivered
        trigger, again, resolve = await receiver.wait_for(3)

    assert trigger["routing_key"] == "R0UT1NGKEY"
    assert trigger["event_action"] == again["event_action"] == "trigger"
    assert trigger["dedup_key"] == again["dedup_key"] == resolve["dedup_key"] == firing.rule_id
    payload = trigger["payload"]
    assert payload["summary"] == (
        "FIRING warning: checkout errors on checkout — 12 matching events in the last 5 min"
    )
    assert (payload["source"], payload["severity"], payload["group"]) == (
        "checkout",
        "warning",
        "shop",
    )
    assert payload["timestamp"] == "2026-12-05T16:00:00+00:00"
    details = payload["custom_details"]
    assert details["notification_id"] == firing.id
    assert (details["count"], details["window_s"]) == (12, 300)
    assert details["samples"][0]["message"] == "payment failed"
    assert again["payload"]["summary"].startswith("STILL FIRING critical:")
    assert resolve == {
        "routing_key": "R0UT1NGKEY",
        "event_action": "resolve",
        "dedup_key": firing.rule_id,
    }


async def test_a_pagerduty_refusal_names_the_status_without_the_routing_key() -> None:
    refusal = Answer(400, '{"status":"invalid event","message":"bad key R0UT1NGKEY"}')
    async with webhook_receiver(answers=[refusal]) as receiver:
        result = await deliver(
            pagerduty_channel(receiver.url, routing_key="R0UT1NGKEY"),
            sample_notification(),
            opener=OPENER,
            private_targets=True,
            smtp=NO_SMTP,
        )

    assert not result.delivered and result.attempts == 1
    assert result.error == (
        f'HTTP 400 from {receiver.url}: {{"status":"invalid event","message":"bad key [secret]"}}'
    )


async def test_a_group_notice_names_no_app_and_counts_no_events() -> None:
    """The storage quota's 80 % notice is about a group: no dangling "on " and
    no "0 matching events in the last 0 s" in what a person reads."""
    notification = sample_notification(
        rule_name="Storage of the group 'shop' at 85 % of its limit",
        app="",
        count=0,
        window_s=0,
        samples=[],
        severity=AlertSeverity.WARNING,
    )
    async with webhook_receiver() as receiver:
        result = await deliver(
            slack_channel(f"{receiver.url}/T0/B0/slack-token"),
            notification,
            opener=OPENER,
            private_targets=True,
            smtp=NO_SMTP,
        )
        [body] = await receiver.wait_for(1)

    assert result.delivered
    assert body["text"] == (
        "FIRING warning: Storage of the group 'shop' at 85 % of its limit — "
        "a notice about the group, not a count of events"
    )
    assert body["blocks"][1]["fields"][1]["text"] == "*Group*\nshop"
