"""The forward protocol's TCP listener: a :class:`~barito_receiver.listeners.Listener`.

One per port: the plain port (the app secret is the tag's first label) and,
when ``forward_handshake_port`` is set, the handshake port (HELO on connect,
the app decided by the shared-key handshake). Both serve TLS from the first
byte when ``forward_tls`` is set, with the service's certificate, renewed
without a restart.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl

from barito_common.app_registry import AppRegistry
from barito_common.installation_key import InstallationKey
from barito_common.service_app import Dependency
from barito_common.tls_reload import ReloadingCertificate
from barito_receiver.forward.connection import Connection, ForwardContext
from barito_receiver.ingest import Ingestor
from barito_receiver.settings import ReceiverSettings

__all__ = ["ForwardListener", "ListenerNotServing"]

log = logging.getLogger(__name__)


class ListenerNotServing(RuntimeError):
    """For ``/readyz``: the listener's socket is not accepting connections."""


class ForwardListener:
    def __init__(
        self,
        settings: ReceiverSettings,
        registry: AppRegistry,
        ingestor: Ingestor,
        *,
        port: int,
        handshake: bool,
    ) -> None:
        self.name = "forward-handshake" if handshake else "forward"
        self.port = port
        self.handshake = handshake
        self.settings = settings
        installation = (
            InstallationKey(settings.installation_key) if settings.installation_key else None
        )
        self.context = ForwardContext(
            settings, registry, ingestor, installation, socket.gethostname()
        )
        self._server: asyncio.Server | None = None
        self._connections: dict[asyncio.Task[None], Connection] = {}

    async def start(self) -> None:
        tls: ssl.SSLContext | None = None
        if self.settings.forward_tls and self.settings.tls_certfile and self.settings.tls_keyfile:
            tls = ReloadingCertificate(
                self.settings.tls_certfile, self.settings.tls_keyfile
            ).context()
        # Every worker process binds the port; the kernel spreads connections over them.
        self._server = await asyncio.start_server(
            self._accept,
            self.settings.host,
            self.port,
            ssl=tls,
            limit=64 * 1024,
            reuse_port=self.settings.workers > 1,
        )
        log.info(
            "Forward protocol listener started.",
            extra={"ctx": {"port": self.port, "handshake": self.handshake, "tls": bool(tls)}},
        )

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if len(self._connections) >= self.settings.forward_max_connections:
            log.warning(
                "A forward connection was refused: too many open connections.",
                extra={
                    "ctx": {
                        "peer": str(writer.get_extra_info("peername")),
                        "limit": self.settings.forward_max_connections,
                    }
                },
            )
            self.context.ingestor.usage.errors.labels("forward").inc()
            writer.close()
            return
        connection = Connection(reader, writer, self.context, handshake=self.handshake)
        task = asyncio.current_task()
        if task is None:  # start_server always runs the callback in a task
            return
        self._connections[task] = connection
        try:
            await connection.run()
        finally:
            del self._connections[task]

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        self.context.closing = True
        # Idle connections go at once; a request being written finishes (and is
        # acknowledged) first, so nothing accepted is left unconfirmed. Closing
        # the transport ends a connection's read; its task is never cancelled
        # (asyncio's stream callback would log the cancellation as an error).
        for connection in self._connections.values():
            if not connection.busy:
                connection.hang_up()
        if self._connections:
            # A request in hand waits at most produce_timeout_s for Kafka.
            grace = self.settings.produce_timeout_s + 1
            _, late = await asyncio.wait(list(self._connections), timeout=grace)
            for task in late:
                self._connections[task].hang_up()
        await self._server.wait_closed()
        self._server = None

    def dependency(self) -> Dependency:
        async def check() -> None:
            if self._server is None or not self._server.is_serving():
                raise ListenerNotServing(f"the {self.name} port {self.port} is not listening")

        return Dependency(self.name, check)
