"""A static path segment beside an app's slug, in the web UI or the API, is a reserved slug.

Otherwise the app of that slug is shadowed: ``/apps/new`` is the registration
page, so an app slugged ``new`` could never be opened. Adding such a route
without reserving its segment (barito_common.reserved_names) fails here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from barito_common.reserved_names import RESERVED_APP_SLUGS
from barito_market.main import create_app
from barito_market.settings import MarketSettings

WEB_ROUTES = Path(__file__).resolve().parents[1] / "web" / "src" / "main.tsx"


def _static_siblings(paths: Iterable[str], parameter: str) -> set[str]:
    """The fixed segments that sit where ``parameter`` sits, under the same parents."""
    split = [path.strip("/").split("/") for path in paths]
    siblings: set[str] = set()
    for segments in split:
        for at, segment in enumerate(segments):
            if segment != parameter:
                continue
            siblings |= {
                other[at]
                for other in split
                if len(other) > at
                and other[:at] == segments[:at]
                and not other[at].startswith((":", "{", "*"))
            }
    return siblings


def test_web_ui_routes_beside_an_apps_page_are_reserved_slugs() -> None:
    paths = re.findall(r'path="([^"]+)"', WEB_ROUTES.read_text())
    siblings = _static_siblings(paths, ":slug")
    assert "new" in siblings  # the registration page, read from main.tsx
    assert siblings <= set(RESERVED_APP_SLUGS), siblings - set(RESERVED_APP_SLUGS)


def test_api_paths_beside_an_apps_slug_are_reserved_slugs() -> None:
    app = create_app(MarketSettings.model_construct())
    paths = list(app.openapi()["paths"])
    assert "/api/v1/apps/{slug}" in paths
    siblings = _static_siblings(paths, "{slug}")
    assert siblings <= set(RESERVED_APP_SLUGS), siblings - set(RESERVED_APP_SLUGS)
