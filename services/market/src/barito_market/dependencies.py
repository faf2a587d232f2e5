"""Everything a route can ask for, as ``Annotated`` dependencies, all named ``...Dep``.

* ``SessionDep`` — one database session per request; the route's domain
  function commits what it means to keep.
* ``CurrentUserDep`` — the caller (API token or session cookie), else 401.
* ``SuperAdminDep`` — the caller if a superadmin, else 403.
* ``SettingsDep``, ``TemplatesDep``, ``PublisherDep``, ``SearchEnginesDep`` —
  what the lifespan built and keeps on ``app.state``.

Example::

    @router.get("/apps/{slug}")
    async def get_app(slug: str, user: CurrentUserDep, session: SessionDep) -> Any: ...
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from barito_common.capacity import CapacityTemplate
from barito_market.accounts.authentication import (
    CSRF_HEADER,
    SESSION_COOKIE,
    authenticate,
    require_superadmin,
)
from barito_market.models import User
from barito_market.registry.publisher import Publisher
from barito_market.search.engines import SearchEngines
from barito_market.settings import MarketSettings

__all__ = [
    "CurrentUserDep",
    "PublisherDep",
    "SearchEnginesDep",
    "SessionDep",
    "SettingsDep",
    "SuperAdminDep",
    "TemplatesDep",
]


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(_session)]

# Declared only so the OpenAPI document names both ways in (either one will
# do); authenticate reads the request itself, to answer each failure in words.
_API_TOKEN = HTTPBearer(
    scheme_name="ApiToken",
    description="A personal API token (POST /api/v1/auth/tokens).",
    auto_error=False,
)
_SESSION = APIKeyCookie(
    name=SESSION_COOKIE,
    scheme_name="Session",
    description=f"The session cookie set by POST /api/v1/auth/login; changes also need "
    f"the {CSRF_HEADER} header.",
    auto_error=False,
)


async def _current_user(
    request: Request,
    session: SessionDep,
    _token: Annotated[HTTPAuthorizationCredentials | None, Depends(_API_TOKEN)],
    _cookie: Annotated[str | None, Depends(_SESSION)],
) -> User:
    return await authenticate(request, session)


CurrentUserDep = Annotated[User, Depends(_current_user)]


async def _superadmin(user: CurrentUserDep) -> User:
    return require_superadmin(user)


SuperAdminDep = Annotated[User, Depends(_superadmin)]


def _settings(request: Request) -> MarketSettings:
    settings: MarketSettings = request.app.state.settings
    return settings


def _templates(request: Request) -> dict[str, CapacityTemplate]:
    templates: dict[str, CapacityTemplate] = request.app.state.templates
    return templates


def _publisher(request: Request) -> Publisher:
    publisher: Publisher = request.app.state.publisher
    return publisher


def _search_engines(request: Request) -> SearchEngines:
    engines: SearchEngines = request.app.state.search_engines
    return engines


SettingsDep = Annotated[MarketSettings, Depends(_settings)]
TemplatesDep = Annotated[dict[str, CapacityTemplate], Depends(_templates)]
PublisherDep = Annotated[Publisher, Depends(_publisher)]
SearchEnginesDep = Annotated[SearchEngines, Depends(_search_engines)]
