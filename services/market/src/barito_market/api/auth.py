"""/api/v1/auth: sign-up, login, logout, the current user (API tokens: api/tokens.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response, status

from barito_common.errors import ApiError
from barito_market import audit_log
from barito_market.accounts import login, users
from barito_market.accounts.authentication import SESSION_COOKIE
from barito_market.accounts.oidc.logout import provider_logout_url
from barito_market.accounts.session_cookies import clear_session_cookies, set_session_cookies
from barito_market.api.oidc import OidcProviderDep, market_url
from barito_market.dependencies import CurrentUserDep, SessionDep, SettingsDep
from barito_market.schemas.accounts import (
    AuthMethods,
    Credentials,
    LoginPublic,
    LogoutPublic,
    SignUp,
    SingleSignOnPublic,
    UserPublic,
)
from barito_market.settings import MarketSettings

router = APIRouter(prefix="/auth", tags=["accounts"])

_ERRORS: dict[int | str, dict[str, Any]] = {401: {"description": "Not logged in."}}
_PASSWORDS_OFF: dict[int | str, dict[str, Any]] = {
    403: {"description": "Password logins are turned off (single sign-on only)."}
}


def _require_passwords(settings: MarketSettings) -> None:
    if not settings.passwords_enabled:
        raise ApiError(
            403,
            f"Password logins are turned off here; sign in with {settings.oidc.display_name}.",
        )


@router.get("/methods", response_model=AuthMethods)
async def auth_methods(settings: SettingsDep) -> Any:
    """How one may log in here (no login needed): passwords, sign-up, single sign-on."""
    single_sign_on = None
    if settings.oidc.enabled:
        single_sign_on = SingleSignOnPublic(
            name=settings.oidc.display_name, login_url="/api/v1/auth/oidc/login"
        )
    return AuthMethods(
        passwords=settings.passwords_enabled,
        sign_up=settings.passwords_enabled and settings.signup_enabled,
        single_sign_on=single_sign_on,
    )


@router.post(
    "/signup",
    response_model=UserPublic,
    status_code=status.HTTP_201_CREATED,
    responses={403: {"description": "Sign-up is turned off."}, 409: {"description": "Taken."}},
)
async def sign_up(body: SignUp, session: SessionDep, settings: SettingsDep) -> Any:
    """Create an account (when the installation allows sign-up)."""
    _require_passwords(settings)
    return await users.sign_up(session, settings, email=body.email, password=body.password)


@router.post(
    "/login",
    response_model=LoginPublic,
    responses={
        401: {"description": "Wrong credentials."},
        429: {"description": "Throttled."},
        **_PASSWORDS_OFF,
    },
)
async def log_in(
    body: Credentials,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
) -> Any:
    """Log in: sets the HttpOnly session cookie and returns the CSRF token."""
    _require_passwords(settings)
    logged_in = await login.log_in(
        session,
        settings,
        email=body.email,
        password=body.password,
        address=request.client.host if request.client else "unknown",
    )
    set_session_cookies(response, request, settings, logged_in)
    return LoginPublic(
        user=UserPublic.model_validate(logged_in.user),
        csrf_token=logged_in.csrf_token,
        expires_at=logged_in.expires_at,
    )


@router.post("/logout", response_model=LogoutPublic, responses=_ERRORS)
async def log_out(
    user: CurrentUserDep,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    provider: OidcProviderDep,
) -> Any:
    """End this session (the cookie stops working at once), and say how to leave the provider."""
    id_token = None
    if cookie := request.cookies.get(SESSION_COOKIE):
        audit_log.record(session, user, "auth.logout", target_kind="user", target_id=user.id)
        id_token = await login.end_session(session, cookie)
    clear_session_cookies(response, request, settings)
    if id_token is None or provider is None:
        return LogoutPublic(provider_logout_url=None)
    return LogoutPublic(
        provider_logout_url=await provider_logout_url(
            provider,
            id_token=id_token,
            post_logout_redirect_uri=market_url(request, settings, "/login"),
        )
    )


@router.get("/me", response_model=UserPublic, responses=_ERRORS)
async def me(user: CurrentUserDep) -> Any:
    """The logged-in user."""
    return user
