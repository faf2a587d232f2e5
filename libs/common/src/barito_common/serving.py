"""Running a service's app under uvicorn, the same way for every service.

With ``BARITO_TLS_CERTFILE`` and ``BARITO_TLS_KEYFILE`` set the service
serves HTTPS itself, and a renewed certificate (its files replaced) is served
to new connections without a restart (:mod:`barito_common.tls_reload`).
Unset, it serves plain HTTP and TLS ends at an ingress or proxy in front.

A service that can use more than one core (the receiver, the tail server)
runs ``workers`` processes on its port with :func:`serve_workers`: a small
supervisor process spawns the workers and replaces one that dies; each
worker imports the service's app factory, builds its own app and lifespan
(its own Kafka clients, its own certificate) and binds the port itself with
``SO_REUSEPORT``. Why not uvicorn's own supervisor, whose workers share one
listening socket: a worker that wakes first takes every connection waiting
(uvloop accepts until the queue is empty), so a burst of new connections
lands on one worker — measured on a busy node, 16 connections split 16/0 in
two runs of three. With ``SO_REUSEPORT`` the kernel spreads connections by
their addresses, however busy each worker is. The cost: connections still
waiting in a worker's own queue when it dies are reset, and their clients
retry. The workers meet in a private directory, removed at exit
(:mod:`barito_common.workers`).

Example::

    serve(create_app(settings), settings)
    serve_workers(create_app, settings, service="receiver", workers=settings.workers)
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from multiprocessing.context import SpawnProcess
from typing import Any

import uvicorn
from fastapi import FastAPI
from uvicorn.importer import import_from_string

from barito_common.json_logging import configure_logging
from barito_common.settings import ServiceSettings
from barito_common.tls_reload import DEFAULT_CHECK_INTERVAL_S, ReloadingCertificate
from barito_common.tls_sniffing import tls_sniffing_protocol
from barito_common.workers import POOL_ENV, WorkerPool

__all__ = ["serve", "serve_workers", "uvicorn_options"]

log = logging.getLogger(__name__)


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


# uvicorn's exit status for "the app or its socket failed before serving": a worker
# that exits with it would fail the same way again, so the supervisor stops.
_STARTUP_FAILURE = 3
# A worker that keeps dying right after its start is restarted at most this often.
_RESTART_INTERVAL_S = 1.0
_spawn = multiprocessing.get_context("spawn")


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Every worker binds the port itself: the kernel spreads new connections over the
    # workers' listening sockets by their addresses, however busy each worker is.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _worker(pool: WorkerPool, settings: ServiceSettings, options: dict[str, Any]) -> None:
    """One worker process: its own socket on the port, its own app and lifespan, under uvicorn."""
    configure_logging(pool.service, pool.log_level)
    try:
        sock = _bind(settings.host, settings.port)
    except OSError as err:
        log.error("A worker could not bind its port.", extra={"ctx": {"error": str(err)}})
        sys.exit(_STARTUP_FAILURE)
    try:
        app = import_from_string(pool.factory)()
    except Exception:
        log.exception("A worker could not build its app.")
        sys.exit(_STARTUP_FAILURE)
    config = uvicorn.Config(app, **(uvicorn_options(settings) | options))
    uvicorn.Server(config).run(sockets=[sock])


class _Supervisor:
    """Keeps ``pool.workers`` worker processes running until SIGTERM or SIGINT."""

    def __init__(self, pool: WorkerPool, settings: ServiceSettings, options: dict[str, Any]):
        self._arguments = (pool, settings, options)
        self._workers = pool.workers
        self._stopping = False

    def _start(self) -> SpawnProcess:
        process = _spawn.Process(target=_worker, args=self._arguments)
        process.start()
        return process

    def _stop(self, signum: int, _: object) -> None:
        log.info("Stopping the workers.", extra={"ctx": {"signal": signum}})
        self._stopping = True

    def run(self) -> int:
        """Supervise until stopped; the exit status: 0, or 3 when a worker could not start."""
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        processes = [self._start() for _ in range(self._workers)]
        started = [time.monotonic()] * self._workers
        log.info("Workers started.", extra={"ctx": {"pids": [p.pid for p in processes]}})
        status = 0
        while not self._stopping:
            multiprocessing.connection.wait([p.sentinel for p in processes], timeout=0.5)
            for index, process in enumerate(processes):
                if process.exitcode is None or self._stopping:
                    continue
                if process.exitcode == _STARTUP_FAILURE:
                    log.error("A worker failed to start; stopping the others.")
                    status, self._stopping = _STARTUP_FAILURE, True
                    break
                log.warning(
                    "A worker died; starting another.",
                    extra={"ctx": {"pid": process.pid, "exitcode": process.exitcode}},
                )
                time.sleep(max(0.0, started[index] + _RESTART_INTERVAL_S - time.monotonic()))
                processes[index], started[index] = self._start(), time.monotonic()
        # Each worker drains as a single process does on SIGTERM.
        for process in processes:
            if process.exitcode is None:
                process.terminate()
        for process in processes:
            process.join()
        return status


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
    # Loaded here once: settings or a certificate that do not load stop the start now.
    uvicorn_options(settings)
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
        status = _Supervisor(pool, settings, options).run()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    if status:
        sys.exit(status)
