"""The infrastructure state machine: pure decisions, no I/O.

An infrastructure moves ``PENDING → PROVISIONING → BOOTSTRAPPING → ACTIVE``;
``ERROR`` is reachable from every working state and a retry resumes from the
step that failed; ``DELETING → DELETED`` ends it (a later create starts it
again). Each working state is one *step* the driver performs::

    PROVISIONING   Step.PROVISION     make the components (jobs, objects, ...)
    BOOTSTRAPPING  Step.BOOTSTRAP     wait until they run; the apps' topics, index templates
    DELETING       Step.DEPROVISION   remove all of it

Everything the provisioner knows of an infrastructure is folded from its own
``ProvisionEvent`` stream (:func:`apply_event`), so reading the events topic
back after a restart rebuilds the same :class:`InfrastructureRecord`.

Example::

    record = InfrastructureRecord("infra-1")
    decision = plan(record, command)      # which steps, or why none
    apply_event(record, event)            # after each published transition

Exceptions::

    ValueError
    └── TransitionError   a transition the state machine does not allow
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from enum import StrEnum
from uuid import UUID

from barito_common.schemas import (
    ClusterCoordinates,
    Component,
    InfrastructureState,
    ProvisionCommand,
    ProvisionCommandKind,
    ProvisionEvent,
)

__all__ = [
    "CREATE_STEPS",
    "STEP_STATE",
    "TERMINAL_STATES",
    "InfrastructureRecord",
    "Plan",
    "Step",
    "TransitionError",
    "apply_event",
    "check_transition",
    "plan",
]

S = InfrastructureState


class TransitionError(ValueError):
    """A transition the state machine does not allow."""


class Step(StrEnum):
    PROVISION = "provision"
    BOOTSTRAP = "bootstrap"
    DEPROVISION = "deprovision"


STEP_STATE: dict[Step, InfrastructureState] = {
    Step.PROVISION: S.PROVISIONING,
    Step.BOOTSTRAP: S.BOOTSTRAPPING,
    Step.DEPROVISION: S.DELETING,
}
_STATE_STEP = {state: step for step, state in STEP_STATE.items()}
CREATE_STEPS = (Step.PROVISION, Step.BOOTSTRAP)
DELETE_STEPS = (Step.DEPROVISION,)

# A command is finished once its infrastructure reached one of these.
TERMINAL_STATES = frozenset({S.ACTIVE, S.ERROR, S.DELETED})

# Self-transitions of ACTIVE and ERROR are the poller's reports of changed
# component states; the infrastructure's own state does not move. Those of the
# working states are a command resumed after a crash in that step: it reports
# the step's start again (without them a provisioner killed mid-step refused
# its own command for ever after its restart).
_ALLOWED: dict[InfrastructureState | None, frozenset[InfrastructureState]] = {
    None: frozenset({S.PENDING, S.PROVISIONING, S.DELETING, S.ERROR}),
    S.PENDING: frozenset({S.PROVISIONING, S.DELETING, S.ERROR}),
    S.PROVISIONING: frozenset({S.PROVISIONING, S.BOOTSTRAPPING, S.DELETING, S.ERROR}),
    S.BOOTSTRAPPING: frozenset({S.BOOTSTRAPPING, S.ACTIVE, S.DELETING, S.ERROR}),
    S.ACTIVE: frozenset({S.ACTIVE, S.PROVISIONING, S.DELETING, S.ERROR}),
    S.ERROR: frozenset({S.ERROR, S.PROVISIONING, S.BOOTSTRAPPING, S.DELETING}),
    S.DELETING: frozenset({S.DELETING, S.DELETED, S.ERROR}),
    S.DELETED: frozenset({S.PENDING, S.PROVISIONING, S.DELETING, S.ERROR}),
}


def check_transition(current: InfrastructureState | None, new: InfrastructureState) -> None:
    """Raise :class:`TransitionError` unless ``current → new`` is allowed."""
    if new not in _ALLOWED[current]:
        raise TransitionError(f"{current or 'nothing'} cannot move to {new}")


@dataclass
class InfrastructureRecord:
    """What the provisioner knows of one infrastructure."""

    infrastructure_id: str
    state: InfrastructureState | None = None
    components: list[Component] = field(default_factory=list)
    last_command_id: UUID | None = None
    failed_step: Step | None = None
    """The step a failed command stopped at; a retry resumes there."""
    command: ProvisionCommand | None = None
    """The latest command acted on: the group and template polling works from."""
    seen_commands: set[UUID] = field(default_factory=set)
    finished_commands: set[UUID] = field(default_factory=set)
    cluster: ClusterCoordinates | None = None
    """A dedicated infrastructure's coordinates as last reported (None: shared, or not
    ACTIVE yet); what polling and new apps work with, also after a restart."""
    bootstrapped_apps: set[str] = field(default_factory=set)
    """Apps whose topic and index template exist (in memory: redone after a restart)."""
    lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False, compare=False)
    """Held while a command or a poll works on the infrastructure, so their events
    never interleave."""


def apply_event(record: InfrastructureRecord, event: ProvisionEvent) -> None:
    """Fold one published event into ``record`` (live, and when replaying the topic)."""
    if event.state is S.ERROR:
        # The step that failed is the working state the command was in when
        # ERROR came; an ERROR after ERROR (a poll report) keeps the first one.
        step = _STATE_STEP.get(record.state) if record.state is not None else None
        if step is not None and record.last_command_id == event.command_id:
            record.failed_step = step
    else:
        record.failed_step = None
    record.state = event.state
    record.components = list(event.components)
    record.cluster = event.cluster
    record.last_command_id = event.command_id
    record.seen_commands.add(event.command_id)
    if event.state in TERMINAL_STATES:
        record.finished_commands.add(event.command_id)


@dataclass(frozen=True)
class Plan:
    """What to do for a command: the steps to run and the state they end in."""

    steps: tuple[Step, ...] = ()
    final_state: InfrastructureState = S.ACTIVE
    announce_pending: bool = False
    skip_reason: str | None = None
    """Set when nothing is to be done; says why."""

    @property
    def skipped(self) -> bool:
        return self.skip_reason is not None


def _from(steps: tuple[Step, ...], first: Step | None) -> tuple[Step, ...]:
    return steps if first is None or first not in steps else steps[steps.index(first) :]


def plan(record: InfrastructureRecord, command: ProvisionCommand) -> Plan:
    """Decide what ``command`` means for the infrastructure as ``record`` knows it."""
    if command.command_id in record.finished_commands:
        return Plan(skip_reason=f"command {command.command_id} was already handled")
    # A command redelivered after a crash in its middle resumes where it was.
    resume = None
    if record.last_command_id == command.command_id and record.state is not None:
        resume = _STATE_STEP.get(record.state)
    kind = command.kind
    if kind is ProvisionCommandKind.DELETE:
        return Plan(steps=_from(DELETE_STEPS, resume), final_state=S.DELETED)
    if kind is ProvisionCommandKind.RETRY:
        if record.state is S.DELETED:
            return Plan(skip_reason="the infrastructure is deleted; there is nothing to retry")
        if record.state is S.ERROR and record.failed_step is Step.DEPROVISION:
            return Plan(steps=DELETE_STEPS, final_state=S.DELETED)
        if record.state is S.ERROR:
            return Plan(steps=_from(CREATE_STEPS, resume or record.failed_step))
        # Retrying something that did not fail runs it again; every step is idempotent.
        return Plan(steps=_from(CREATE_STEPS, resume))
    return Plan(
        steps=_from(CREATE_STEPS, resume),
        announce_pending=resume is None and record.state in (None, S.DELETED),
    )
