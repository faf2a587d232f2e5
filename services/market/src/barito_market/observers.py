"""What the market runs to observe the platform: the search client and the consumers.

Started and stopped by the market's lifespan (one line each), after the
database is migrated::

    observers = await start_observers(app, settings)
    ...
    await observers.stop()

The search engine is not a readiness dependency: the market's control plane
works without it, and the status and search endpoints say themselves when
it does not answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, FastAPI, Request

from barito_common.search import SearchAdapter, create_search_adapter
from barito_market.consumers.runner import ConsumerRunner
from barito_market.settings import MarketSettings

__all__ = ["Observers", "SearchDep", "start_observers"]


@dataclass
class Observers:
    search: SearchAdapter
    consumers: ConsumerRunner

    async def stop(self) -> None:
        await self.consumers.stop()
        await self.search.close()


async def start_observers(app: FastAPI, settings: MarketSettings) -> Observers:
    """Create the search client (``app.state.search``) and start the consumers."""
    search = create_search_adapter(settings.search)
    app.state.search = search
    consumers = ConsumerRunner(settings.kafka, app.state.sessionmaker, registry=app.state.metrics)
    await consumers.start()
    return Observers(search, consumers)


def _search(request: Request) -> SearchAdapter:
    search: SearchAdapter = request.app.state.search
    return search


SearchDep = Annotated[SearchAdapter, Depends(_search)]
