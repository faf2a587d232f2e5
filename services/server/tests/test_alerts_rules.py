"""Alert rules evaluated on the live stream: what a webhook receives, and the history."""

from __future__ import annotations

import asyncio
import base64
import json
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from barito_common.alerts import (
    MAX_SAMPLE_BYTES,
    AlertConditionKind,
    AlertMatch,
    AlertTransition,
    RuleStatus,
)
from barito_testing.alert_channels import webhook_channel
from barito_testing.alert_server import AlertStack, alert_rule, alert_stack
from barito_testing.webhook_receiver import Answer, WebhookReceiver, webhook_receiver

pytestmark = pytest.mark.stack

SECRET = "webhook signing secret"
WEB_URL = "https://barito.example.test/"


@pytest.fixture(scope="module")
async def alerts(stack: Any) -> AsyncIterator[AlertStack]:
    async with alert_stack(stack, web_url=WEB_URL) as running:
        yield running


@pytest.fixture
async def hook() -> AsyncIterator[WebhookReceiver]:
    async with webhook_receiver() as receiver:
        yield receiver


async def test_a_threshold_rule_fires_once_when_crossed_and_resolves_when_it_falls_back(
    alerts: AlertStack, hook: WebhookReceiver
) -> None:
    channel = webhook_channel(hook.url, secret=SECRET)
    rule = alert_rule([channel], AlertConditionKind.THRESHOLD, count=3, name="checkout errors")
    app = await alerts.publish_rules(await alerts.register(), [rule], [channel])
    await alerts.wait_watching(app)

    await alerts.tail.post(app, [{"level": "error", "n": 1}, {"level": "info", "n": 2}])
    await alerts.tail.post(app, [{"level": "error", "n": 3}, {"level": "ERROR", "n": 4}])
    # Still over the threshold: firing already, nothing more to say.
    await alerts.tail.post(app, [{"level": "error", "n": 5}])

    (firing,) = await hook.wait_for(1, timeout_s=30)
    assert firing["transition"] == "firing"
    assert firing["id"] == f"{rule.id}:1"
    assert firing["rule"]["name"] == "checkout errors"
    assert firing["app"] == app.profile.slug
    # A link to where the team reads what happened.
    assert firing["url"] == f"https://barito.example.test/apps/{app.profile.slug}/alerts/history"
    assert firing["count"] >= 3
    assert 1 <= len(firing["samples"]) <= 5
    assert all(s["level"].lower() == "error" and "@timestamp" in s for s in firing["samples"])

    # No more errors: once the window holds fewer than 3, the rule resolves.
    notifications = await hook.wait_for(2, timeout_s=40)
    assert [n["transition"] for n in notifications] == ["firing", "resolved"]
    assert notifications[1]["id"] == f"{rule.id}:2"
    assert len(hook.requests) == 2
    assert all(request.verified(SECRET) for request in hook.requests)

    history = await alerts.history(app, expect=2)
    assert [e.transition for e in history] == [AlertTransition.FIRING, AlertTransition.RESOLVED]
    assert all(e.deliveries == {str(channel.id): "delivered"} for e in history)
    assert [e.notification_id for e in history] == [f"{rule.id}:1", f"{rule.id}:2"]
    states = await alerts.states(app)
    assert states[rule.id].status is RuleStatus.RESOLVED
    assert states[rule.id].delivered


async def test_an_absence_rule_fires_when_the_app_goes_quiet_and_resolves_when_it_speaks(
    alerts: AlertStack, hook: WebhookReceiver
) -> None:
    channel = webhook_channel(hook.url, secret=SECRET)
    rule = alert_rule(
        [channel], AlertConditionKind.ABSENCE, count=1, match=AlertMatch(q="heartbeat")
    )
    app = await alerts.publish_rules(await alerts.register(), [rule], [channel])
    await alerts.wait_watching(app)
    # Events that do not match do not count as a heartbeat.
    await alerts.tail.post(app, [{"message": "something else"}])

    (firing,) = await hook.wait_for(1, timeout_s=30)
    assert firing["transition"] == "firing"
    assert firing["count"] == 0

    await alerts.tail.post(app, [{"message": "heartbeat"}])
    notifications = await hook.wait_for(2, timeout_s=30)
    assert [n["transition"] for n in notifications] == ["firing", "resolved"]


async def test_a_webhook_failing_twice_gets_the_notification_exactly_once_by_its_id(
    alerts: AlertStack,
) -> None:
    async with webhook_receiver(answers=[500, 500]) as hook:
        channel = webhook_channel(hook.url, secret=SECRET)
        rule = alert_rule([channel], AlertConditionKind.ANY)
        app = await alerts.publish_rules(await alerts.register(), [rule], [channel])
        await alerts.wait_watching(app)
        await alerts.tail.post(app, [{"level": "error"}])

        (firing,) = await hook.wait_for(1, timeout_s=60)
        assert firing["id"] == f"{rule.id}:1"
        assert [r.status for r in hook.requests] == [500, 500, 200]
        assert {r.notification_id for r in hook.requests} == {f"{rule.id}:1"}
        (event,) = await alerts.history(app, expect=1)
        assert event.deliveries == {str(channel.id): "delivered"}


async def test_a_muted_rule_changes_state_and_writes_history_but_calls_no_webhook(
    alerts: AlertStack, hook: WebhookReceiver
) -> None:
    channel = webhook_channel(hook.url, secret=SECRET)
    rule = alert_rule(
        [channel],
        AlertConditionKind.ANY,
        muted_until=datetime.now(UTC) + timedelta(hours=1),
    )
    app = await alerts.publish_rules(await alerts.register(), [rule], [channel])
    await alerts.wait_watching(app)
    await alerts.tail.post(app, [{"level": "error"}])

    # The history entry is written after the channels would have been told.
    (event,) = await alerts.history(app, expect=1)
    assert event.transition is AlertTransition.FIRING
    assert event.muted
    assert event.deliveries == {}
    assert hook.requests == []
    assert (await alerts.states(app))[rule.id].status is RuleStatus.FIRING


async def test_a_disabled_rule_stops_and_a_deleted_one_is_forgotten(
    alerts: AlertStack, hook: WebhookReceiver
) -> None:
    channel = webhook_channel(hook.url, secret=SECRET)
    errors = alert_rule([channel], AlertConditionKind.ANY, name="errors", window_s=300)
    marker = alert_rule(
        [channel], AlertConditionKind.ANY, match=AlertMatch(q="marker"), name="marker", window_s=300
    )
    app = await alerts.publish_rules(await alerts.register(), [errors, marker], [channel])
    await alerts.wait_watching(app)
    await alerts.tail.post(app, [{"level": "error", "message": "first"}])
    (first,) = await hook.wait_for(1, timeout_s=30)
    assert first["rule"]["id"] == str(errors.id)

    disabled = errors.model_copy(update={"enabled": False})
    app = await alerts.publish_rules(app, [disabled, marker], [channel])
    # Disabled while firing: its alert is closed, not left open for ever.
    notifications = await hook.wait_for(2, timeout_s=30)
    assert (notifications[1]["id"], notifications[1]["transition"]) == (
        f"{errors.id}:2",
        "resolved",
    )
    # Both rules would match this one; only the enabled one speaks.
    await alerts.tail.post(app, [{"level": "error", "message": "marker"}])
    notifications = await hook.wait_for(3, timeout_s=30)
    assert notifications[2]["rule"]["id"] == str(marker.id)
    states = await alerts.states(app)
    assert states[errors.id].sequence == 2  # decided nothing more while disabled
    assert states[errors.id].status is RuleStatus.RESOLVED

    # Deleting every rule: the firing one resolves first, then no stream is
    # read for the app and the states go.
    app = await alerts.publish_rules(app, [], [channel])
    notifications = await hook.wait_for(4, timeout_s=30)
    assert (notifications[3]["id"], notifications[3]["transition"]) == (
        f"{marker.id}:2",
        "resolved",
    )
    await alerts.wait_watching(app, watched=False)
    async with asyncio.timeout(15):
        while await alerts.states(app):
            await asyncio.sleep(0.2)
    assert len(hook.requests) == 4


async def test_a_firing_rule_disabled_or_deleted_is_resolved_to_the_channels_it_had(
    alerts: AlertStack, hook: WebhookReceiver
) -> None:
    async with webhook_receiver() as rerouted:
        channel = webhook_channel(hook.url, secret=SECRET)
        other = webhook_channel(rerouted.url, secret=SECRET)
        off = alert_rule([channel], AlertConditionKind.ANY, name="to disable", window_s=300)
        gone = alert_rule([channel], AlertConditionKind.ANY, name="to delete", window_s=300)
        kept = alert_rule(
            [channel], AlertConditionKind.ANY, name="kept", match=AlertMatch(q="never")
        )
        app = await alerts.publish_rules(
            await alerts.register(), [off, gone, kept], [channel, other]
        )
        await alerts.wait_watching(app)
        await alerts.tail.post(app, [{"level": "error", "message": "checkout down"}])
        await hook.wait_for(2, timeout_s=30)

        # One change: a rule disabled and re-routed, another deleted, the app
        # still evaluated for the third. The channel told 'firing' hears
        # 'resolved'; the new one, never told, hears nothing.
        rerouted_off = off.model_copy(update={"enabled": False, "channel_ids": [other.id]})
        app = await alerts.publish_rules(app, [rerouted_off, kept], [channel, other])
        notifications = await hook.wait_for(4, timeout_s=30)
        assert sorted((n["id"], n["transition"]) for n in notifications[2:]) == sorted(
            [(f"{off.id}:2", "resolved"), (f"{gone.id}:2", "resolved")]
        )
        assert {n["rule"]["name"] for n in notifications[2:]} == {"to disable", "to delete"}
        assert all(request.verified(SECRET) for request in hook.requests)

        history = await alerts.history(app, expect=4)
        assert sorted((str(e.rule_id), e.transition.value, e.muted) for e in history) == sorted(
            [(str(rule.id), t, False) for rule in (off, gone) for t in ("firing", "resolved")]
        )
        # The disabled rule's status says resolved, delivered; the deleted
        # one's state is forgotten once its resolution went out.
        async with asyncio.timeout(15):
            while True:
                states = await alerts.states(app)
                if gone.id not in states and states[off.id].delivered:
                    break
                await asyncio.sleep(0.2)
        assert states[off.id].status is RuleStatus.RESOLVED
        assert states[off.id].retired is None  # the rule's snapshot went with the delivery
        assert rerouted.requests == []
        assert len(hook.requests) == 4


async def test_an_edited_firing_rule_resolves_under_its_new_match_and_fires_again_with_new_ids(
    alerts: AlertStack, hook: WebhookReceiver
) -> None:
    channel = webhook_channel(hook.url, secret=SECRET)
    rule = alert_rule([channel], AlertConditionKind.ANY, window_s=10)
    app = await alerts.publish_rules(await alerts.register(), [rule], [channel])
    await alerts.wait_watching(app)
    await alerts.tail.post(app, [{"level": "error"}])
    (first,) = await hook.wait_for(1, timeout_s=30)
    assert first["id"] == f"{rule.id}:1"

    edited = rule.model_copy(update={"revision": 2, "match": AlertMatch(level="fatal")})
    app = await alerts.publish_rules(app, [edited], [channel])
    async with asyncio.timeout(15):  # the server took the edit: revision 2, still firing
        while (await alerts.states(app))[rule.id].revision != 2:
            await asyncio.sleep(0.1)
    assert (await alerts.states(app))[rule.id].status is RuleStatus.FIRING
    # An error no longer matches: a window later the alert the channel was
    # told about is closed, not left open for ever.
    await alerts.tail.post(app, [{"level": "error"}])
    notifications = await hook.wait_for(2, timeout_s=40)
    assert [(n["id"], n["transition"]) for n in notifications] == [
        (f"{rule.id}:1", "firing"),
        (f"{rule.id}:2", "resolved"),
    ]
    await alerts.tail.post(app, [{"level": "fatal"}])
    notifications = await hook.wait_for(3, timeout_s=30)
    assert (notifications[2]["id"], notifications[2]["transition"]) == (f"{rule.id}:3", "firing")
    assert notifications[2]["samples"][0]["level"] == "fatal"


async def test_a_slow_webhook_delays_no_other_rule(alerts: AlertStack) -> None:
    async with (
        webhook_receiver(answers=[Answer(200, delay_s=5)]) as slow,
        webhook_receiver() as fast,
    ):
        slow_channel = webhook_channel(slow.url, secret=SECRET)
        fast_channel = webhook_channel(fast.url, secret=SECRET)
        to_slow = alert_rule([slow_channel], AlertConditionKind.ANY, name="to slow")
        to_fast = alert_rule([fast_channel], AlertConditionKind.ANY, name="to fast")
        app = await alerts.publish_rules(
            await alerts.register(), [to_slow, to_fast], [slow_channel, fast_channel]
        )
        await alerts.wait_watching(app)
        await alerts.tail.post(app, [{"level": "error"}])

        (quick,) = await fast.wait_for(1, timeout_s=30)
        assert quick["rule"]["name"] == "to fast"
        assert slow.requests == []  # still waiting for its answer
        (late,) = await slow.wait_for(1, timeout_s=30)
        assert late["rule"]["name"] == "to slow"


async def test_huge_matching_events_still_reach_the_history_with_their_samples_cut_short(
    alerts: AlertStack, hook: WebhookReceiver
) -> None:
    # Dumps of ~480 KB: four whole samples made a ~2 MB notification, over
    # PagerDuty's 512 KB payload limit (the page refused) and a broker's
    # default 1 MB message limit on alerts.events (the history entry lost).
    channel = webhook_channel(hook.url, secret=SECRET)
    rule = alert_rule([channel], AlertConditionKind.THRESHOLD, count=4, window_s=60)
    app = await alerts.publish_rules(await alerts.register(), [rule], [channel])
    await alerts.wait_watching(app)

    def dump() -> str:
        return "at checkout.pay(Card.java:42)\n" + base64.b64encode(os.urandom(360_000)).decode()

    for n in range(4):
        await alerts.tail.post(app, [{"level": "error", "n": n, "message": dump()}])

    (firing,) = await hook.wait_for(1, timeout_s=30)
    (entry,) = await alerts.history(app, expect=1)
    assert entry.transition is AlertTransition.FIRING and len(entry.samples) == 4
    for sample in [*entry.samples, *firing["samples"]]:
        assert sample["level"] == "error" and "@timestamp" in sample
        assert sample["message"].startswith("at checkout.pay(Card.java:42)\n")
        assert sample["message"].endswith("characters cut]")
        assert len(json.dumps(sample)) <= MAX_SAMPLE_BYTES


async def test_a_mute_set_while_firing_still_lets_the_resolution_through(
    alerts: AlertStack, hook: WebhookReceiver
) -> None:
    # Muted during the investigation; the fix lands: the channels that were
    # told 'firing' (a PagerDuty incident) must hear 'resolved', mute or not.
    channel = webhook_channel(hook.url, secret=SECRET)
    rule = alert_rule([channel], AlertConditionKind.ANY, window_s=10)
    app = await alerts.publish_rules(await alerts.register(), [rule], [channel])
    await alerts.wait_watching(app)
    await alerts.tail.post(app, [{"level": "error"}])
    await hook.wait_for(1, timeout_s=30)

    muted = rule.model_copy(update={"muted_until": datetime.now(UTC) + timedelta(hours=1)})
    app = await alerts.publish_rules(app, [muted], [channel])

    notifications = await hook.wait_for(2, timeout_s=40)
    assert [(n["id"], n["transition"]) for n in notifications] == [
        (f"{rule.id}:1", "firing"),
        (f"{rule.id}:2", "resolved"),
    ]
    history = await alerts.history(app, expect=2)
    assert [(e.transition, e.muted) for e in history] == [
        (AlertTransition.FIRING, False),
        (AlertTransition.RESOLVED, False),
    ]
