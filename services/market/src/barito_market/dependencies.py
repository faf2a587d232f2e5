"""What the lifespan builds, handed to routes as ``Annotated`` dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from barito_common.capacity import CapacityTemplate
from barito_market.publisher import Publisher
from barito_market.settings import MarketSettings

__all__ = ["PublisherDep", "SettingsDep", "TemplatesDep"]


def _publisher(request: Request) -> Publisher:
    publisher: Publisher = request.app.state.publisher
    return publisher


def _settings(request: Request) -> MarketSettings:
    settings: MarketSettings = request.app.state.settings
    return settings


def _templates(request: Request) -> dict[str, CapacityTemplate]:
    templates: dict[str, CapacityTemplate] = request.app.state.templates
    return templates


PublisherDep = Annotated[Publisher, Depends(_publisher)]
SettingsDep = Annotated[MarketSettings, Depends(_settings)]
TemplatesDep = Annotated[dict[str, CapacityTemplate], Depends(_templates)]
