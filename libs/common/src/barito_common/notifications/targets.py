"""Which addresses a notification may be sent to.

A channel's URL is typed by a tenant, and the server (or the market's "Send
test") POSTs to it from inside the installation's network: left unchecked,
a webhook URL of ``http://127.0.0.1:19200/...`` or a cloud metadata address
would make Barito reach, for a tenant, what only Barito may reach (server-side
request forgery), and a failed delivery's error quotes the answer. So unless
the installation allows private targets (``BARITO_ALERT_PRIVATE_TARGETS``:
a test rig, a receiver inside the company network), every address the URL's
host resolves to must be a public one.

The check resolves the host just before the delivery; a name that resolves
differently a moment later (DNS rebinding) is not caught.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

__all__ = ["PRIVATE_TARGETS_SETTING", "private_address"]

PRIVATE_TARGETS_SETTING = "BARITO_ALERT_PRIVATE_TARGETS"


def _is_private(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


async def private_address(url: str) -> str | None:
    """A private, loopback, link-local or reserved address ``url``'s host resolves to; else None.

    A host that does not resolve is left to the delivery, which says so.
    """
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        return None
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError):
        return None
    for info in infos:
        address = str(info[4][0])
        if _is_private(address):
            return address
    return None
