"""A component's state from its container's real state and health (pure).

running, healthy                   → ACTIVE
running, no health check, answers  → ACTIVE (the driver probes the port)
created, or running and starting   → PROVISIONING
running, unhealthy                 → ERROR (the health check's last output)
exited, dead, restarting, paused   → ERROR (exit code, OOM kill, last log line)
no container                       → PENDING, or ERROR once it was ACTIVE
"""

from __future__ import annotations

from typing import Any

from barito_common.schemas import Component, ComponentKind, ComponentState

__all__ = ["NO_KIBANA_IMAGE", "component_of", "health_of", "missing_component", "no_kibana"]

NO_KIBANA_IMAGE = (
    "no Kibana image is configured: set BARITO_DOCKER__KIBANA_IMAGE to start one "
    "(the cluster runs without it)"
)
_MAX_DETAIL = 300


def health_of(attrs: dict[str, Any]) -> str | None:
    """The container's health status (starting, healthy, unhealthy); None without a check."""
    health = (attrs.get("State") or {}).get("Health")
    return None if not health else str(health.get("Status"))


def component_of(
    component: str,
    kind: ComponentKind,
    attrs: dict[str, Any],
    *,
    address: str | None,
    answers: bool | None = None,
    last_log: str | None = None,
) -> Component:
    """``attrs``: the container's inspect document. ``answers``: whether its port
    accepts a connection, asked by the caller only when the image has no health check."""
    state = attrs.get("State") or {}
    status = str(state.get("Status", "unknown"))
    name = str(attrs.get("Name", "")).lstrip("/")

    def made(value: ComponentState, message: str | None = None) -> Component:
        return Component(name=component, kind=kind, address=address, state=value, message=message)

    if status == "running":
        health = health_of(attrs)
        if health == "healthy" or (health is None and answers):
            return made(ComponentState.ACTIVE)
        if health == "unhealthy":
            return made(
                ComponentState.ERROR,
                f"container {name} is unhealthy: {_last_health_output(state) or 'no output'}",
            )
        if health is None:
            return made(ComponentState.PROVISIONING, f"container {name} runs; port not open yet")
        return made(ComponentState.PROVISIONING, f"container {name} is starting (health: {health})")
    if status == "created":
        return made(ComponentState.PROVISIONING, f"container {name} is created, not started")
    exit_code = state.get("ExitCode")
    detail = f"container {name} is {status} (exit code {exit_code}"
    if state.get("OOMKilled"):
        detail += ", killed: out of memory"
    if attrs.get("RestartCount"):
        detail += f", restarted {attrs['RestartCount']} time(s)"
    detail += ")"
    if state.get("Error"):
        detail += f": {state['Error']}"
    elif last_log:
        detail += f"; last log line: {_clip(last_log)}"
    return made(ComponentState.ERROR, detail)


def missing_component(
    component: str, kind: ComponentKind, *, container: str, known: Component | None
) -> Component:
    """A component without a container: not made yet, or removed behind our back."""
    address = known.address if known else None
    if known is not None and known.state is ComponentState.ACTIVE:
        return Component(
            name=component,
            kind=kind,
            address=address,
            state=ComponentState.ERROR,
            message=f"container {container} is gone: provision again (retry) to recreate it",
        )
    return Component(
        name=component,
        kind=kind,
        address=address,
        state=ComponentState.PENDING,
        message=f"container {container} is not created yet",
    )


def no_kibana(component: str) -> Component:
    return Component(
        name=component,
        kind=ComponentKind.KIBANA,
        state=ComponentState.PENDING,
        message=NO_KIBANA_IMAGE,
    )


def _last_health_output(state: dict[str, Any]) -> str | None:
    log = (state.get("Health") or {}).get("Log") or []
    return _clip(str(log[-1].get("Output", ""))) if log else None


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 1] + "…"
