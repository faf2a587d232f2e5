"""A free TCP port on loopback, for a process or server a test starts."""

from __future__ import annotations

import socket

__all__ = ["free_port"]


def free_port() -> int:
    # The port is free when asked; a caller binds it at once, as the kernel
    # hands out ephemeral ports round-robin and seldom reuses one that soon.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
