"""An endpoint split into the pieces agents' configurations ask for separately."""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import SplitResult, urlsplit

__all__ = ["Address", "http_address", "tcp_address"]


class Address(NamedTuple):
    """``base`` is ``scheme://host:port`` (port always written), ``path`` is '' or '/prefix'."""

    host: str
    port: int
    tls: bool
    base: str
    path: str


def _host(parts: SplitResult) -> str:
    """The host as written (``hostname`` lower-cases it; the operator's spelling reads better)."""
    host = parts.hostname or ""
    at = parts.netloc.lower().rfind(host)
    return parts.netloc[at : at + len(host)] if at >= 0 else host


def http_address(url: str) -> Address:
    """An http(s) URL; the port defaults to the scheme's."""
    parts = urlsplit(url)
    tls = parts.scheme == "https"
    port = parts.port or (443 if tls else 80)
    host = _host(parts)
    shown = f"[{host}]" if ":" in host else host
    return Address(host, port, tls, f"{parts.scheme}://{shown}:{port}", parts.path.rstrip("/"))


def tcp_address(url: str) -> Address:
    """A ``tcp://host:port`` or ``tls://host:port`` URL, as the market's settings hold them."""
    parts = urlsplit(url)
    host = _host(parts)
    port = parts.port or 0
    return Address(host, port, parts.scheme == "tls", f"{parts.scheme}://{host}:{port}", "")
