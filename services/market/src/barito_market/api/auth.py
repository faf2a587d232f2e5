"""/api/v1/auth: sign-up, login, logout, the current user, personal API tokens."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response, status

from barito_market.accounts import api_tokens, login, users
from barito_market.accounts.authentication import SESSION_COOKIE
from barito_market.accounts.session_cookies import clear_session_cookies, set_session_cookies
from barito_market.dependencies import CurrentUserDep, SessionDep, SettingsDep
from barito_market.schemas.accounts import (
    Credentials,
    LoginPublic,
    SignUp,
    TokenCreate,
    TokenCreated,
    TokenPublic,
    TokensPublic,
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
    _: CurrentUserDep,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
) -> None:
    """End this session (the cookie stops working at once)."""
    if cookie := request.cookies.get(SESSION_COOKIE):
        await login.end_session(session, cookie)
    clear_session_cookies(response, request, settings)


@router.get("/me", response_model=UserPublic, responses=_ERRORS)
async def me(user: CurrentUserDep) -> Any:
    """The logged-in user."""
    return user


@router.post(
    "/tokens", response_model=TokenCreated, status_code=status.HTTP_201_CREATED, responses=_ERRORS
)
async def create_token(body: TokenCreate, user: CurrentUserDep, session: SessionDep) -> Any:
    """Create a personal API token; it is shown this once."""
    row, token = await api_tokens.create_token(
        session, user, name=body.name, expires_in_days=body.expires_in_days
    )
    return TokenCreated(**TokenPublic.model_validate(row).model_dump(), token=token)


@router.get("/tokens", response_model=TokensPublic, responses=_ERRORS)
async def list_tokens(user: CurrentUserDep, session: SessionDep) -> Any:
    """Your API tokens (never the tokens themselves)."""
    rows = await api_tokens.list_tokens(session, user)
    return TokensPublic(data=[TokenPublic.model_validate(row) for row in rows])


@router.delete(
    "/tokens/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**_ERRORS, 404: {"description": "No such token of yours."}},
)
async def revoke_token(token_id: uuid.UUID, user: CurrentUserDep, session: SessionDep) -> None:
    """Revoke one of your API tokens."""
    await api_tokens.revoke_token(session, user, token_id)
