"""/api/v1/auth/oidc: single sign-on through the installation's OpenID provider."""

from __future__ import annotations

from fastapi import APIRouter

from barito_common.errors import ApiError

router = APIRouter(prefix="/auth/oidc", tags=["accounts"])


@router.get("/login", status_code=302)
async def start_login() -> None:
    """Send the browser to the provider (being built: issue 21)."""
    raise ApiError(501, "not built yet")
