"""Running a service's app under uvicorn, the same way for every service.

Example::

    serve(create_app(settings), settings)
"""

from __future__ import annotations

from typing import Any

import uvicorn
from fastapi import FastAPI

from barito_common.settings import ServiceSettings

__all__ = ["serve", "uvicorn_options"]


def uvicorn_options(settings: ServiceSettings) -> dict[str, Any]:
    """uvicorn's settings for a service: where to listen and whom to believe."""
    return {
        "host": settings.host,
        "port": settings.port,
        # Logging is the service's own JSON (barito_common.json_logging).
        "log_config": None,
        # Behind an ingress every request comes from the proxy: the client's
        # own address, which the market's login throttle counts by, is taken
        # from X-Forwarded-For, but only when a trusted proxy sent it.
        "proxy_headers": True,
        "forwarded_allow_ips": settings.trusted_proxies,
    }


def serve(app: FastAPI, settings: ServiceSettings, **options: Any) -> None:
    """Serve ``app`` until stopped; ``options`` add to or override uvicorn's settings."""
    uvicorn.run(app, **(uvicorn_options(settings) | options))
