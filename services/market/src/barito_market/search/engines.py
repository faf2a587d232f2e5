"""The search engines holding an app's logs: the installation's, and its group's own.

A dedicated group's logs move to its cluster's engine once the cluster is
ACTIVE; what was written before stays on the installation's engine until
retention removes it. So an app with a cluster is read from both, its
cluster's first::

    engines = SearchEngines(settings.search)      # in the lifespan
    adapters = await engines.for_app(session, app)
    ...
    await engines.close()                          # at shutdown

One adapter (one connection pool) per cluster engine, made on first use and
kept until shutdown: a page of the UI asks several times a second.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from barito_common.clusters import search_settings_for
from barito_common.schemas import ClusterCoordinates
from barito_common.search import SearchAdapter, create_search_adapter
from barito_common.settings import SearchSettings
from barito_market.groups.cluster import group_cluster
from barito_market.models import App

__all__ = ["SearchEngines"]


class SearchEngines:
    def __init__(self, settings: SearchSettings) -> None:
        self._settings = settings
        self.installation = create_search_adapter(settings)
        self._clusters: dict[tuple[str, str], SearchAdapter] = {}

    def for_cluster(self, cluster: ClusterCoordinates | None) -> list[SearchAdapter]:
        """The engines to read: the cluster's, then the installation's; or the latter alone."""
        if cluster is None:
            return [self.installation]
        key = (cluster.search_url, cluster.search_engine)
        adapter = self._clusters.get(key)
        if adapter is None:
            adapter = create_search_adapter(search_settings_for(self._settings, cluster))
            self._clusters[key] = adapter
        return [adapter, self.installation]

    async def for_app(self, session: AsyncSession, app: App) -> list[SearchAdapter]:
        return self.for_cluster(await group_cluster(session, app.group_id))

    async def close(self) -> None:
        for adapter in [*self._clusters.values(), self.installation]:
            await adapter.close()
        self._clusters = {}
