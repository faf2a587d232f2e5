"""The address of the client a request came from, for the audit log.

uvicorn has already replaced the connection's peer with the address named by
``X-Forwarded-For`` when the peer is one of ``trusted_proxies``
(``barito_common.serving``), so the ASGI scope's client is the real client
behind our own proxies, and a header from anyone else is ignored. This
middleware keeps it in a context variable so that code deep in a change
(``barito_market.audit_log.record``) can name it without every domain
function taking the request.
"""

from __future__ import annotations

from contextvars import ContextVar

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["ClientAddressMiddleware", "current_client_address"]

_address: ContextVar[str | None] = ContextVar("barito_client_address", default=None)


def current_client_address() -> str | None:
    """The client of the request being served; None outside a request (a consumer, a command)."""
    return _address.get()


class ClientAddressMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        token = _address.set(client[0] if client else None)
        try:
            await self.app(scope, receive, send)
        finally:
            _address.reset(token)
