"""The receiver's TCP listeners on the local stacks, and the endpoints the market shows.

The forward protocol (the secret in the tag), its handshake and syslog each
need a port of their own beside the five services' HTTP ports of
``stack.yaml``; they take the three after them, counted from the receiver's
(18081: 18085-18087; the secured stack's 26181: 26185-26187), so both stacks
run side by side. On the secured stack they serve TLS with the services'
certificate, as every other port there does.

The market is told the same addresses (``*_URL_TEMPLATE``), so the agent
configurations it shows reach this receiver.

    >>> listener_ports(18081)
    {'forward': 18085, 'forward_handshake': 18086, 'syslog': 18087}
"""

from __future__ import annotations

__all__ = ["LISTENERS", "ingest_listener_environment", "listener_ports"]

_OFFSETS = {"forward": 4, "forward_handshake": 5, "syslog": 6}
LISTENERS = tuple(_OFFSETS)
"""The listeners' names, the keys of ``ports`` below."""


def listener_ports(receiver_port: int) -> dict[str, int]:
    return {name: receiver_port + offset for name, offset in _OFFSETS.items()}


def ingest_listener_environment(
    service: str, *, receiver_url: str, ports: dict[str, int], tls: bool
) -> dict[str, str]:
    """The receiver's listener ports, or the market's endpoint templates; nothing for others."""
    if service == "receiver":
        env = {
            "BARITO_FORWARD_PORT": str(ports["forward"]),
            "BARITO_FORWARD_HANDSHAKE_PORT": str(ports["forward_handshake"]),
            "BARITO_SYSLOG_PORT": str(ports["syslog"]),
        }
        if tls:
            env |= {"BARITO_FORWARD_TLS": "true", "BARITO_SYSLOG_TLS": "true"}
        return env
    if service == "market":
        scheme = "tls" if tls else "tcp"
        return {
            "BARITO_OTLP_URL_TEMPLATE": f"{receiver_url}/v1/logs",
            "BARITO_BULK_URL_TEMPLATE": receiver_url,
            "BARITO_FORWARD_URL_TEMPLATE": f"{scheme}://127.0.0.1:{ports['forward']}",
            "BARITO_FORWARD_URL": f"{scheme}://127.0.0.1:{ports['forward_handshake']}",
            "BARITO_SYSLOG_URL_TEMPLATE": f"{scheme}://127.0.0.1:{ports['syslog']}",
        }
    return {}
