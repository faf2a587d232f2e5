"""The journal's fold of commands read back, and how poll reports describe changes (pure)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from barito_common.schemas import (
    Component,
    ComponentKind,
    ComponentState,
    InfrastructureState,
    ProvisionCommand,
    ProvisionCommandKind,
    ProvisionEvent,
)
from barito_provisioner.journal import Journal
from barito_provisioner.poller import describe_changes

NOW = datetime(2026, 1, 2, tzinfo=UTC)


def _command() -> ProvisionCommand:
    return ProvisionCommand(
        command_id=uuid.uuid4(),
        kind=ProvisionCommandKind.CREATE,
        infrastructure_id="infra-1",
        group_id="g1",
        capacity="small",
        issued_at=NOW,
    )


def test_only_commands_that_were_acted_on_give_an_infrastructure_its_template() -> None:
    journal = Journal()
    handled, pending = _command(), _command()
    journal.apply_event(
        ProvisionEvent(
            command_id=handled.command_id,
            infrastructure_id="infra-1",
            state=InfrastructureState.ACTIVE,
            at=NOW,
        )
    )
    journal.note_command(handled)
    # Read back but never handled yet: polling must not use its template.
    journal.note_command(pending)
    record = journal.get("infra-1")
    assert record is not None and record.command == handled
    assert handled.command_id in record.finished_commands


def _component(name: str, state: ComponentState) -> Component:
    return Component(name=name, kind=ComponentKind.SEARCH, state=state)


def test_a_poll_report_names_each_component_that_changed() -> None:
    before = [
        _component("search-0", ComponentState.ACTIVE),
        _component("search-1", ComponentState.ACTIVE),
    ]
    after = [
        _component("search-0", ComponentState.ERROR),
        _component("search-2", ComponentState.ACTIVE),
    ]
    assert describe_changes(before, after) == (
        "search-0: active → error; search-2: new, active; search-1: gone"
    )
