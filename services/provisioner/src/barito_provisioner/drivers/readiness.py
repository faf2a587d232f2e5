"""Waiting until a dedicated infrastructure's components all run."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from barito_common.schemas import Component, ComponentState
from barito_provisioner.drivers.base import Driver, InfrastructureSpec, NotReadyYet

__all__ = ["ReadyTiming", "not_running", "wait_until_driver_runs", "wait_until_running"]


class ReadyTiming(Protocol):
    """How long a dedicated driver's settings let bootstrapping wait, and how often it looks."""

    @property
    def ready_timeout_s(self) -> float: ...

    @property
    def ready_poll_s(self) -> float: ...


def not_running(
    components: list[Component], optional: Callable[[Component], bool] | None = None
) -> list[Component]:
    return [
        c
        for c in components
        if c.state is not ComponentState.ACTIVE and not (optional and optional(c))
    ]


async def wait_until_running(
    poll: Callable[[], Awaitable[list[Component]]],
    *,
    timeout_s: float,
    interval_s: float,
    optional: Callable[[Component], bool] | None = None,
) -> list[Component]:
    """Poll until every component is ACTIVE; NotReadyYet names the laggards at the deadline.

    ``optional``: components that need not run, e.g. a viewer no image is configured for.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        components = await poll()
        waiting = not_running(components, optional)
        if components and not waiting:
            return components
        if time.monotonic() >= deadline:
            detail = ", ".join(
                f"{c.name} {c.state.value}" + (f" ({c.message})" if c.message else "")
                for c in waiting
            )
            raise NotReadyYet(
                f"{len(components) - len(waiting)} of {len(components)} components run after "
                f"{timeout_s:g}s; waiting for: {detail or 'any component to be reported'}"
            )
        await asyncio.sleep(interval_s)


async def wait_until_driver_runs(
    driver: Driver,
    spec: InfrastructureSpec,
    timing: ReadyTiming,
    *,
    optional: Callable[[Component], bool] | None = None,
) -> list[Component]:
    """A dedicated driver's ``bootstrap``: poll ``spec``'s components until all run.

    It only waits: the apps' topics and index templates are put by the layer
    above once every component runs, at the addresses ``driver.cluster()`` gives.
    """
    return await wait_until_running(
        lambda: driver.poll(spec, ()),
        timeout_s=timing.ready_timeout_s,
        interval_s=timing.ready_poll_s,
        optional=optional,
    )
