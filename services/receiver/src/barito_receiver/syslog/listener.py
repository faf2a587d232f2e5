"""The syslog listener: a TCP (optionally TLS) server on ``syslog_port``, one task per connection.

TLS (``syslog_tls``) uses the service's certificate (``tls_certfile``,
``tls_keyfile``), renewed without a restart like the HTTP port's; as RFC
5425 says, TLS starts at the first byte. Stopping closes the port, stops
every connection reading, and gives each up to ``produce_timeout_s`` (plus
a margin) to have Kafka acknowledge what it read; what is still unacknowledged
then is logged as lost.
"""

from __future__ import annotations

import asyncio
import logging
import ssl

from barito_common.app_registry import AppRegistry
from barito_common.service_app import Dependency
from barito_common.tls_reload import ReloadingCertificate
from barito_receiver.ingest import Ingestor
from barito_receiver.settings import ReceiverSettings
from barito_receiver.syslog.connection import SyslogConnection
from barito_receiver.syslog.limits import SyslogLimits

__all__ = ["SyslogListener"]

log = logging.getLogger(__name__)

# Beyond the ingestor's own wait for Kafka, for the batch's last chunks.
_STOP_MARGIN_S = 5.0


class SyslogListener:
    name = "syslog"

    def __init__(
        self,
        settings: ReceiverSettings,
        registry: AppRegistry,
        ingestor: Ingestor,
        *,
        limits: SyslogLimits | None = None,
    ) -> None:
        if settings.syslog_port is None:
            raise ValueError("syslog_port is not set")
        self._settings = settings
        self._port = settings.syslog_port
        self._registry = registry
        self._ingestor = ingestor
        self.limits = limits or SyslogLimits.from_settings(settings)
        self._server: asyncio.Server | None = None
        self._connections: dict[asyncio.Task[None], SyslogConnection] = {}

    async def start(self) -> None:
        # Every worker process binds the port; the kernel spreads connections over them.
        self._server = await asyncio.start_server(
            self._serve,
            self._settings.host,
            self._port,
            ssl=self._tls(),
            reuse_port=self._settings.workers > 1,
        )
        log.info(
            "Syslog listener started.",
            extra={"ctx": {"port": self._port, "tls": self._settings.syslog_tls}},
        )

    def _tls(self) -> ssl.SSLContext | None:
        if not self._settings.syslog_tls:
            return None
        certfile, keyfile = self._settings.tls_certfile, self._settings.tls_keyfile
        if certfile is None or keyfile is None:
            raise ValueError("syslog_tls needs the service's tls_certfile and tls_keyfile")
        return ReloadingCertificate(certfile, keyfile).context()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = SyslogConnection(
            reader, writer, registry=self._registry, ingestor=self._ingestor, limits=self.limits
        )
        task = asyncio.current_task()
        if task is None:  # asyncio always runs a connection callback in a task
            raise RuntimeError("a syslog connection outside a task")
        self._connections[task] = connection
        try:
            await connection.serve()
        finally:
            del self._connections[task]

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for connection in self._connections.values():
            connection.stop_reading()
        tasks = set(self._connections)
        if tasks:
            grace = self._settings.produce_timeout_s + _STOP_MARGIN_S
            _, late = await asyncio.wait(tasks, timeout=grace)
            for task in late:  # each logs what it loses
                task.cancel()
            if late:
                await asyncio.wait(late)
        await server.wait_closed()

    def dependency(self) -> Dependency:
        return Dependency(self.name, self._check)

    async def _check(self) -> None:
        if self._server is None or not self._server.is_serving():
            raise RuntimeError(f"the syslog listener on port {self._port} is not serving")
