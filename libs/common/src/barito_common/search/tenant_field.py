"""The field tenant isolation rests on: the app that owns a stored document.

The flow writes it into every document, the index template maps it as a
keyword, and every search the market runs filters on it; one spelling here
keeps the three from drifting apart.

    >>> APP_FIELD
    'barito.app'
    >>> tenant_fields("shop")
    {'barito': {'app': 'shop'}}
    >>> tenant_mapping()
    {'barito': {'properties': {'app': {'type': 'keyword'}}}}
"""

from __future__ import annotations

from typing import Any

__all__ = ["APP_FIELD", "TENANT_OBJECT", "tenant_fields", "tenant_mapping"]

# An object of Barito's own rather than a top-level "app": many records carry
# an "app" of their own, and overwriting it would lose the user's data.
TENANT_OBJECT = "barito"
_APP_KEY = "app"
APP_FIELD = f"{TENANT_OBJECT}.{_APP_KEY}"


def tenant_fields(app_slug: str) -> dict[str, dict[str, str]]:
    """The fields Barito adds to each of ``app_slug``'s documents."""
    return {TENANT_OBJECT: {_APP_KEY: app_slug}}


def tenant_mapping() -> dict[str, Any]:
    """The index mapping of those fields: the app is a keyword, matched exactly by a term."""
    return {TENANT_OBJECT: {"properties": {_APP_KEY: {"type": "keyword"}}}}
