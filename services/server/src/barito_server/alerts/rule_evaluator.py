"""One rule's condition over the app's stream: decides transitions, does no I/O.

States go ok → firing → resolved (→ firing again …). Every decision bumps
the rule's ``sequence`` (the notification's number, see
``barito_common.alerts.notification_id``), so a notification keeps its id
however often it is sent, and a new one never reuses an old id — also
across revisions: an edited rule starts at ok (or stays firing, if it was)
and keeps counting.

Decisions that need "fewer than N in the window" (an absence firing, a
threshold or ``any`` resolving) wait until the evaluator has watched the
stream for one whole window: before that, the window is not known to be
empty, it was just not seen (a takeover, a restart).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from barito_common.alerts import (
    AlertConditionKind,
    AlertRuleSpec,
    AlertTransition,
    RetiredRule,
    RuleState,
    RuleStatus,
    bounded_sample,
    match_filter,
)
from barito_common.event_filters import EventFilter
from barito_server.alerts.sliding_window import SlidingCount

__all__ = ["Decision", "RuleEvaluator", "rule_filter"]

MAX_SAMPLES = 5


def rule_filter(spec: AlertRuleSpec) -> EventFilter:
    """The rule's match as a filter; ``BadFilter`` names what is wrong."""
    # The market's check too, so a rule saved before a limit existed is not evaluated.
    return match_filter(spec.match)


@dataclass(frozen=True)
class Decision:
    """A transition to notify: the rule's new state and what the notification shows."""

    spec: AlertRuleSpec
    transition: AlertTransition
    state: RuleState
    count: int
    muted: bool
    samples: list[dict[str, Any]] = field(default_factory=list)
    # A deleted or disabled rule's final resolution: the channels it had then.
    retired: RetiredRule | None = None


class RuleEvaluator:
    def __init__(
        self, spec: AlertRuleSpec, app_id: str, *, restored: RuleState | None, at: datetime
    ) -> None:
        self.spec = spec
        self.filter = rule_filter(spec)
        self.window = SlidingCount(spec.condition.window_s)
        self._samples: deque[tuple[float, dict[str, Any]]] = deque(maxlen=MAX_SAMPLES)
        self._watching_since: float | None = None
        self._last_match: float | None = None
        # Whether the channels were told of the current firing. A mute set
        # after they were must not swallow its resolution: the PagerDuty
        # incident, the Slack thread would stay open for ever. Not kept on
        # alerts.state: a restored firing counts as told (a resolution too
        # many beats an incident never closed).
        self._firing_told = True
        if restored is not None and restored.revision == spec.revision:
            self.state = restored
        elif restored is not None and restored.status is RuleStatus.FIRING:
            # An edit of a firing rule keeps it firing under the new match and
            # condition: starting at ok would leave the alert its channels were
            # told about (a PagerDuty incident, the history's status) open for
            # ever if the new revision never fires, or tell them 'firing' twice.
            # It resolves as any firing rule does, after one window watched.
            self.state = restored.model_copy(update={"revision": spec.revision})
        else:
            self.state = RuleState(
                rule_id=spec.id,
                app_id=app_id,
                revision=spec.revision,
                status=RuleStatus.OK,
                since=at,
                sequence=restored.sequence if restored is not None else 0,
            )

    def watch_from(self, now: float) -> None:
        """The stream is read from ``now`` on: windows before it were not seen."""
        if self._watching_since is None:
            self._watching_since = now

    def observe(
        self, now: float, at: datetime, sample: dict[str, Any], *, decide: bool = True
    ) -> Decision | None:
        """A matching event arrived; ``decide=False`` only counts it (while paused)."""
        self.window.add(now)
        self._samples.append((now, sample))
        self._last_match = now
        if not decide:
            return None
        condition = self.spec.condition
        firing = self.state.status is RuleStatus.FIRING
        if condition.kind is AlertConditionKind.ANY and not firing:
            return self._decide(AlertTransition.FIRING, now, at)
        if (
            condition.kind is AlertConditionKind.THRESHOLD
            and not firing
            and self.window.count(now) >= condition.count
        ):
            return self._decide(AlertTransition.FIRING, now, at)
        return None

    def tick(self, now: float, at: datetime) -> Decision | None:
        """The 1 s timer: resolutions, absences and re-notifications."""
        if self._watching_since is None:
            return None
        condition = self.spec.condition
        firing = self.state.status is RuleStatus.FIRING
        seen_whole_window = now - self._watching_since >= condition.window_s
        count = self.window.count(now)
        if condition.kind is AlertConditionKind.ANY and firing:
            last = max(self._last_match or self._watching_since, self._watching_since)
            if now - last >= condition.window_s:
                return self._decide(AlertTransition.RESOLVED, now, at)
        elif condition.kind is AlertConditionKind.THRESHOLD and firing:
            if seen_whole_window and count < condition.count:
                return self._decide(AlertTransition.RESOLVED, now, at)
        elif condition.kind is AlertConditionKind.ABSENCE:
            if not firing and seen_whole_window and count < condition.count:
                return self._decide(AlertTransition.FIRING, now, at)
            if firing and count >= condition.count:
                return self._decide(AlertTransition.RESOLVED, now, at)
        renotify_s = self.spec.renotify_s
        last_notified = self.state.last_notified_at
        if (
            self.state.status is RuleStatus.FIRING
            and renotify_s is not None
            and last_notified is not None
            and (at - last_notified).total_seconds() >= renotify_s
        ):
            return self._decide(AlertTransition.RENOTIFY, now, at)
        return None

    def retire(self, now: float, at: datetime, retired: RetiredRule) -> Decision | None:
        """The rule is deleted or disabled: a firing one resolves, as its last word.

        Left firing, the alert its channels were told about (a PagerDuty
        incident, a Slack alert) stayed open for ever and a disabled rule's
        status said "firing". A firing they were never told of (muted from
        the start) resolves quietly.
        """
        if self.state.status is not RuleStatus.FIRING:
            return None
        muted = not self._firing_told
        self.state = self.state.model_copy(
            update={
                "status": RuleStatus.RESOLVED,
                "since": at,
                "sequence": self.state.sequence + 1,
                "last_notified_at": at,
                "delivered": muted,
                "retired": None if muted else retired,
            }
        )
        return Decision(
            spec=retired.spec,
            transition=AlertTransition.RESOLVED,
            state=self.state,
            count=self.window.count(now),
            muted=muted,
            retired=retired,
        )

    def mark_delivered(self, sequence: int) -> None:
        """Every channel has notification ``sequence``: nothing is owed if it is the last."""
        if self.state.sequence == sequence and not self.state.delivered:
            self.state = self.state.model_copy(update={"delivered": True})

    def _decide(self, transition: AlertTransition, now: float, at: datetime) -> Decision:
        muted = self.spec.muted_until is not None and self.spec.muted_until > at
        if transition is AlertTransition.FIRING:
            self._firing_told = not muted
        elif transition is AlertTransition.RESOLVED:
            muted = muted and not self._firing_told
        status = {
            AlertTransition.FIRING: RuleStatus.FIRING,
            AlertTransition.RESOLVED: RuleStatus.RESOLVED,
            AlertTransition.RENOTIFY: self.state.status,
        }[transition]
        self.state = self.state.model_copy(
            update={
                "status": status,
                "since": at if status is not self.state.status else self.state.since,
                "sequence": self.state.sequence + 1,
                "last_notified_at": at,
                # A muted decision has nothing to deliver.
                "delivered": muted,
                "retired": None,
            }
        )
        oldest = now - self.spec.condition.window_s
        return Decision(
            spec=self.spec,
            transition=transition,
            state=self.state,
            count=self.window.count(now),
            muted=muted,
            samples=[bounded_sample(sample) for seen, sample in self._samples if seen > oldest],
        )
