"""The receiver's ingest listeners beside its HTTP port (the fluentd forward protocol, syslog).

Each is a TCP server started in the receiver's lifespan once the app
registry and the ingestor exist, on a port of its own that a setting
turns on (unset: not started), and stopped before the producers close so
that nothing it accepted is left unacknowledged. Its readiness joins
``/readyz``. With several worker processes (``workers``) each binds the
same port with ``SO_REUSEPORT`` and the kernel spreads connections over
them; limits such as ``forward_max_connections`` are per worker. A listener
module provides a :class:`Listener`; :func:`build_listeners` lists the ones
the settings turn on.
"""

from __future__ import annotations

from typing import Protocol

from barito_common.app_registry import AppRegistry
from barito_common.service_app import Dependency
from barito_receiver.forward import ForwardListener
from barito_receiver.ingest import Ingestor
from barito_receiver.settings import ReceiverSettings
from barito_receiver.syslog import SyslogListener

__all__ = ["Listener", "build_listeners"]


class Listener(Protocol):
    name: str

    async def start(self) -> None:
        """Bind and serve; raise if the port cannot be bound."""

    async def stop(self) -> None:
        """Stop accepting, let open connections finish what they were given, close them."""

    def dependency(self) -> Dependency:
        """Its part of ``/readyz``."""


def build_listeners(
    settings: ReceiverSettings, registry: AppRegistry, ingestor: Ingestor
) -> list[Listener]:
    """The listeners ``settings`` turn on."""
    listeners: list[Listener] = []
    if settings.forward_port is not None:
        listeners.append(
            ForwardListener(
                settings, registry, ingestor, port=settings.forward_port, handshake=False
            )
        )
    if settings.forward_handshake_port is not None:
        listeners.append(
            ForwardListener(
                settings, registry, ingestor, port=settings.forward_handshake_port, handshake=True
            )
        )
    if settings.syslog_port is not None:
        listeners.append(SyslogListener(settings, registry, ingestor))
    return listeners
