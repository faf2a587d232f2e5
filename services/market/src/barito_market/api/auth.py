"""/api/v1/auth: sign-up, login, logout, the current user, personal API tokens."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response, status
from sqlalchemy import select

from barito_common.errors import ApiError
from barito_market import accounts
from barito_market.access import CSRF_COOKIE, SESSION_COOKIE, CurrentUser
from barito_market.db import DbSession
from barito_market.models import ApiToken
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
from barito_market.settings import MarketSettings

router = APIRouter(prefix="/auth", tags=["accounts"])

_ERRORS: dict[int | str, dict[str, Any]] = {401: {"description": "Not logged in."}}


def _settings(request: Request) -> MarketSettings:
    settings: MarketSettings = request.app.state.settings
    return settings


@router.post(
    "/signup",
    response_model=UserPublic,
    status_code=status.HTTP_201_CREATED,
    responses={403: {"description": "Sign-up is turned off."}, 409: {"description": "Taken."}},
)
async def sign_up(body: SignUp, request: Request, session: DbSession) -> Any:
    """Create an account (when the installation allows sign-up)."""
    if not _settings(request).signup_enabled:
        raise ApiError(403, "Sign-up is turned off here; ask an administrator for an account.")
    user = await accounts.create_user(session, email=body.email, password=body.password)
    await session.commit()
    return user


@router.post(
    "/login",
    response_model=LoginPublic,
    responses={401: {"description": "Wrong credentials."}, 429: {"description": "Throttled."}},
)
async def log_in(
    body: Credentials, request: Request, response: Response, session: DbSession
) -> Any:
    """Log in: sets the HttpOnly session cookie and returns the CSRF token."""
    settings = _settings(request)
    logged_in = await accounts.log_in(
        session,
        settings,
        email=body.email,
        password=body.password,
        address=request.client.host if request.client else "unknown",
    )
    max_age = int(settings.session_lifetime_s)
    secure = settings.session_cookie_secure
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
    return LoginPublic(
        user=UserPublic.model_validate(logged_in.user),
        csrf_token=logged_in.csrf_token,
        expires_at=logged_in.expires_at,
    )


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=_ERRORS)
async def log_out(_: CurrentUser, request: Request, response: Response, session: DbSession) -> None:
    """End this session (the cookie stops working at once)."""
    if cookie := request.cookies.get(SESSION_COOKIE):
        await accounts.end_session(session, cookie)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")


@router.get("/me", response_model=UserPublic, responses=_ERRORS)
async def me(user: CurrentUser) -> Any:
    """The logged-in user."""
    return user


@router.post(
    "/tokens", response_model=TokenCreated, status_code=status.HTTP_201_CREATED, responses=_ERRORS
)
async def create_token(body: TokenCreate, user: CurrentUser, session: DbSession) -> Any:
    """Create a personal API token; it is shown this once."""
    row, token = await accounts.create_token(
        session, user, name=body.name, expires_in_days=body.expires_in_days
    )
    return TokenCreated(**TokenPublic.model_validate(row).model_dump(), token=token)


@router.get("/tokens", response_model=TokensPublic, responses=_ERRORS)
async def list_tokens(user: CurrentUser, session: DbSession) -> Any:
    """Your API tokens (never the tokens themselves)."""
    rows = await session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at)
    )
    return TokensPublic(data=[TokenPublic.model_validate(row) for row in rows])


@router.delete(
    "/tokens/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**_ERRORS, 404: {"description": "No such token of yours."}},
)
async def revoke_token(token_id: uuid.UUID, user: CurrentUser, session: DbSession) -> None:
    """Revoke one of your API tokens."""
    await accounts.revoke_token(session, user, token_id)
