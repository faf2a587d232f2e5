"""Telling a rule's channels about its transitions, exactly once per notification id.

For each decision, in this order:

1. the rule's state with the new ``sequence`` and ``delivered=false`` is
   written to ``alerts.state`` (at once, in decision order: a chain per rule);
2. the notification goes to every channel concurrently (``deliver`` retries
   within its budget);
3. the state is written again with ``delivered=true`` — unless a newer
   decision or an edit of the rule exists, whose own record says what is
   still owed — and the transition goes to ``alerts.events`` for the history.

A replica that restores a state with ``delivered=false`` (its owner died
between 1 and 3) sends that notification again under the same id; receivers
deduplicate on it. Each rule has its own worker, so a slow channel delays
that rule's later notifications only, never other rules or the stream.

A deleted or disabled rule's final resolution carries the rule and channels
as they were (``RetiredRule``, on its state until delivered), not the
profile's; a deleted rule's tombstone is queued behind it (``forget``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from barito_common.alerts import (
    AlertChannelSpec,
    AlertEvent,
    RuleState,
    notification_id,
)
from barito_common.notifications import DeliveryResult, Notification, SecretOpener, deliver
from barito_common.schemas import AppProfile
from barito_common.settings import SmtpSettings
from barito_server.alerts.rule_evaluator import Decision
from barito_server.alerts.state_log import StateLog
from barito_server.metrics import AlertMetrics

__all__ = ["DeliveryPolicy", "RuleNotifier"]

log = logging.getLogger(__name__)

# The history's idempotency key: a resend after a takeover has the same one.
_EVENT_NAMESPACE = uuid.UUID("9a3c1c3e-52a4-4e8e-9a8f-0d7f1b5d2e61")


@dataclass(frozen=True)
class DeliveryPolicy:
    opener: SecretOpener | None
    smtp: SmtpSettings
    attempts: int
    budget_s: float
    private_targets: bool
    web_url: str = ""


class RuleNotifier:
    """One rule's notifications, one after another, off the evaluation path."""

    def __init__(
        self,
        *,
        state_log: StateLog,
        policy: DeliveryPolicy,
        metrics: AlertMetrics,
        # None for a notifier that only sends retired rules' resolutions.
        profile: Callable[[], AppProfile] | None,
        current: Callable[[], RuleState | None],
        delivered: Callable[[RuleState], None],
    ) -> None:
        self._log = state_log
        self._policy = policy
        self._metrics = metrics
        self._profile = profile
        self._current = current
        self._delivered = delivered
        self._writes: asyncio.Task[None] | None = None
        # Jobs in decision order: notifications, and a deleted rule's tombstone after them.
        self._queue: asyncio.Queue[tuple[UUID, Callable[[], Awaitable[None]]]] = asyncio.Queue()
        self._worker = asyncio.create_task(self._work(), name="alert-notifier")

    def submit(self, decision: Decision) -> None:
        """Record the decision now and notify in the background (never waits)."""
        written = self._write(decision.state)
        self._queue.put_nowait((decision.spec.id, lambda: self._notify(decision, written)))

    def record(self, state: RuleState) -> None:
        """Write a state that owes no notification (an edited rule starting at ok)."""
        self._write(state)

    def resend(self, decision: Decision) -> None:
        """Send a restored, undelivered notification again; its state is already written."""
        self._queue.put_nowait((decision.spec.id, lambda: self._notify(decision, None)))

    def forget(self, rule_id: UUID, app_id: str) -> None:
        """Tombstone the deleted rule's state once what is queued (its final resolution) is done.

        Not before: a replica taking over in between reads the resolution
        still owed, with the channels to send it to, and sends it.
        """

        async def tombstone() -> None:
            await self._chain(lambda: self._log.forget(rule_id, app_id))

        self._queue.put_nowait((rule_id, tombstone))

    async def drain(self) -> None:
        """Wait until every queued job is done (each delivery is bounded by its budget)."""
        await self._queue.join()

    def cancel(self) -> None:
        """Stop at once (the rule is deleted): nothing it owes matters any more."""
        for task in (self._worker, self._writes):
            if task is not None:
                task.cancel()

    async def close(self) -> None:
        # Cancelled mid-delivery, a notification stays delivered=false on the
        # topic: the next owner sends it again under the same id.
        for task in (self._worker, self._writes):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    def _write(self, state: RuleState) -> asyncio.Task[None]:
        return self._chain(lambda: self._log.write_state(state))

    def _chain(self, write_one: Callable[[], Awaitable[None]]) -> asyncio.Task[None]:
        # Chained, so a rule's states reach Kafka in the order they were decided.
        previous = self._writes

        async def write() -> None:
            if previous is not None:
                # Its failure is reported by its own waiter; this state still goes.
                with contextlib.suppress(Exception):
                    await previous
            await write_one()

        self._writes = asyncio.create_task(write(), name="alert-state-write")
        return self._writes

    async def _work(self) -> None:
        while True:
            rule_id, job = await self._queue.get()
            try:
                await job()
            except asyncio.CancelledError:
                raise
            except Exception as err:
                self._metrics.errors.labels("alert_notify").inc()
                log.warning(
                    "An alert transition's delivered mark, history entry or tombstone could not "
                    "be written.",
                    extra={"ctx": {"rule_id": str(rule_id), "error": repr(err)}},
                )
            finally:
                self._queue.task_done()

    async def _notify(self, decision: Decision, written: asyncio.Task[None] | None) -> None:
        if written is not None:
            try:
                await written
            except Exception as err:
                # Better told twice (should this replica die before the next
                # write) than not at all: deliver anyway.
                self._metrics.errors.labels("alert_state").inc()
                log.warning(
                    "An alert rule's new state could not be written; delivering anyway.",
                    extra={"ctx": {"rule_id": str(decision.spec.id), "error": repr(err)}},
                )
        spec, state, retired = decision.spec, decision.state, decision.retired
        if retired is not None:
            # The rule as it was when deleted or disabled, channels included.
            slug, group, channel_specs = retired.app_slug, retired.group_slug, retired.channels
        else:
            if self._profile is None:
                raise RuntimeError("a notifier without a profile can only send retired rules")
            profile = self._profile()
            slug, group, channel_specs = profile.slug, profile.group_slug, profile.alert_channels
        note = Notification(
            id=notification_id(spec.id, state.sequence),
            rule_id=str(spec.id),
            rule_name=spec.name,
            app=slug,
            group=group,
            transition=decision.transition,
            severity=spec.severity,
            at=state.last_notified_at or state.since,
            count=decision.count,
            window_s=spec.condition.window_s,
            samples=decision.samples,
            url=history_url(self._policy.web_url, slug),
        )
        deliveries: dict[str, Literal["delivered", "failed"]] = {}
        if not decision.muted:
            channels = {channel.id: channel for channel in channel_specs}
            results = await asyncio.gather(
                *(self._deliver(channels.get(cid), cid, note) for cid in spec.channel_ids)
            )
            deliveries = {
                str(cid): "delivered" if result.delivered else "failed"
                for cid, result in zip(spec.channel_ids, results, strict=True)
            }
            current = self._current()
            if current is not None and current.sequence == state.sequence:
                # The current state, not the decided one: an edit since then has
                # a new revision, which the old one must not overwrite.
                # The retired rule's snapshot is no longer needed once delivered.
                done = current.model_copy(update={"delivered": True, "retired": None})
                await self._write(done)
            self._delivered(state)
        await self._log.write_event(
            AlertEvent(
                event_id=uuid.uuid5(_EVENT_NAMESPACE, note.id),
                notification_id=note.id,
                rule_id=spec.id,
                rule_name=spec.name,
                app_id=state.app_id,
                transition=decision.transition,
                severity=spec.severity,
                at=note.at,
                count=decision.count,
                window_s=spec.condition.window_s,
                samples=decision.samples,
                muted=decision.muted,
                deliveries=deliveries,
            )
        )

    async def _deliver(
        self, channel: AlertChannelSpec | None, channel_id: UUID, note: Notification
    ) -> DeliveryResult:
        if channel is None:
            result = DeliveryResult(False, 0, "the channel is not on the app's profile")
        else:
            try:
                result = await deliver(
                    channel,
                    note,
                    opener=self._policy.opener,
                    smtp=self._policy.smtp,
                    attempts=self._policy.attempts,
                    budget_s=self._policy.budget_s,
                    private_targets=self._policy.private_targets,
                )
            except Exception as err:
                # deliver answers failures itself; this is a bug of ours or the library's.
                log.exception(
                    "Delivering an alert notification raised.",
                    extra={"ctx": {"channel_id": str(channel_id), "notification_id": note.id}},
                )
                result = DeliveryResult(False, 0, f"delivery failed: {err!r}")
        kind = channel.kind.value if channel is not None else "unknown"
        outcome = "delivered" if result.delivered else "failed"
        self._metrics.deliveries.labels(kind, outcome).inc()
        return result


def history_url(web_url: str, app_slug: str) -> str | None:
    """The app's alert history in the web UI, or None when the server was not told the UI's URL."""
    if not web_url:
        return None
    return f"{web_url.rstrip('/')}/apps/{app_slug}/alerts/history"
