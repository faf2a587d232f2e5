"""Keeping component states true: every infrastructure polled on an interval.

The admin page shows what the last event said, so an event is published
whenever a component's state, address or message changed since the last one
(the infrastructure's own state does not move), with the cluster coordinates
the journal holds for it. An ACTIVE infrastructure also takes in its group's
new apps here: the group's second app needs its topic and index template (on
the group's dedicated cluster, if it has one), and no command is issued for it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from pydantic import ValidationError

from barito_common.schemas import Component, InfrastructureState
from barito_provisioner.command_handler import Reporter, spec_of
from barito_provisioner.drivers.base import InfrastructureSpec
from barito_provisioner.drivers.placement import PlacedDriver
from barito_provisioner.group_apps import GroupApps
from barito_provisioner.journal import Journal
from barito_provisioner.state_machine import InfrastructureRecord

__all__ = ["Poller", "describe_changes"]

log = logging.getLogger(__name__)

_POLLED = (InfrastructureState.ACTIVE, InfrastructureState.ERROR)


def describe_changes(before: Sequence[Component], after: Sequence[Component]) -> str:
    """One line naming each component whose state changed, e.g. ``search-0: active → error``."""
    old = {c.name: c for c in before}
    parts = []
    for component in after:
        previous = old.get(component.name)
        if previous is None:
            parts.append(f"{component.name}: new, {component.state.value}")
        elif previous.state != component.state:
            parts.append(f"{component.name}: {previous.state.value} → {component.state.value}")
    gone = sorted(set(old) - {c.name for c in after})
    parts += [f"{name}: gone" for name in gone]
    return "; ".join(parts) or "component details changed"


class Poller:
    def __init__(
        self,
        *,
        driver: PlacedDriver,
        reporter: Reporter,
        journal: Journal,
        apps: GroupApps,
        interval_s: float,
    ) -> None:
        self._driver = driver
        self._reporter = reporter
        self._journal = journal
        self._apps = apps
        self._interval_s = interval_s

    async def run_forever(self) -> None:
        while True:
            await self.poll_once()
            await asyncio.sleep(self._interval_s)

    async def poll_once(self) -> None:
        for record in self._journal:
            # A command at work on it reports for itself; the next round polls it.
            if record.state not in _POLLED or record.command is None or record.lock.locked():
                continue
            try:
                async with record.lock:
                    await self._poll(record)
            except Exception as err:
                log.warning(
                    "Polling an infrastructure failed.",
                    extra={
                        "ctx": {"infrastructure_id": record.infrastructure_id, "error": repr(err)}
                    },
                )

    async def _poll(self, record: InfrastructureRecord) -> None:
        if record.command is None or record.state is None or record.last_command_id is None:
            return  # not yet commanded: nothing to poll
        try:
            spec = spec_of(record.command, cluster=record.cluster)
        except ValidationError:
            return  # its command already ended in ERROR for that
        if record.state is InfrastructureState.ACTIVE:
            await self._bootstrap_new_apps(record, spec)
        components = await self._driver.poll(spec, record.components)
        if components != record.components:
            await self._reporter.report(
                record,
                record.last_command_id,
                record.state,
                components,
                describe_changes(record.components, components),
                record.cluster,
            )

    async def _bootstrap_new_apps(
        self, record: InfrastructureRecord, spec: InfrastructureSpec
    ) -> None:
        new = [
            app
            for app in self._apps.live_apps(spec.group_id)
            if app.app_id not in record.bootstrapped_apps
        ]
        if not new:
            return
        try:
            await self._driver.bootstrap_apps(spec, new, record.cluster, record.components)
        except Exception as err:
            # Tried again next round; the components' report still goes out now.
            log.warning(
                "Could not bootstrap the group's new apps; trying again at the next poll.",
                extra={
                    "ctx": {
                        "infrastructure_id": record.infrastructure_id,
                        "apps": [app.slug for app in new],
                        "error": repr(err),
                    }
                },
            )
            return
        record.bootstrapped_apps |= {app.app_id for app in new}
        log.info(
            "New apps of the group bootstrapped.",
            extra={"ctx": {"apps": [app.slug for app in new]}},
        )
