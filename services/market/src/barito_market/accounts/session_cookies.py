"""The session and CSRF cookies a login sets and a logout clears.

Both are ``Secure`` whenever the request came over HTTPS, so a browser never
sends them over plain HTTP afterwards. "Came over HTTPS" is the request's
scheme as uvicorn reports it: https when the market serves TLS itself, or when
a proxy listed in ``trusted_proxies`` sent ``X-Forwarded-Proto: https``
(``barito_common.serving`` runs uvicorn with ``proxy_headers`` and
``forwarded_allow_ips``; any other sender's header is ignored). Behind a
proxy that says nothing, ``session_cookie_secure`` makes them ``Secure``
always.
"""

from __future__ import annotations

from fastapi import Request, Response

from barito_market.accounts.authentication import CSRF_COOKIE, SESSION_COOKIE
from barito_market.accounts.login import LoggedIn
from barito_market.settings import MarketSettings

__all__ = ["clear_session_cookies", "cookies_are_secure", "set_session_cookies"]


def cookies_are_secure(request: Request, settings: MarketSettings) -> bool:
    return settings.session_cookie_secure or request.url.scheme == "https"


def set_session_cookies(
    response: Response, request: Request, settings: MarketSettings, logged_in: LoggedIn
) -> None:
    max_age = int(settings.session_lifetime_s)
    secure = cookies_are_secure(request, settings)
    response.set_cookie(
        SESSION_COOKIE,
        logged_in.session_token,
        max_age=max_age,
        httponly=True,
        secure=secure,
        samesite="lax",
        path="/",
    )
    # Readable by the SPA on purpose: it echoes it in the X-CSRF-Token header.
    response.set_cookie(
        CSRF_COOKIE, logged_in.csrf_token, max_age=max_age, secure=secure, samesite="lax", path="/"
    )


def clear_session_cookies(response: Response, request: Request, settings: MarketSettings) -> None:
    # The same attributes as when set, so the expired copy matches the cookie it replaces.
    secure = cookies_are_secure(request, settings)
    response.delete_cookie(SESSION_COOKIE, path="/", secure=secure, httponly=True, samesite="lax")
    response.delete_cookie(CSRF_COOKIE, path="/", secure=secure, samesite="lax")
