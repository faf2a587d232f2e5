"""/api/v1/auth: sign-up, login, logout, the current user (API tokens: api/tokens.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response, status

from barito_market import audit_log
from barito_market.accounts import login, users
from barito_market.accounts.authentication import SESSION_COOKIE
from barito_market.accounts.session_cookies import clear_session_cookies, set_session_cookies
from barito_market.dependencies import CurrentUserDep, SessionDep, SettingsDep
from barito_market.schemas.accounts import (
    Credentials,
    LoginPublic,
    SignUp,
    UserPublic,
)

router = APIRouter(prefix="/auth", tags=["accounts"])

_ERRORS: dict[int | str, dict[str, Any]] = {401: {"description": "Not logged in."}}


@router.post(
    "/signup",
    response_model=UserPublic,
    status_code=status.HTTP_201_CREATED,
    responses={403: {"description": "Sign-up is turned off."}, 409: {"description": "Taken."}},
)
async def sign_up(body: SignUp, session: SessionDep, settings: SettingsDep) -> Any:
    """Create an account (when the installation allows sign-up)."""
    return await users.sign_up(session, settings, email=body.email, password=body.password)


@router.post(
    "/login",
    response_model=LoginPublic,
    responses={401: {"description": "Wrong credentials."}, 429: {"description": "Throttled."}},
)
async def log_in(
    body: Credentials,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
) -> Any:
    """Log in: sets the HttpOnly session cookie and returns the CSRF token."""
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


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=_ERRORS)
async def log_out(
    user: CurrentUserDep,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
) -> None:
    """End this session (the cookie stops working at once)."""
    if cookie := request.cookies.get(SESSION_COOKIE):
        audit_log.record(session, user, "auth.logout", target_kind="user", target_id=user.id)
        await login.end_session(session, cookie)
    clear_session_cookies(response, request, settings)


@router.get("/me", response_model=UserPublic, responses=_ERRORS)
async def me(user: CurrentUserDep) -> Any:
    """The logged-in user."""
    return user
