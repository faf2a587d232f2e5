"""The infrastructure state machine: which steps a command runs, and what a replay rebuilds."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from barito_common.schemas import (
    InfrastructureState,
    ProvisionCommand,
    ProvisionCommandKind,
    ProvisionEvent,
)
from barito_provisioner.retry_policy import RetryPolicy
from barito_provisioner.state_machine import (
    STEP_STATE,
    InfrastructureRecord,
    Step,
    TransitionError,
    apply_event,
    check_transition,
    plan,
)

S = InfrastructureState
NOW = datetime(2026, 1, 2, tzinfo=UTC)


def command(kind: ProvisionCommandKind = ProvisionCommandKind.CREATE) -> ProvisionCommand:
    return ProvisionCommand(
        command_id=uuid.uuid4(),
        kind=kind,
        infrastructure_id="infra-1",
        group_id="g1",
        capacity="small",
        issued_at=NOW,
    )


def replay(record: InfrastructureRecord, cmd: ProvisionCommand, *states: S) -> None:
    for state in states:
        apply_event(
            record,
            ProvisionEvent(
                command_id=cmd.command_id, infrastructure_id="infra-1", state=state, at=NOW
            ),
        )


def test_a_first_create_announces_pending_then_provisions_and_bootstraps_to_active() -> None:
    decision = plan(InfrastructureRecord("infra-1"), command())
    assert decision.announce_pending
    assert decision.steps == (Step.PROVISION, Step.BOOTSTRAP)
    assert decision.final_state is S.ACTIVE


def test_a_command_that_reached_a_final_state_is_skipped_when_delivered_again() -> None:
    record = InfrastructureRecord("infra-1")
    create = command()
    replay(record, create, S.PENDING, S.PROVISIONING, S.BOOTSTRAPPING, S.ACTIVE)
    decision = plan(record, create)
    assert decision.skipped and "already handled" in (decision.skip_reason or "")


def test_a_command_cut_off_in_its_middle_resumes_at_the_step_it_was_in() -> None:
    record = InfrastructureRecord("infra-1")
    create = command()
    replay(record, create, S.PENDING, S.PROVISIONING, S.BOOTSTRAPPING)
    decision = plan(record, create)
    assert not decision.skipped
    assert decision.steps == (Step.BOOTSTRAP,)
    assert not decision.announce_pending


@pytest.mark.parametrize(
    ("kind", "cut_in"),
    [
        (ProvisionCommandKind.CREATE, (S.PENDING, S.PROVISIONING)),
        (ProvisionCommandKind.CREATE, (S.PENDING, S.PROVISIONING, S.BOOTSTRAPPING)),
        (ProvisionCommandKind.DELETE, (S.DELETING,)),
    ],
)
def test_a_resumed_command_may_report_its_steps_start_again(
    kind: ProvisionCommandKind, cut_in: tuple[S, ...]
) -> None:
    record = InfrastructureRecord("infra-1")
    cut = command(kind=kind)
    replay(record, cut, *cut_in)
    decision = plan(record, cut)
    check_transition(record.state, STEP_STATE[decision.steps[0]])


@pytest.mark.parametrize(
    ("failed_in", "resumed_steps"),
    [
        (S.PROVISIONING, (Step.PROVISION, Step.BOOTSTRAP)),
        (S.BOOTSTRAPPING, (Step.BOOTSTRAP,)),
    ],
)
def test_a_retry_after_an_error_resumes_from_the_step_that_failed(
    failed_in: S, resumed_steps: tuple[Step, ...]
) -> None:
    record = InfrastructureRecord("infra-1")
    create = command()
    replay(record, create, S.PENDING, S.PROVISIONING)
    if failed_in is S.BOOTSTRAPPING:
        replay(record, create, S.BOOTSTRAPPING)
    replay(record, create, S.ERROR, S.ERROR)  # the second ERROR is a poll report
    assert record.failed_step is (
        Step.BOOTSTRAP if failed_in is S.BOOTSTRAPPING else Step.PROVISION
    )
    decision = plan(record, command(ProvisionCommandKind.RETRY))
    assert decision.steps == resumed_steps
    assert decision.final_state is S.ACTIVE


def test_a_retry_of_a_failed_delete_deletes_again() -> None:
    record = InfrastructureRecord("infra-1")
    delete = command(ProvisionCommandKind.DELETE)
    replay(record, delete, S.DELETING, S.ERROR)
    decision = plan(record, command(ProvisionCommandKind.RETRY))
    assert decision.steps == (Step.DEPROVISION,)
    assert decision.final_state is S.DELETED


def test_a_retry_of_a_deleted_infrastructure_does_nothing() -> None:
    record = InfrastructureRecord("infra-1")
    replay(record, command(ProvisionCommandKind.DELETE), S.DELETING, S.DELETED)
    assert plan(record, command(ProvisionCommandKind.RETRY)).skipped


def test_an_update_of_an_active_infrastructure_provisions_again_without_pending() -> None:
    record = InfrastructureRecord("infra-1")
    replay(record, command(), S.PENDING, S.PROVISIONING, S.BOOTSTRAPPING, S.ACTIVE)
    decision = plan(record, command(ProvisionCommandKind.UPDATE))
    assert decision.steps == (Step.PROVISION, Step.BOOTSTRAP)
    assert not decision.announce_pending


def test_a_delete_ends_in_deleted_through_deleting() -> None:
    decision = plan(InfrastructureRecord("infra-1"), command(ProvisionCommandKind.DELETE))
    assert decision.steps == (Step.DEPROVISION,)
    assert decision.final_state is S.DELETED


@pytest.mark.parametrize(
    ("current", "new"),
    [(S.PENDING, S.ACTIVE), (S.DELETED, S.ACTIVE), (S.DELETING, S.PROVISIONING), (None, S.ACTIVE)],
)
def test_transitions_that_skip_a_state_are_refused(current: S | None, new: S) -> None:
    with pytest.raises(TransitionError):
        check_transition(current, new)


def test_the_whole_lifecycle_is_allowed() -> None:
    path = [S.PENDING, S.PROVISIONING, S.BOOTSTRAPPING, S.ACTIVE, S.ACTIVE, S.PROVISIONING]
    path += [S.ERROR, S.BOOTSTRAPPING, S.ACTIVE, S.DELETING, S.DELETED, S.PENDING]
    current: S | None = None
    for state in path:
        check_transition(current, state)
        current = state


def test_retry_waits_double_each_time_up_to_the_cap() -> None:
    assert RetryPolicy(attempts=5, base_s=1, cap_s=5).delays() == [1, 2, 4, 5]
    assert RetryPolicy(attempts=1).delays() == []
