"""/api/v1/installation and /api/v1/capacity-templates: what the web UI must know first.

The login page has to know, before anyone is logged in, whether it may offer
sign-up; the registration form shows the capacity templates to every user
(the admin API lists them too, but only to superadmins).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from barito_market.dependencies import CurrentUserDep, SettingsDep, TemplatesDep
from barito_market.schemas.admin import CapacityTemplatesPublic

__all__ = ["InstallationPublic", "router"]

router = APIRouter(tags=["installation"])


class InstallationPublic(BaseModel):
    signup_enabled: bool = Field(description="Whether anyone may create an account here.")


@router.get("/installation", response_model=InstallationPublic)
async def read_installation(settings: SettingsDep) -> Any:
    """What this installation offers before login (no authentication needed)."""
    return InstallationPublic(signup_enabled=settings.signup_enabled)


@router.get(
    "/capacity-templates",
    response_model=CapacityTemplatesPublic,
    responses={401: {"description": "Not logged in."}},
)
async def list_capacity_templates(_: CurrentUserDep, templates: TemplatesDep) -> Any:
    """The capacity templates an app can be registered with, smallest first."""
    return CapacityTemplatesPublic(data=list(templates.values()))
