"""Nomad allocations → component states (pure).

An allocation is named ``<job>.<group>[<index>]``; index n of kind k is the
component ``k-n``. Of several allocations of one index (a rescheduled one
replaces a failed one) the newest that Nomad still wants running counts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from barito_common.schemas import Component, ComponentKind, ComponentState

__all__ = ["ADDRESS_PORT", "address_of", "component_of", "current_allocations"]

_INDEX = re.compile(r"\[(\d+)\]$")

# The port label whose address a component is reported at.
ADDRESS_PORT = {
    ComponentKind.KAFKA: "kafka",
    ComponentKind.CONTROLLER: "controller",
    ComponentKind.SEARCH: "http",
    ComponentKind.KIBANA: "http",
    ComponentKind.FLOW: "http",
}

_STATES = {
    "pending": ComponentState.PROVISIONING,
    "running": ComponentState.ACTIVE,
    "failed": ComponentState.ERROR,
    "lost": ComponentState.ERROR,
    "unknown": ComponentState.ERROR,
    "complete": ComponentState.ERROR,
}


def current_allocations(stubs: Sequence[Mapping[str, Any]]) -> dict[int, Mapping[str, Any]]:
    """The allocation that counts for each index."""
    chosen: dict[int, Mapping[str, Any]] = {}
    for stub in stubs:
        match = _INDEX.search(str(stub.get("Name", "")))
        if match is None:
            continue
        index = int(match.group(1))
        rank = (stub.get("DesiredStatus") == "run", stub.get("CreateIndex", 0))
        previous = chosen.get(index)
        if previous is None or rank > (
            previous.get("DesiredStatus") == "run",
            previous.get("CreateIndex", 0),
        ):
            chosen[index] = stub
    return chosen


def _last_task_message(stub: Mapping[str, Any]) -> str | None:
    for task, state in sorted((stub.get("TaskStates") or {}).items()):
        events = state.get("Events") or []
        if events:
            last = events[-1]
            text = last.get("DisplayMessage") or last.get("Type")
            if text:
                return f"{task}: {text}"
    return None


def address_of(allocation: Mapping[str, Any], label: str) -> str | None:
    """``host:port`` of the allocation's port ``label``, from its AllocatedResources."""
    shared = (allocation.get("AllocatedResources") or {}).get("Shared") or {}
    for port in shared.get("Ports") or []:
        if port.get("Label") == label:
            return f"{port.get('HostIP')}:{port.get('Value')}"
    return None


def component_of(
    kind: ComponentKind, index: int, stub: Mapping[str, Any], address: str | None
) -> Component:
    status = str(stub.get("ClientStatus", "unknown"))
    state = _STATES.get(status, ComponentState.ERROR)
    message = None
    if state is not ComponentState.ACTIVE:
        detail = _last_task_message(stub)
        message = f"allocation {status}" + (f": {detail}" if detail else "")
    return Component(
        name=f"{kind.value}-{index}", kind=kind, address=address, state=state, message=message
    )
