"""Carrying out one ProvisionCommand: the steps of its plan, each reported.

Every transition is published before the next step starts, and folded into
the journal only once Kafka acknowledged it, so what the provisioner knows is
exactly what it reported. A step that fails is retried with backoff; when the
attempts run out the infrastructure goes to ERROR with a message that names
the step and the cause, and a retry command resumes from that step.

A dedicated infrastructure's events carry its cluster's coordinates from the
one that makes it ACTIVE on (the market points the group's apps there); the
DELETED event carries none, as the cluster is gone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from uuid import UUID

from pydantic import ValidationError

from barito_common.capacity import CapacityTemplate
from barito_common.schemas import (
    AppProfile,
    ClusterCoordinates,
    Component,
    ComponentState,
    InfrastructureState,
    Placement,
    ProvisionCommand,
    ProvisionEvent,
)
from barito_provisioner.drivers.base import InfrastructureSpec
from barito_provisioner.drivers.placement import PlacedDriver
from barito_provisioner.event_publisher import EventPublisher
from barito_provisioner.group_apps import GroupApps
from barito_provisioner.journal import Journal
from barito_provisioner.retry_policy import RetryPolicy
from barito_provisioner.state_machine import (
    STEP_STATE,
    InfrastructureRecord,
    Step,
    check_transition,
    plan,
)

__all__ = ["CommandHandler", "Reporter", "spec_of"]

log = logging.getLogger(__name__)

S = InfrastructureState

_STEP_COMPONENT_STATE = {
    Step.PROVISION: ComponentState.PROVISIONING,
    Step.BOOTSTRAP: ComponentState.PROVISIONING,
    Step.DEPROVISION: ComponentState.DELETING,
}


def spec_of(
    command: ProvisionCommand, *, cluster: ClusterCoordinates | None = None
) -> InfrastructureSpec:
    """The infrastructure a command describes; ValidationError if its template is invalid.

    ``cluster`` is the infrastructure's dedicated cluster, if it has one: it
    stays dedicated whatever the command says (the market's rule too), so a
    command never leaves a cluster running while its group moves elsewhere.
    """
    template = CapacityTemplate.model_validate(command.template)
    placement = Placement.DEDICATED if cluster is not None else command.placement
    return InfrastructureSpec(command.infrastructure_id, command.group_id, template, placement)


class Reporter:
    """Publishes transitions and folds each acknowledged one into the journal."""

    def __init__(
        self,
        publisher: EventPublisher,
        journal: Journal,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._publisher = publisher
        self._journal = journal
        self._clock = clock

    async def report(
        self,
        record: InfrastructureRecord,
        command_id: UUID,
        state: InfrastructureState,
        components: Sequence[Component],
        message: str | None,
        cluster: ClusterCoordinates | None,
    ) -> None:
        check_transition(record.state, state)
        event = ProvisionEvent(
            command_id=command_id,
            infrastructure_id=record.infrastructure_id,
            state=state,
            components=list(components),
            message=message,
            at=self._clock(),
            cluster=cluster,
        )
        await self._publisher.publish(event)
        self._journal.apply_event(event)
        log.info(
            "Infrastructure state reported.",
            extra={
                "ctx": {
                    "infrastructure_id": record.infrastructure_id,
                    "state": state.value,
                    "detail": message,
                }
            },
        )


class CommandHandler:
    def __init__(
        self,
        *,
        driver: PlacedDriver,
        reporter: Reporter,
        journal: Journal,
        apps: GroupApps,
        retry: RetryPolicy,
    ) -> None:
        self._driver = driver
        self._reporter = reporter
        self._journal = journal
        self._apps = apps
        self._retry = retry

    async def handle(self, command: ProvisionCommand) -> None:
        """Carry out ``command``; returns once its last event is acknowledged."""
        record = self._journal.record(command.infrastructure_id)
        async with record.lock:
            decision = plan(record, command)
            if decision.skipped:
                log.info(
                    "Command skipped.",
                    extra={
                        "ctx": {
                            "command_id": str(command.command_id),
                            "reason": decision.skip_reason,
                        }
                    },
                )
                return
            try:
                spec = spec_of(command, cluster=record.cluster)
            except ValidationError as err:
                await self._reporter.report(
                    record,
                    command.command_id,
                    S.ERROR,
                    record.components,
                    f"the command's capacity template {command.capacity!r} is invalid: {err}. "
                    "Fix infra/templates/capacity and issue the command again.",
                    record.cluster,
                )
                return
            record.command = command
            await self._carry_out(
                record,
                command,
                spec,
                decision.steps,
                decision.final_state,
                announce_pending=decision.announce_pending,
            )

    async def _carry_out(
        self,
        record: InfrastructureRecord,
        command: ProvisionCommand,
        spec: InfrastructureSpec,
        steps: Sequence[Step],
        final_state: InfrastructureState,
        *,
        announce_pending: bool,
    ) -> None:
        note = self._driver.placement_note(spec)

        async def report(
            state: InfrastructureState,
            components: Sequence[Component],
            message: str,
            cluster: ClusterCoordinates | None,
        ) -> None:
            text = message if note is None else f"{message}; {note}"
            await self._reporter.report(
                record, command.command_id, state, components, text, cluster
            )

        if announce_pending:
            await report(S.PENDING, [], "command received", record.cluster)
        components = record.components
        cluster = record.cluster
        for step in steps:
            working = [
                c.model_copy(update={"state": _STEP_COMPONENT_STATE[step]}) for c in components
            ]
            await report(STEP_STATE[step], working, f"{step.value} started", record.cluster)
            try:
                components = await self._attempt(step, spec)
            except Exception as err:
                await report(
                    S.ERROR,
                    record.components,
                    f"{step.value} failed after {self._retry.attempts} attempt(s): {err} "
                    f"(a retry resumes from {step.value})",
                    record.cluster,
                )
                return
            if step is Step.BOOTSTRAP:
                record.bootstrapped_apps = {
                    app.app_id for app in self._apps.live_apps(spec.group_id)
                }
                cluster = self._driver.cluster(spec, components)
            elif step is Step.DEPROVISION:
                cluster = None
        await report(
            final_state,
            components,
            f"{command.kind.value} done with capacity {spec.template.name}",
            cluster,
        )

    async def _attempt(self, step: Step, spec: InfrastructureSpec) -> list[Component]:
        delays = self._retry.delays()
        for attempt in range(self._retry.attempts):
            try:
                return await self._run(step, spec)
            except Exception as err:
                if attempt == len(delays):
                    raise
                log.warning(
                    "A provisioning step failed; retrying.",
                    extra={
                        "ctx": {
                            "infrastructure_id": spec.infrastructure_id,
                            "step": step.value,
                            "attempt": attempt + 1,
                            "error": str(err),
                        }
                    },
                )
                await asyncio.sleep(delays[attempt])
        raise AssertionError("unreachable")  # pragma: no cover

    async def _run(self, step: Step, spec: InfrastructureSpec) -> list[Component]:
        if step is Step.PROVISION:
            return await self._driver.provision(spec)
        if step is Step.BOOTSTRAP:
            return await self._driver.bootstrap(spec, self._live(spec))
        return await self._driver.deprovision(spec, self._apps.every_app(spec.group_id))

    def _live(self, spec: InfrastructureSpec) -> list[AppProfile]:
        return self._apps.live_apps(spec.group_id)
