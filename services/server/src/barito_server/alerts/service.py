"""Alert evaluation in the server: owns apps through the group, evaluates, notifies.

Started from the server's lifespan when ``alerts_enabled``; it never holds
up the server's start: everything Kafka-bound runs in the background and
retries. Once a second (the rules' timer):

* the apps of the owned partitions follow the registry: an active app with
  at least one enabled rule is evaluated (its stream read from the end at
  takeover), others are not; rules deleted from a profile are tombstoned;
  firing rules that stop being evaluated (deleted, disabled, their app
  deleted or no longer active) first resolve, told to the channels they had,
  and a resolution restored undelivered for a rule no longer evaluated is
  sent from here, then tombstoned if its rule is gone;
* every evaluated rule ticks (resolutions, absences, re-notifications).

Guarantees and their limits are in ``ownership`` (one owner per app) and
``notifier`` (one notification per id, resent under that id after a
takeover).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any
from uuid import UUID

from barito_common.alerts import RuleState, state_partition
from barito_common.app_registry import AppRegistry
from barito_common.installation_key import InstallationKey
from barito_common.kafka import (
    ALERT_STATE_PARTITIONS,
    Topics,
    alert_topic_specs,
    create_producer,
    ensure_topics,
)
from barito_common.schemas import AppProfile, AppStatus
from barito_server.alerts.app_evaluation import AlertContext, AppEvaluation, owed_decision
from barito_server.alerts.notifier import DeliveryPolicy, RuleNotifier
from barito_server.alerts.ownership import Ownership
from barito_server.alerts.state_log import StateLog
from barito_server.metrics import AlertMetrics
from barito_server.settings import ServerSettings

__all__ = ["AlertService"]

log = logging.getLogger(__name__)

_TICK_S = 1.0
_RETRY_S = 2.0


class AlertService:
    def __init__(
        self, settings: ServerSettings, registry: AppRegistry, metrics: AlertMetrics
    ) -> None:
        self._settings = settings
        self._registry = registry
        self._metrics = metrics
        key = settings.installation_key
        self._policy = DeliveryPolicy(
            opener=InstallationKey(key).open if key is not None else None,
            smtp=settings.smtp,
            attempts=settings.alert_delivery_attempts,
            budget_s=settings.alert_delivery_budget_s,
            private_targets=settings.alert_private_targets,
            web_url=settings.web_url,
        )
        self._context: AlertContext | None = None
        # Partitions restored and owned: the states of their apps not being evaluated.
        self._owned: dict[int, dict[UUID, RuleState]] = {}
        self._takeovers: dict[int, asyncio.Task[None]] = {}
        self._apps: dict[str, AppEvaluation] = {}
        self._background: set[asyncio.Task[None]] = set()
        # Apps whose evaluation is stopping: not started again until their
        # states are back, or a rule would restart at sequence 0 and reuse ids.
        self._stopping: dict[str, asyncio.Task[None]] = {}
        # Retired rules' resolutions being sent for apps not evaluated, by rule id.
        self._owing: dict[UUID, asyncio.Task[None]] = {}
        self._task: asyncio.Task[None] | None = None

    def watched_apps(self) -> set[str]:
        """The slugs of the apps whose streams this replica reads (and evaluates) now."""
        return {e.profile.slug for e in self._apps.values() if e.watching}

    def owned_partitions(self) -> set[int]:
        """The partitions of ``alerts.state`` this replica owns, states restored."""
        return set(self._owned)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="alerts")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                await self._serve()
            except asyncio.CancelledError:
                raise
            except Exception as err:
                self._metrics.errors.labels("alerts").inc()
                log.warning(
                    "Alert evaluation lost Kafka; retrying.", extra={"ctx": {"error": repr(err)}}
                )
                await asyncio.sleep(_RETRY_S)

    async def _serve(self) -> None:
        kafka = self._settings.kafka
        await ensure_topics(kafka, alert_topic_specs(Topics(kafka.topic_prefix)))
        producer = create_producer(kafka)
        await producer.start()
        self._context = AlertContext(kafka, StateLog(kafka, producer), self._policy, self._metrics)
        ownership = Ownership(kafka, on_assigned=self._take, on_revoked=self._release)
        ticking = asyncio.create_task(self._tick_forever(), name="alerts-tick")
        try:
            await ownership.hold()
        finally:
            ticking.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticking
            await self._shut_down()
            await producer.stop()
            self._context = None

    # --- ownership ----------------------------------------------------------

    def _take(self, partitions: set[int]) -> None:
        # Paused apps whose partition went to another replica: theirs now.
        for app_id, evaluation in list(self._apps.items()):
            if evaluation.paused and _partition(app_id) not in partitions:
                self._stop_later(app_id)
        for partition in partitions - set(self._owned) - set(self._takeovers):
            self._takeovers[partition] = asyncio.create_task(
                self._restore(partition), name=f"alerts-takeover-{partition}"
            )

    async def _restore(self, partition: int) -> None:
        context = self._context
        if context is None:
            return
        while True:
            try:
                states = await context.state_log.restore(partition)
                break
            except Exception as err:
                log.warning(
                    "Restoring alert states failed; retrying.",
                    extra={"ctx": {"partition": partition, "error": repr(err)}},
                )
                await asyncio.sleep(_RETRY_S)
        # An app this replica kept reading while the group rebalanced goes on
        # with its windows whole, unless another replica decided for it meanwhile.
        for app_id, evaluation in list(self._apps.items()):
            if _partition(app_id) == partition and evaluation.paused:
                if evaluation.resume(states):
                    for rule_id in _rules_of(states, app_id):
                        del states[rule_id]
                    log.info(
                        "Alert evaluation resumed after a rebalance, windows kept.",
                        extra={"ctx": {"app": evaluation.profile.slug}},
                    )
                else:
                    self._stop_later(app_id, keep_states=False)
        self._owned[partition] = states
        self._takeovers.pop(partition, None)
        log.info(
            "Alert states restored.", extra={"ctx": {"partition": partition, "rules": len(states)}}
        )
        self._reconcile()

    async def _release(self, partitions: set[int]) -> None:
        """The group takes ``partitions`` away: stop deciding for their apps, flush."""
        for partition in partitions:
            task = self._takeovers.pop(partition, None)
            if task is not None:
                task.cancel()
        leaving = [e for app_id, e in self._apps.items() if _partition(app_id) in partitions]
        await asyncio.gather(*(evaluation.pause() for evaluation in leaving))
        for partition in partitions:
            self._owned.pop(partition, None)
        # What was written must be on Kafka before the partition goes: the
        # next owner restores by reading to the end it sees.
        if self._context is not None:
            await self._context.state_log.flush()

    async def _shut_down(self) -> None:
        for task in self._takeovers.values():
            task.cancel()
        self._takeovers.clear()
        # Deliveries still under way are cut short (a budget can be minutes):
        # they stay owed on alerts.state for the next owner.
        for task in [*self._stopping.values(), *self._owing.values()]:
            task.cancel()
        evaluations = list(self._apps.values())
        self._apps.clear()
        self._owned.clear()
        await asyncio.gather(*(evaluation.stop() for evaluation in evaluations))
        # Stops and tombstones under way finish while the producer is still up.
        await asyncio.gather(*self._background, return_exceptions=True)
        if self._context is not None:
            await self._context.state_log.flush()

    # --- following the registry and the clock --------------------------------

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(_TICK_S)
            try:
                self._reconcile()
                for evaluation in list(self._apps.values()):
                    evaluation.tick()
            except Exception:
                self._metrics.errors.labels("alerts").inc()
                log.exception("Alert evaluation failed a round; trying again next second.")

    def _reconcile(self) -> None:
        if self._context is None or not self._registry.loaded:
            return
        profiles = {
            profile.app_id: profile
            for profile in self._registry.apps()
            if _partition(profile.app_id) in self._owned
        }
        for app_id, evaluation in list(self._apps.items()):
            if evaluation.paused:  # handed over or coming back: _take and _restore decide
                continue
            if app_id not in profiles or not _wanted(profiles[app_id]):
                # Its firing rules resolve first, told to the channels they had.
                final = _final_profile(evaluation.profile, profiles.get(app_id))
                self._forget(app_id, evaluation.sync(final))
                self._stop_later(app_id, drain=True)
        for app_id, profile in profiles.items():
            running = self._apps.get(app_id)
            if running is not None:
                if running.paused:
                    continue
                if (running.profile.cluster, running.profile.topic) != (
                    profile.cluster,
                    profile.topic,
                ):
                    # Moved to another cluster: read it there from the end.
                    self._stop_later(app_id)
                else:
                    self._forget(app_id, running.sync(profile))
            elif _wanted(profile) and app_id not in self._stopping:
                states = self._owned[_partition(app_id)]
                mine = {rule_id: states.pop(rule_id) for rule_id in _rules_of(states, app_id)}
                started = self._apps[app_id] = AppEvaluation(profile, self._context, mine)
                self._forget(app_id, started.sync(profile))
        # States of apps not evaluated: drop those whose rule or app is gone,
        # after the resolution a retired rule still owes its channels.
        for states in self._owned.values():
            for rule_id, state in list(states.items()):
                owner = profiles.get(state.app_id)
                gone = owner is None or rule_id not in {rule.id for rule in owner.alert_rules}
                if state.retired is not None and not state.delivered:
                    if rule_id not in self._owing:
                        self._send_owed(state, forget=gone)
                    if gone:
                        del states[rule_id]
                elif gone:
                    del states[rule_id]
                    self._forget(state.app_id, [rule_id])

    def _stop_later(self, app_id: str, *, keep_states: bool = True, drain: bool = False) -> None:
        evaluation = self._apps.pop(app_id)

        async def stop() -> None:
            states = await evaluation.stop(drain=drain)
            owned = self._owned.get(_partition(app_id))
            if keep_states and owned is not None:
                owned.update(states)

        task = self._spawn(stop())
        self._stopping[app_id] = task
        task.add_done_callback(lambda _: self._stopping.pop(app_id, None))

    def _send_owed(self, state: RuleState, *, forget: bool) -> None:
        """Send a retired rule's resolution restored undelivered, its app not evaluated."""
        context = self._context
        if context is None or state.retired is None:
            return
        partition, rule_id = _partition(state.app_id), state.rule_id

        def current() -> RuleState | None:
            return self._owned.get(partition, {}).get(rule_id)

        def delivered(done: RuleState) -> None:
            kept = current()
            if kept is not None and kept.sequence == done.sequence:
                self._owned[partition][rule_id] = kept.model_copy(update={"delivered": True})

        notifier = RuleNotifier(
            state_log=context.state_log,
            policy=context.policy,
            metrics=context.metrics,
            profile=None,
            current=current,
            delivered=delivered,
        )
        notifier.resend(owed_decision(state.retired.spec, state))
        if forget:
            notifier.forget(rule_id, state.app_id)

        async def send() -> None:
            try:
                await notifier.drain()
            finally:
                await notifier.close()

        task = self._owing[rule_id] = self._spawn(send())
        task.add_done_callback(lambda _: self._owing.pop(rule_id, None))

    def _forget(self, app_id: str, rule_ids: list[UUID]) -> None:
        context = self._context
        if context is None:
            return
        for rule_id in rule_ids:
            log.info(
                "An alert rule was deleted; forgetting its state.",
                extra={"ctx": {"app_id": app_id, "rule_id": str(rule_id)}},
            )
            self._spawn(context.state_log.forget(rule_id, app_id))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        async def logged() -> None:
            try:
                await work
            except Exception as err:
                self._metrics.errors.labels("alerts").inc()
                log.warning(
                    "Forgetting a rule's state or stopping an app's evaluation failed.",
                    extra={"ctx": {"error": repr(err)}},
                )

        task = asyncio.create_task(logged())
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task


def _partition(app_id: str) -> int:
    return state_partition(app_id, ALERT_STATE_PARTITIONS)


def _final_profile(running: AppProfile, now: AppProfile | None) -> AppProfile:
    """What an app no longer evaluated leaves its evaluation with: its rules deleted (the
    app is gone) or disabled (no longer active), so firing ones resolve."""
    if now is None:
        return running.model_copy(update={"alert_rules": []})
    if now.status is AppStatus.ACTIVE:
        return now
    return now.model_copy(
        update={"alert_rules": [r.model_copy(update={"enabled": False}) for r in now.alert_rules]}
    )


def _wanted(profile: AppProfile) -> bool:
    return profile.status is AppStatus.ACTIVE and any(r.enabled for r in profile.alert_rules)


def _rules_of(states: dict[UUID, RuleState], app_id: str) -> list[UUID]:
    return [rule_id for rule_id, state in states.items() if state.app_id == app_id]
