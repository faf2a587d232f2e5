"""Alert ownership across server replicas and restarts: each notification is sent once."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

from barito_common.alerts import AlertConditionKind, RetiredRule, RuleState, RuleStatus
from barito_testing.alert_channels import webhook_channel
from barito_testing.alert_server import AlertStack, alert_replica, alert_rule, alert_stack
from barito_testing.webhook_receiver import webhook_receiver

pytestmark = pytest.mark.stack

SECRET = "webhook signing secret"


async def test_a_restarted_server_restores_a_firing_rule_and_sends_nothing_twice(
    stack: Any,
) -> None:
    async with webhook_receiver() as hook:
        channel = webhook_channel(hook.url, secret=SECRET)
        rule = alert_rule([channel], AlertConditionKind.THRESHOLD, count=2)
        async with alert_stack(stack) as first:
            prefix = first.tail.kafka.topic_prefix
            app = await first.publish_rules(await first.register(), [rule], [channel])
            await first.wait_watching(app)
            await first.tail.post(app, [{"level": "error"}, {"level": "error"}])
            (firing,) = await hook.wait_for(1, timeout_s=30)
            assert firing["transition"] == "firing"
            async with asyncio.timeout(15):
                while not _delivered(await first.states(app), rule.id):
                    await asyncio.sleep(0.1)

        # A new server: it restores "firing, delivered" and stays quiet until
        # the rule really resolves, which it then says under the next id.
        async with alert_replica(stack, prefix) as replica:
            second = AlertStack(replica, [replica])
            await second.wait_watching(app)
            notifications = await hook.wait_for(2, timeout_s=40)
        assert [n["transition"] for n in notifications] == ["firing", "resolved"]
        assert [n["id"] for n in notifications] == [f"{rule.id}:1", f"{rule.id}:2"]
        assert len(hook.requests) == 2


async def test_a_notification_decided_but_not_delivered_is_sent_by_the_next_owner_once(
    stack: Any,
) -> None:
    async with webhook_receiver() as hook:
        channel = webhook_channel(hook.url, secret=SECRET)
        rule = alert_rule([channel], AlertConditionKind.THRESHOLD, count=1000)
        # What a server that crashed between deciding and delivering leaves behind.
        async with alert_stack(stack, alerts_enabled=False) as market:
            prefix = market.tail.kafka.topic_prefix
            app = await market.register()
            await market.write_state(
                RuleState(
                    rule_id=rule.id,
                    app_id=app.profile.app_id,
                    revision=rule.revision,
                    status=RuleStatus.FIRING,
                    since=datetime.now(UTC),
                    sequence=7,
                    last_notified_at=datetime.now(UTC),
                    delivered=False,
                )
            )
            app = await market.publish_rules(app, [rule], [channel])

        async with alert_replica(stack, prefix) as replica:
            alerts = AlertStack(replica, [replica])
            (owed,) = await hook.wait_for(1, timeout_s=30)
            assert owed["id"] == f"{rule.id}:7"
            assert owed["transition"] == "firing"
            async with asyncio.timeout(15):
                while not _delivered(await alerts.states(app), rule.id):
                    await asyncio.sleep(0.1)
        assert len(hook.requests) == 1


async def test_a_deleted_rules_resolution_decided_but_not_delivered_is_sent_once_then_forgotten(
    stack: Any,
) -> None:
    async with webhook_receiver() as hook:
        channel = webhook_channel(hook.url, secret=SECRET)
        rule = alert_rule([channel], AlertConditionKind.ANY, name="checkout errors")
        # A server that resolved a firing rule on its deletion and crashed
        # before telling the channels: the rule is gone from the profile, the
        # state on alerts.state still holds it as it was.
        async with alert_stack(stack, alerts_enabled=False) as market:
            prefix = market.tail.kafka.topic_prefix
            app = await market.register()
            await market.write_state(
                RuleState(
                    rule_id=rule.id,
                    app_id=app.profile.app_id,
                    revision=rule.revision,
                    status=RuleStatus.RESOLVED,
                    since=datetime.now(UTC),
                    sequence=4,
                    last_notified_at=datetime.now(UTC),
                    delivered=False,
                    retired=RetiredRule(
                        spec=rule,
                        channels=[channel],
                        app_slug=app.profile.slug,
                        group_slug=app.profile.group_slug,
                    ),
                )
            )
            app = await market.publish_rules(app, [], [channel])

        async with alert_replica(stack, prefix) as replica:
            alerts = AlertStack(replica, [replica])
            (owed,) = await hook.wait_for(1, timeout_s=30)
            assert (owed["id"], owed["transition"]) == (f"{rule.id}:4", "resolved")
            assert owed["rule"]["name"] == "checkout errors"
            assert hook.requests[0].verified(SECRET)
            async with asyncio.timeout(15):  # then its state is forgotten
                while await alerts.states(app):
                    await asyncio.sleep(0.1)
            (event,) = await alerts.history(app, expect=1)
            assert event.notification_id == f"{rule.id}:4"

        # The next restart owes nothing: another app's firing is the only news.
        async with alert_replica(stack, prefix) as replica:
            alerts = AlertStack(replica, [replica])
            other = alert_rule([channel], AlertConditionKind.ANY)
            later = await alerts.publish_rules(await alerts.register(), [other], [channel])
            await alerts.wait_watching(later)
            await alerts.tail.post(later, [{"level": "error"}])
            notifications = await hook.wait_for(2, timeout_s=30)
        assert [n["id"] for n in notifications] == [f"{rule.id}:4", f"{other.id}:1"]
        assert len(hook.requests) == 2


async def test_two_replicas_share_the_apps_and_notify_each_transition_once(stack: Any) -> None:
    async with webhook_receiver() as hook, AsyncExitStack() as running:
        alerts = await running.enter_async_context(alert_stack(stack))
        prefix = alerts.tail.kafka.topic_prefix
        alerts.replicas.append(await running.enter_async_context(alert_replica(stack, prefix)))
        services = [alerts.service(replica) for replica in alerts.replicas]
        # Settled: the 12 partitions split between both, states restored.
        async with asyncio.timeout(60):
            while not (
                all(s.owned_partitions() for s in services)
                and sum(len(s.owned_partitions()) for s in services) == 12
            ):
                await asyncio.sleep(0.1)

        channel = webhook_channel(hook.url, secret=SECRET)
        rules = [alert_rule([channel], AlertConditionKind.ANY) for _ in range(4)]
        apps = []
        for rule in rules:
            app = await alerts.publish_rules(await alerts.register(), [rule], [channel])
            await alerts.wait_watching(app)
            assert len(alerts.watchers(app)) == 1
            apps.append(app)
        for app in apps:
            await alerts.tail.post(app, [{"level": "error"}])

        notifications = await hook.wait_for(8, timeout_s=60)
        ids = sorted(n["id"] for n in notifications)
        assert ids == sorted(f"{rule.id}:{seq}" for rule in rules for seq in (1, 2))
        assert len(hook.requests) == 8


async def test_a_replica_joining_while_rules_fire_neither_resends_nor_forgets_them(
    stack: Any,
) -> None:
    async with webhook_receiver() as hook, AsyncExitStack() as running:
        alerts = await running.enter_async_context(alert_stack(stack))
        channel = webhook_channel(hook.url, secret=SECRET)
        # Several apps: some stay with the first replica across the rebalance
        # (paused, then resumed with their windows), some move (restored).
        rules = [alert_rule([channel], AlertConditionKind.THRESHOLD, count=2) for _ in range(4)]
        apps = []
        for rule in rules:
            app = await alerts.publish_rules(await alerts.register(), [rule], [channel])
            await alerts.wait_watching(app)
            await alerts.tail.post(app, [{"level": "error"}, {"level": "error"}])
            apps.append(app)
        firing = await hook.wait_for(4, timeout_s=30)
        assert {n["transition"] for n in firing} == {"firing"}

        prefix = alerts.tail.kafka.topic_prefix
        alerts.replicas.append(await running.enter_async_context(alert_replica(stack, prefix)))
        async with asyncio.timeout(60):
            while not all(len(alerts.watchers(app)) == 1 for app in apps):
                await asyncio.sleep(0.1)

        notifications = await hook.wait_for(8, timeout_s=60)
        ids = sorted(n["id"] for n in notifications)
        assert ids == sorted(f"{rule.id}:{seq}" for rule in rules for seq in (1, 2))
        assert len(hook.requests) == 8


def _delivered(states: dict[UUID, RuleState], rule_id: UUID) -> bool:
    state = states.get(rule_id)
    return state is not None and state.delivered
