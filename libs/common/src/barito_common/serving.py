"""Running a service's app under uvicorn, the same way for every service.

With ``BARITO_TLS_CERTFILE`` and ``BARITO_TLS_KEYFILE`` set the service
serves HTTPS itself, and a renewed certificate (its files replaced) is served
to new connections without a restart (:mod:`barito_common.tls_reload`).
Unset, it serves plain HTTP and TLS ends at an ingress or proxy in front.

Example::

    serve(create_app(settings), settings)
"""

from __future__ import annotations

from typing import Any

import uvicorn
from fastapi import FastAPI

from barito_common.settings import ServiceSettings
from barito_common.tls_reload import DEFAULT_CHECK_INTERVAL_S, ReloadingCertificate
from barito_common.tls_sniffing import tls_sniffing_protocol

__all__ = ["serve", "uvicorn_options"]


def uvicorn_options(
    settings: ServiceSettings, *, tls_check_interval_s: float = DEFAULT_CHECK_INTERVAL_S
) -> dict[str, Any]:
    """uvicorn's settings for a service: where to listen, whom to believe, which certificate."""
    options: dict[str, Any] = {
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
    if settings.tls_certfile and settings.tls_keyfile:
        certificate = ReloadingCertificate(
            settings.tls_certfile, settings.tls_keyfile, check_interval_s=tls_check_interval_s
        )
        # Loaded now: a service whose certificate files do not load must not start.
        certificate.context()
        # TLS is begun by the protocol, not by uvicorn, so that a plain-HTTP
        # client on this port is answered (400, "use https://") rather than reset.
        options["http"] = tls_sniffing_protocol(certificate.context)
    return options


def serve(app: FastAPI, settings: ServiceSettings, **options: Any) -> None:
    """Serve ``app`` until stopped; ``options`` add to or override uvicorn's settings."""
    uvicorn.run(app, **(uvicorn_options(settings) | options))
