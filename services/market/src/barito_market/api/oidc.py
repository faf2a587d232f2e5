"""/api/v1/auth/oidc: single sign-on through the installation's OpenID provider.

Both routes are browser navigations, not API calls: ``/login`` sends the
browser to the provider, ``/callback`` takes it back, opens a session (the
same cookies as a password login) and redirects to where the SPA asked to
land. A refused sign-in, or a provider that does not answer, lands on
``/login?sso_error=<why>`` for the login page to show: a browser must never
be left on a JSON error.

``/login`` also sets the ``barito_sso_browser`` cookie (HttpOnly, for these
two paths only; reused when present, so sign-ins begun in two tabs both
finish), and ``/callback`` accepts a state only in the browser that holds it
(``barito_market.accounts.oidc.login_flow``).
"""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse

from barito_common.errors import ApiError
from barito_market.accounts.oidc import ProviderUnavailable, SignInRefused, login_flow
from barito_market.accounts.oidc.provider import OidcProvider
from barito_market.accounts.session_cookies import cookies_are_secure, set_session_cookies
from barito_market.dependencies import SessionDep, SettingsDep
from barito_market.settings import MarketSettings

__all__ = ["OidcProviderDep", "market_url", "router"]

router = APIRouter(prefix="/auth/oidc", tags=["accounts"])

BROWSER_COOKIE = "barito_sso_browser"


def _provider(request: Request, settings: SettingsDep) -> OidcProvider | None:
    if not settings.oidc.enabled:
        return None
    # Made on first use rather than in the lifespan: nothing is fetched until
    # someone signs in, so a provider that is down does not stop the market.
    provider: OidcProvider | None = getattr(request.app.state, "oidc_provider", None)
    if provider is None:
        provider = request.app.state.oidc_provider = OidcProvider(settings.oidc)
    return provider


OidcProviderDep = Annotated[OidcProvider | None, Depends(_provider)]


def market_url(request: Request, settings: MarketSettings, path: str) -> str:
    """An absolute URL of the market: on the configured callback's origin, else the request's."""
    if settings.oidc.redirect_url:
        parts = urlsplit(settings.oidc.redirect_url)
        return f"{parts.scheme}://{parts.netloc}{path}"
    return f"{str(request.base_url).rstrip('/')}{path}"


def _callback_url(request: Request, settings: MarketSettings) -> str:
    return settings.oidc.redirect_url or str(request.url_for("finish_oidc_login"))


def _enabled(provider: OidcProvider | None) -> OidcProvider:
    if provider is None:
        raise ApiError(404, "Single sign-on is not set up here; log in with email and password.")
    return provider


@router.get(
    "/login",
    status_code=302,
    response_class=RedirectResponse,
    responses={
        302: {"description": "To the provider's sign-in page."},
        303: {"description": "The provider did not answer: to /login?sso_error=<why>."},
        404: {"description": "No single sign-on here."},
    },
)
async def start_oidc_login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    provider: OidcProviderDep,
    next_path: Annotated[
        str | None,
        Query(alias="next", description="A path of the market to land on afterwards; default /."),
    ] = None,
) -> RedirectResponse:
    """Send the browser to the provider to sign in (authorization code flow with PKCE)."""
    browser = request.cookies.get(BROWSER_COOKIE) or secrets.token_urlsafe(32)
    try:
        url = await login_flow.start_login(
            session,
            _enabled(provider),
            next_path=next_path,
            redirect_url=_callback_url(request, settings),
            browser=browser,
        )
    except ProviderUnavailable as err:
        fallback = " or log in with your password" if settings.passwords_enabled else ""
        message = f"Single sign-on is unavailable: {err.message}. Try again later{fallback}."
        return _to_login_page(message)
    response = RedirectResponse(url, status_code=302)
    response.set_cookie(
        BROWSER_COOKIE,
        browser,
        max_age=int(settings.oidc.login_timeout_s),
        httponly=True,
        secure=cookies_are_secure(request, settings),
        # Lax: sent on the provider's top-level redirect back to the callback.
        samesite="lax",
        path="/api/v1/auth/oidc",
    )
    return response


def _to_login_page(message: str) -> RedirectResponse:
    return RedirectResponse(f"/login?{urlencode({'sso_error': message})}", 303)


@router.get(
    "/callback",
    status_code=303,
    response_class=RedirectResponse,
    responses={
        303: {"description": "Signed in: to `next`; refused: to /login?sso_error=<why>."},
        404: {"description": "No single sign-on here."},
    },
)
async def finish_oidc_login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    provider: OidcProviderDep,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
    error_description: str | None = None,
) -> RedirectResponse:
    """Where the provider sends the browser back: opens a session, or says why not."""
    callback = login_flow.Callback(code, state, error, error_description)
    try:
        signed_in = await login_flow.finish_login(
            session,
            _enabled(provider),
            settings,
            callback=callback,
            redirect_url=_callback_url(request, settings),
            browser=request.cookies.get(BROWSER_COOKIE),
        )
    except SignInRefused as refused:
        await login_flow.record_refusal(session, refused)
        return _to_login_page(refused.message)
    response = RedirectResponse(signed_in.next_path, status_code=303)
    set_session_cookies(response, request, settings, signed_in.logged_in)
    return response
