"""/api/v1/auth/tokens: personal API tokens, read-only or limited to one group if asked."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, status

from barito_market.accounts import api_tokens
from barito_market.accounts.token_scope import refuse_if_group_limited
from barito_market.dependencies import CurrentUserDep, SessionDep
from barito_market.schemas.accounts import TokenCreate, TokenCreated, TokensPublic

__all__ = ["router"]

router = APIRouter(prefix="/auth/tokens", tags=["accounts"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not logged in."},
    403: {"description": "The token you call with may not make this one."},
}


@router.post(
    "",
    response_model=TokenCreated,
    status_code=status.HTTP_201_CREATED,
    responses={**_ERRORS, 404: {"description": "No such group that you can see."}},
)
async def create_token(body: TokenCreate, user: CurrentUserDep, session: SessionDep) -> Any:
    """Create a personal API token; it is shown this once."""
    if body.group is None:
        # A token limited to a group must not mint one that sees every group.
        refuse_if_group_limited()
    row, token = await api_tokens.create_token(
        session,
        user,
        name=body.name,
        expires_in_days=body.expires_in_days,
        read_only=body.read_only,
        group_slug=body.group,
    )
    public = api_tokens.token_public(row, body.group)
    return TokenCreated(**public.model_dump(), token=token)


@router.get("", response_model=TokensPublic, responses=_ERRORS)
async def list_tokens(user: CurrentUserDep, session: SessionDep) -> Any:
    """Your API tokens (never the tokens themselves)."""
    return TokensPublic(data=await api_tokens.list_tokens(session, user))


@router.delete(
    "/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**_ERRORS, 404: {"description": "No such token of yours."}},
)
async def revoke_token(token_id: uuid.UUID, user: CurrentUserDep, session: SessionDep) -> None:
    """Revoke one of your API tokens."""
    await api_tokens.revoke_token(session, user, token_id)
