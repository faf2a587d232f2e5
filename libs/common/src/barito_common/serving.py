"""Running a service's app under uvicorn, the same way for every service.

With ``BARITO_TLS_CERTFILE`` and ``BARITO_TLS_KEYFILE`` set the service
serves HTTPS itself, and a renewed certificate (its files replaced) is served
to new connections without a restart (:mod:`barito_common.tls_reload`).
Unset, it serves plain HTTP and TLS ends at an ingress or proxy in front.

A service that can use more than one core (the receiver, the tail server)
runs ``workers`` processes on its port with :func:`serve_workers`, under
uvicorn's own supervisor: the supervisor binds the port once and every
worker accepts from that one socket, and it replaces a worker that dies.
Each worker imports the service's app factory and builds its own app and
lifespan (its own Kafka clients). uvicorn's supervisor rather than one
``SO_REUSEPORT`` socket per worker: connections queued on the shared
socket are taken by the surviving workers when one dies (a ``SO_REUSEPORT``
socket's queue dies with its worker, its clients reset), and the restart and
health checking are uvicorn's, not ours. The worker processes meet in a
private directory, removed at exit (:mod:`barito_common.workers`).

Example::

    serve(create_app(settings), settings)
    serve_workers(create_app, settings, service="receiver", workers=settings.workers)
"""

from __future__ import annotations

import asyncio
import functools
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import uvicorn
from fastapi import FastAPI

from barito_common.settings import ServiceSettings
from barito_common.tls_reload import DEFAULT_CHECK_INTERVAL_S, ReloadingCertificate
from barito_common.tls_sniffing import tls_sniffing_protocol
from barito_common.workers import POOL_ENV, WorkerPool

__all__ = ["serve", "serve_workers", "uvicorn_options"]


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


_WORKER_HEALTHCHECK_S = 30


@functools.cache
def _worker_tls_protocol(
    certfile: str, keyfile: str, check_interval_s: float
) -> type[asyncio.Protocol]:
    # One reloading certificate per worker process, built on its first connection.
    certificate = ReloadingCertificate(certfile, keyfile, check_interval_s=check_interval_s)
    return tls_sniffing_protocol(certificate.context)


@dataclass(frozen=True)
class _WorkerTlsProtocol:
    """uvicorn's ``http`` protocol factory for workers, which get their settings pickled.

    The TLS-sniffing protocol class closes over its certificate and cannot be
    pickled; this names the files instead, and each worker loads them itself.
    """

    certfile: str
    keyfile: str
    check_interval_s: float

    def __call__(self, **uvicorn_arguments: Any) -> asyncio.Protocol:
        protocol = _worker_tls_protocol(self.certfile, self.keyfile, self.check_interval_s)
        return protocol(**uvicorn_arguments)


def _import_string(factory: Callable[[], FastAPI]) -> str:
    module = factory.__module__
    if module == "__main__":
        # Run as `python -m barito_receiver.main`: the workers import it by its name.
        spec = getattr(sys.modules["__main__"], "__spec__", None)
        if spec is None:
            raise ValueError("serve_workers needs an app factory importable by its module name")
        module = spec.name
    return f"{module}:{factory.__qualname__}"


def serve_workers(
    factory: Callable[[], FastAPI],
    settings: ServiceSettings,
    *,
    service: str,
    workers: int,
    **options: Any,
) -> None:
    """Serve the app ``factory`` builds (from the environment's settings) in ``workers``
    processes on one port until stopped; one worker is this process, as :func:`serve`."""
    if workers == 1:
        serve(factory(), settings, **options)
        return
    uvicorn_settings = uvicorn_options(settings) | options
    if settings.tls_certfile and settings.tls_keyfile:
        # uvicorn_options has loaded the files once here: a pair that does not load stops
        # the start now, not in every worker.
        uvicorn_settings["http"] = _WorkerTlsProtocol(
            settings.tls_certfile, settings.tls_keyfile, DEFAULT_CHECK_INTERVAL_S
        )
    directory = tempfile.mkdtemp(prefix=f"barito-{service}-workers-")
    pool = WorkerPool(
        workers=workers,
        directory=directory,
        factory=_import_string(factory),
        service=service,
        log_level=settings.log_level,
    )
    pool.metrics_dir.mkdir()
    pool.ready_dir.mkdir()
    # Read by the workers, which inherit this environment: prometheus_client picks its
    # multiprocess mode when it is first imported, in each worker.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(pool.metrics_dir)
    os.environ[POOL_ENV] = pool.to_env()
    try:
        uvicorn.run(
            "barito_common.workers:worker_app",
            factory=True,
            workers=workers,
            # The supervisor kills a worker that does not answer its ping in time, and
            # a new worker answers only once it has imported the service: on a busy
            # node that takes longer than uvicorn's 5 s, and the worker is killed over
            # and over. A hung worker is still replaced, only later.
            timeout_worker_healthcheck=_WORKER_HEALTHCHECK_S,
            **uvicorn_settings,
        )
    finally:
        shutil.rmtree(directory, ignore_errors=True)
