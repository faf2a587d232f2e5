"""The rules' conditions, decided without I/O: windows, transitions, sequences, mutes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from barito_common.alerts import (
    AlertCondition,
    AlertConditionKind,
    AlertMatch,
    AlertRuleSpec,
    AlertSeverity,
    AlertTransition,
    RetiredRule,
    RuleState,
    RuleStatus,
)
from barito_server.alerts.rule_evaluator import Decision, RuleEvaluator
from barito_server.alerts.sliding_window import SlidingCount

AT = datetime(2026, 12, 5, 16, 0, tzinfo=UTC)
ERROR: dict[str, Any] = {"level": "error"}


def rule(kind: AlertConditionKind, *, count: int = 1, window_s: int = 10, **changes: Any):
    fields: dict[str, Any] = {
        "id": uuid.uuid4(),
        "name": "r",
        "match": AlertMatch(level="error"),
        "condition": AlertCondition(kind=kind, count=count, window_s=window_s),
        "severity": AlertSeverity.WARNING,
    }
    return AlertRuleSpec(**(fields | changes))


def evaluator(spec: AlertRuleSpec, restored: RuleState | None = None) -> RuleEvaluator:
    evaluating = RuleEvaluator(spec, "app-1", restored=restored, at=AT)
    evaluating.watch_from(0.0)
    return evaluating


def at(s: float) -> datetime:
    return AT + timedelta(seconds=s)


def transitions(decisions: list[Decision | None]) -> list[str]:
    return [d.transition.value for d in decisions if d is not None]


def test_a_window_forgets_buckets_older_than_itself_and_a_long_one_keeps_120() -> None:
    window = SlidingCount(10)
    window.add(0.5)
    window.add(9.5, 2)
    assert window.count(9.9) == 3
    assert window.count(10.5) == 3  # exact to a bucket (1 s) at the old edge
    assert window.count(11.0) == 2
    assert window.count(20.0) == 0
    day = SlidingCount(86_400)
    assert day.bucket_s == 720


def test_a_threshold_fires_once_while_over_and_resolves_below_with_the_next_sequence() -> None:
    rules = evaluator(rule(AlertConditionKind.THRESHOLD, count=3))
    decisions = [rules.observe(t, at(t), ERROR) for t in (1.0, 2.0, 3.0, 4.0, 5.0)]
    assert transitions(decisions) == ["firing"]
    fired = next(d for d in decisions if d is not None)
    assert fired.state.sequence == 1 and not fired.state.delivered and fired.count == 3
    assert len(fired.samples) == 3
    assert rules.tick(12.0, at(12.0)) is None  # 3, 4 and 5 are still in the window
    resolved = rules.tick(14.5, at(14.5))
    assert resolved is not None and resolved.transition is AlertTransition.RESOLVED
    assert resolved.state.sequence == 2 and resolved.state.status is RuleStatus.RESOLVED


def test_any_resolves_a_window_after_its_last_match() -> None:
    rules = evaluator(rule(AlertConditionKind.ANY))
    assert transitions([rules.observe(1.0, at(1), ERROR), rules.observe(5.0, at(5), ERROR)]) == [
        "firing"
    ]
    assert rules.tick(14.0, at(14)) is None
    assert transitions([rules.tick(15.0, at(15))]) == ["resolved"]


def test_absence_waits_for_a_whole_window_of_watching_before_firing() -> None:
    rules = evaluator(rule(AlertConditionKind.ABSENCE, count=2))
    assert rules.tick(9.0, at(9)) is None
    assert transitions([rules.tick(10.0, at(10))]) == ["firing"]
    rules.observe(11.0, at(11), ERROR)
    assert rules.tick(11.5, at(11.5)) is None
    rules.observe(12.0, at(12), ERROR)
    assert transitions([rules.tick(12.5, at(12.5))]) == ["resolved"]


def test_a_firing_rule_renotifies_each_period_and_a_muted_one_owes_nothing() -> None:
    rules = evaluator(rule(AlertConditionKind.ANY, window_s=3600, renotify_s=60))
    rules.observe(1.0, at(1), ERROR)
    assert rules.tick(30.0, at(30)) is None
    renotify = rules.tick(61.0, at(61))
    assert renotify is not None and renotify.transition is AlertTransition.RENOTIFY
    assert renotify.state.status is RuleStatus.FIRING and renotify.state.sequence == 2

    muted = evaluator(rule(AlertConditionKind.ANY, muted_until=AT + timedelta(hours=1)))
    decision = muted.observe(1.0, at(1), ERROR)
    assert decision is not None and decision.muted and decision.state.delivered


def test_a_restored_state_is_kept_for_its_revision_and_an_edit_starts_at_ok_counting_on() -> None:
    spec = rule(AlertConditionKind.THRESHOLD, count=3)
    firing = RuleState(
        rule_id=spec.id,
        app_id="app-1",
        revision=1,
        status=RuleStatus.FIRING,
        since=AT,
        sequence=4,
    )
    restored = evaluator(spec, firing)
    assert restored.state.status is RuleStatus.FIRING
    # The window was not watched before the takeover: no resolution for one window.
    assert restored.tick(5.0, at(5)) is None
    assert transitions([restored.tick(10.0, at(10))]) == ["resolved"]

    resolved = firing.model_copy(update={"status": RuleStatus.RESOLVED})
    edited = evaluator(spec.model_copy(update={"revision": 2}), resolved)
    assert edited.state.status is RuleStatus.OK and edited.state.sequence == 4


def test_an_edit_of_a_firing_rule_keeps_it_firing_until_the_new_condition_resolves_it() -> None:
    # Starting at ok would leave the channels' alert (a PagerDuty incident)
    # open for ever when the new revision never fires, or say 'firing' twice.
    spec = rule(AlertConditionKind.THRESHOLD, count=3)
    firing = RuleState(
        rule_id=spec.id, app_id="app-1", revision=1, status=RuleStatus.FIRING, since=AT, sequence=4
    )
    edited = evaluator(
        spec.model_copy(update={"revision": 2, "match": AlertMatch(level="fatal")}), firing
    )
    assert (edited.state.status, edited.state.revision, edited.state.since) == (
        RuleStatus.FIRING,
        2,
        AT,
    )
    assert edited.observe(1.0, at(1), {"level": "fatal"}) is None  # firing already
    resolution = edited.tick(10.0, at(10))
    assert resolution is not None and resolution.transition is AlertTransition.RESOLVED
    assert resolution.state.sequence == 5


def test_a_mute_set_after_a_firing_was_told_silences_reminders_but_not_its_resolution() -> None:
    spec = rule(AlertConditionKind.ANY, window_s=3600, renotify_s=60)
    rules = evaluator(spec)
    told = rules.observe(1.0, at(1), ERROR)
    assert told is not None and not told.muted
    rules.spec = spec.model_copy(update={"muted_until": AT + timedelta(hours=2)})
    reminder = rules.tick(61.0, at(61))
    assert reminder is not None and reminder.transition is AlertTransition.RENOTIFY
    assert reminder.muted
    resolution = rules.tick(3601.0, at(3601))  # an hour without an error, still muted
    assert resolution is not None
    assert resolution.transition is AlertTransition.RESOLVED and not resolution.muted

    # A firing no one was told of ends as quietly.
    quiet = evaluator(rule(AlertConditionKind.ANY, muted_until=AT + timedelta(hours=1)))
    assert quiet.observe(1.0, at(1), ERROR).muted  # type: ignore[union-attr]
    resolution = next(d for t in range(2, 100) if (d := quiet.tick(float(t), at(t))))
    assert resolution.transition is AlertTransition.RESOLVED and resolution.muted


def retired(spec: AlertRuleSpec) -> RetiredRule:
    return RetiredRule(spec=spec, channels=[], app_slug="shop-checkout", group_slug="shop")


def test_a_firing_rule_deleted_or_disabled_resolves_as_its_last_word_unless_never_told() -> None:
    spec = rule(AlertConditionKind.ANY, window_s=300)
    told = evaluator(spec)
    assert told.observe(1.0, at(1), ERROR) is not None
    last = told.retire(2.0, at(2), retired(spec))
    assert last is not None and last.transition is AlertTransition.RESOLVED and not last.muted
    assert (told.state.status, told.state.sequence, told.state.delivered) == (
        RuleStatus.RESOLVED,
        2,
        False,
    )
    assert told.state.retired == retired(spec)  # kept until delivered, for a takeover
    assert told.retire(3.0, at(3), retired(spec)) is None  # nothing more to say

    # Muted from its firing on: it resolves, quietly, owing nothing.
    muted = rule(AlertConditionKind.ANY, window_s=300, muted_until=AT + timedelta(hours=1))
    quiet = evaluator(muted)
    quiet.observe(1.0, at(1), ERROR)
    last = quiet.retire(2.0, at(2), retired(muted))
    assert last is not None and last.muted
    assert (quiet.state.status, quiet.state.delivered, quiet.state.retired) == (
        RuleStatus.RESOLVED,
        True,
        None,
    )
    assert evaluator(spec).retire(1.0, at(1), retired(spec)) is None  # ok: nothing to resolve


def test_the_next_decision_after_a_retirement_no_longer_carries_it() -> None:
    spec = rule(AlertConditionKind.ANY, window_s=300)
    evaluating = evaluator(spec)
    evaluating.observe(1.0, at(1), ERROR)
    evaluating.retire(2.0, at(2), retired(spec))
    again = evaluating.observe(3.0, at(3), ERROR)  # re-enabled, fires again
    assert again is not None and again.state.retired is None
