"""Which apps belong to which app group, from the app registry.

The plain :class:`AppRegistry` forgets an app at its tombstone. The market
deletes a group by sending the DELETE command and then the tombstones of its
apps, so by the time the command is handled the apps may be gone from the
registry: this one also remembers every app it ever saw per group, which is
what deprovisioning needs to find the group's topics and indices.
"""

from __future__ import annotations

from barito_common.app_registry import AppRegistry
from barito_common.schemas import AppProfile, AppStatus, PayloadError, from_bytes

__all__ = ["GroupApps"]


class GroupApps(AppRegistry):
    """The app registry, plus every app each group ever had."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._ever: dict[str, dict[str, AppProfile]] = {}

    def apply(self, app_id: str, value: bytes | None) -> None:
        super().apply(app_id, value)
        if value is None:
            return
        try:
            profile = from_bytes(AppProfile, value)
        except PayloadError:
            return  # the registry has logged it
        self._ever.setdefault(profile.group_id, {})[app_id] = profile

    def live_apps(self, group_id: str) -> list[AppProfile]:
        """The group's apps that are not deleted, by slug."""
        apps = [
            app
            for app in self.apps()
            if app.group_id == group_id and app.status is not AppStatus.DELETED
        ]
        return sorted(apps, key=lambda app: app.slug)

    def every_app(self, group_id: str) -> list[AppProfile]:
        """Every app the group ever had (deleted and tombstoned ones too), by slug."""
        return sorted(self._ever.get(group_id, {}).values(), key=lambda app: app.slug)
