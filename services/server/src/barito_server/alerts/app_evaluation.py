"""One owned app: its enabled rules, the reader of its stream, and their notifiers.

The rules follow the app's profile in the registry (``sync``, every second):
a new rule starts at ok, an edited one (new ``revision``) starts again at ok
(a firing one stays firing, to resolve under its new condition),
a disabled one stops, and a deleted one is forgotten on ``alerts.state``; a
firing rule that is disabled or deleted first resolves, told to the channels
it had (``RuleEvaluator.retire``), and a deleted one is forgotten only once
that resolution is delivered, so a takeover in between still sends it. A
rule's evaluation is synchronous and cheap, done as each record is read;
anything slow (Kafka writes, channels) happens in the rule's notifier.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from barito_common.alerts import (
    AlertRuleSpec,
    AlertTransition,
    RetiredRule,
    RuleState,
    RuleStatus,
)
from barito_common.clusters import kafka_settings_for
from barito_common.event_filters import BadFilter
from barito_common.schemas import AppProfile
from barito_common.settings import KafkaSettings
from barito_server.alerts.app_stream import AppStream
from barito_server.alerts.notifier import DeliveryPolicy, RuleNotifier
from barito_server.alerts.rule_evaluator import Decision, RuleEvaluator
from barito_server.alerts.state_log import StateLog
from barito_server.metrics import AlertMetrics
from barito_server.tail_record import TailRecord

__all__ = ["AlertContext", "AppEvaluation", "owed_decision"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AlertContext:
    """What every app's evaluation shares."""

    kafka: KafkaSettings
    state_log: StateLog
    policy: DeliveryPolicy
    metrics: AlertMetrics


class AppEvaluation:
    def __init__(
        self, profile: AppProfile, context: AlertContext, restored: dict[UUID, RuleState]
    ) -> None:
        self.profile = profile
        self._context = context
        # States read at takeover, used when their rule (re)appears; a disabled
        # rule's last state goes back here, so re-enabling it keeps its sequence.
        self._restored = restored
        self._rules: dict[UUID, RuleEvaluator] = {}
        # Per rule id, kept across edits and while disabled, so a notification
        # already decided is still delivered (and in order) whatever happens next.
        self._notifiers: dict[UUID, RuleNotifier] = {}
        self._watching_since: float | None = None
        # While the app's partition is being handed over: events still count
        # (the window stays whole), nothing is decided or sent.
        self.paused = False
        self._stream = AppStream(
            kafka_settings_for(context.kafka, profile.cluster),
            app=profile.slug,
            topic=profile.topic,
            metrics=context.metrics,
            on_start=self._stream_started,
            on_record=self._observe,
        )
        self._task = asyncio.create_task(self._stream.run(), name=f"alerts-{profile.slug}")
        self.sync(profile)

    def sync(self, profile: AppProfile) -> list[UUID]:
        """Follow the profile's rules; answers the rules deleted from it."""
        previous, self.profile = self.profile, profile
        enabled = {rule.id: rule for rule in profile.alert_rules if rule.enabled}
        listed = {rule.id for rule in profile.alert_rules}
        resolving: set[UUID] = set()
        for rule_id in [r for r in self._rules if r not in enabled]:
            leaving = self._rules.pop(rule_id)
            if not self.paused and self._retire(leaving, previous):
                resolving.add(rule_id)
            self._restored[rule_id] = leaving.state
        deleted = []
        for rule_id in [r for r in self._restored if r not in listed]:
            state = self._restored.pop(rule_id)
            if rule_id in resolving or (state.retired is not None and not state.delivered):
                # Its final resolution is queued now, or owed (restored
                # undelivered at a takeover, no notifier here yet: sent
                # again). The state is forgotten after it, not before.
                if rule_id not in self._notifiers and state.retired is not None:
                    self._notifier(rule_id).resend(owed_decision(state.retired.spec, state))
                self._notifier(rule_id).forget(rule_id, state.app_id)
                continue
            notifier = self._notifiers.pop(rule_id, None)
            if notifier is not None:
                notifier.cancel()
            deleted.append(rule_id)
        for rule_id, state in self._restored.items():
            if state.retired is not None and not state.delivered and rule_id not in self._notifiers:
                # A disabled rule's resolution restored undelivered at a takeover.
                self._notifier(rule_id).resend(owed_decision(state.retired.spec, state))
        for rule_id, spec in enabled.items():
            evaluator = self._rules.get(rule_id)
            if evaluator is None or evaluator.spec.revision != spec.revision:
                self._start_rule(spec, evaluator)
            else:
                evaluator.spec = spec  # a mute or channel change keeps the state
        self._context.metrics.rules.labels(profile.slug).set(len(self._rules))
        return deleted

    @property
    def watching(self) -> bool:
        """Whether the stream is read: events from now on count."""
        return self._watching_since is not None

    def tick(self) -> None:
        if self.paused:
            return
        now, at = time.monotonic(), datetime.now(UTC)
        for evaluator in list(self._rules.values()):
            self._act(evaluator.tick(now, at))

    async def stop(self, *, drain: bool = False) -> dict[UUID, RuleState]:
        """Stop reading and notifying; answers every rule's last state.

        ``drain``: first deliver what is queued (the final resolutions of an
        app no longer evaluated); otherwise it is cut short, still owed on
        ``alerts.state`` for whoever evaluates the app next.
        """
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        try:
            if drain:
                await asyncio.gather(*(n.drain() for n in self._notifiers.values()))
        finally:
            await asyncio.gather(*(n.close() for n in self._notifiers.values()))
            self._notifiers.clear()
        states = {rule_id: evaluator.state for rule_id, evaluator in self._rules.items()}
        self._rules.clear()
        self._context.metrics.rules.remove(self.profile.slug)
        return self._restored | states

    async def pause(self) -> None:
        """Stop deciding and notifying (the partition is revoked); keep reading and counting.

        A delivery cut short stays ``delivered=false`` on the topic: whoever
        owns the app next sends it again under its id.
        """
        self.paused = True
        notifiers = list(self._notifiers.values())
        self._notifiers.clear()
        await asyncio.gather(*(notifier.close() for notifier in notifiers))

    def resume(self, restored: dict[UUID, RuleState]) -> bool:
        """Decide again after getting the partition back, if no one else decided meanwhile.

        ``restored`` is the partition's states as read now; when a rule's
        sequence there is not the one held here, another replica owned the app
        in between, and the caller starts it afresh from ``restored`` instead.
        """
        held = {rule_id: evaluator.state for rule_id, evaluator in self._rules.items()}
        held |= self._restored
        logged = {k: v for k, v in restored.items() if v.app_id == self.profile.app_id}
        for rule_id in held.keys() | logged.keys():
            mine, theirs = held.get(rule_id), logged.get(rule_id)
            if (mine.sequence if mine else 0) != (theirs.sequence if theirs else 0):
                return False
        self.paused = False
        for evaluator in self._rules.values():
            notifier = self._notifier(evaluator.spec.id)
            if not evaluator.state.delivered:
                notifier.resend(owed_decision(evaluator.spec, evaluator.state))
        return True

    def _notifier(self, rule_id: UUID) -> RuleNotifier:
        notifier = self._notifiers.get(rule_id)
        if notifier is None:
            notifier = self._notifiers[rule_id] = RuleNotifier(
                state_log=self._context.state_log,
                policy=self._context.policy,
                metrics=self._context.metrics,
                profile=lambda: self.profile,
                current=lambda: self._state_of(rule_id),
                delivered=self._mark_delivered,
            )
        return notifier

    def _mark_delivered(self, state: RuleState) -> None:
        evaluator = self._rules.get(state.rule_id)
        if evaluator is not None:
            evaluator.mark_delivered(state.sequence)
        kept = self._restored.get(state.rule_id)
        if kept is not None and kept.sequence == state.sequence:
            self._restored[state.rule_id] = kept.model_copy(update={"delivered": True})

    def _retire(self, evaluator: RuleEvaluator, previous: AppProfile) -> bool:
        """Resolve a firing rule leaving evaluation; whether it did."""
        spec = evaluator.spec
        retired = RetiredRule(
            spec=spec,
            channels=[c for c in previous.alert_channels if c.id in spec.channel_ids],
            app_slug=previous.slug,
            group_slug=previous.group_slug,
        )
        decision = evaluator.retire(time.monotonic(), datetime.now(UTC), retired)
        self._act(decision)
        return decision is not None

    def _start_rule(self, spec: AlertRuleSpec, replaced: RuleEvaluator | None) -> None:
        restored = self._restored.pop(spec.id, None)
        if replaced is not None:
            restored = replaced.state
        try:
            evaluator = RuleEvaluator(
                spec, self.profile.app_id, restored=restored, at=datetime.now(UTC)
            )
        except BadFilter as err:
            # The market checks matches when a rule is saved; only an older
            # or foreign writer can get here.
            log.error(
                "An alert rule's match cannot be applied; the rule is not evaluated.",
                extra={"ctx": {"app": self.profile.slug, "rule": str(spec.id), "error": str(err)}},
            )
            return
        if self._watching_since is not None:
            evaluator.watch_from(time.monotonic())
        self._rules[spec.id] = evaluator
        state = evaluator.state
        if self.paused:
            return
        if restored is not None and restored.revision != spec.revision:
            # On the topic too, so a takeover restores the edited rule as it is now.
            self._notifier(spec.id).record(state)
        if not state.delivered and replaced is None:
            # Restored undelivered (a firing kept through an edit made while no
            # one owned the app, too): sent again under its id. A replaced
            # evaluator's notification is still in its notifier's queue.
            self._notifier(spec.id).resend(owed_decision(spec, state))

    def _state_of(self, rule_id: UUID) -> RuleState | None:
        evaluator = self._rules.get(rule_id)
        return evaluator.state if evaluator is not None else self._restored.get(rule_id)

    def _stream_started(self) -> None:
        now = time.monotonic()
        if self._watching_since is None:
            self._watching_since = now
        for evaluator in self._rules.values():
            evaluator.watch_from(now)

    def _observe(self, record: TailRecord) -> None:
        if not self._rules:
            return
        now, at = time.monotonic(), datetime.now(UTC)
        for index, (timestamp, fields) in enumerate(record.events):
            line = record.line(index)
            for evaluator in list(self._rules.values()):
                if evaluator.filter.matches(fields, line):
                    # As search shows it: the fields plus @timestamp (the tail's line).
                    sample = {**fields, "@timestamp": timestamp}
                    self._act(evaluator.observe(now, at, sample, decide=not self.paused))

    def _act(self, decision: Decision | None) -> None:
        if decision is None:
            return
        self._context.metrics.transitions.labels(self.profile.slug, decision.transition.value).inc()
        log.info(
            "An alert rule changed state.",
            extra={
                "ctx": {
                    "app": self.profile.slug,
                    "rule_id": str(decision.spec.id),
                    "transition": decision.transition.value,
                    "sequence": decision.state.sequence,
                    "count": decision.count,
                    "muted": decision.muted,
                }
            },
        )
        self._notifier(decision.spec.id).submit(decision)


def owed_decision(spec: AlertRuleSpec, state: RuleState) -> Decision:
    """The restored, undelivered notification (same sequence, so the same id)."""
    transition = (
        AlertTransition.RESOLVED if state.status is RuleStatus.RESOLVED else AlertTransition.FIRING
    )
    if state.retired is not None:  # a retired rule's resolution: to the channels it had
        spec = state.retired.spec
    return Decision(
        spec=spec, transition=transition, state=state, count=0, muted=False, retired=state.retired
    )
