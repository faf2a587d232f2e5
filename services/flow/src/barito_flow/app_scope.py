"""Which apps a flow serves: every app, or one dedicated group's (architecture §6).

The installation's flow serves every app of the registry: it reads every log
topic on the installation's Kafka, including a dedicated app's topic from
before its group's cluster became ACTIVE, and its retention looks after every
app's indices on the installation's engine.

A dedicated group's own flow (``app_group_id``) reads its group's Kafka and
indexes into its group's engine, so it serves that group's apps alone. A log
topic there of another group's app should not exist; if one does, its
partitions are held, unread and uncommitted (``FlowWorker``), rather than
indexed into the wrong group's engine or skipped. Its logs stay in Kafka
until the registry says the app is this group's, or an operator moves them.

A topic with no profile at all (an app tombstoned while its topic still holds
data) is indexed as before: only the provisioner makes topics on a group's
Kafka, and it makes them for the group's own apps.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from barito_common.app_registry import AppRegistry
from barito_common.kafka import Topics
from barito_common.schemas import AppProfile

__all__ = ["AppScope", "foreign_group", "served_apps"]


def foreign_group(profile: AppProfile | None, app_group_id: str | None) -> str | None:
    """The app's group when a flow serving ``app_group_id`` must not index it, else None."""
    if app_group_id is None or profile is None or profile.group_id == app_group_id:
        return None
    return profile.group_id


def served_apps(apps: Iterable[AppProfile], app_group_id: str | None) -> list[AppProfile]:
    """The apps of ``apps`` a flow serving ``app_group_id`` looks after (every one for None)."""
    return [app for app in apps if foreign_group(app, app_group_id) is None]


@dataclass(frozen=True)
class AppScope:
    """A flow's apps, as the registry knows them now."""

    registry: AppRegistry
    topics: Topics
    app_group_id: str | None
    """The one group served; None: every app (the installation's flow)."""

    def foreign_group(self, topic: str) -> str | None:
        """The group of ``topic``'s app when this flow must leave it unread, else None."""
        profile = self.registry.by_slug(topic.removeprefix(self.topics.logs("")))
        return foreign_group(profile, self.app_group_id)

    def apps(self) -> list[AppProfile]:
        """The apps whose indices this flow's retention deletes when they expire."""
        return served_apps(self.registry.apps(), self.app_group_id)
