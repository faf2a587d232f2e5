"""The retention endpoint: an operator's "delete the expired indices now"."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from barito_flow.retention import delete_expired_indices

__all__ = ["RetentionRun", "router"]

router = APIRouter(tags=["operations"])


class RetentionRun(BaseModel):
    deleted: list[str] = Field(description="Indices deleted because they outlived retention.")


@router.post("/api/v1/retention/run", response_model=RetentionRun)
async def run_retention(request: Request) -> RetentionRun:
    """Delete now every index, of the apps this flow serves, older than its app's retention."""
    state = request.app.state
    return RetentionRun(deleted=await delete_expired_indices(state.search, state.scope.apps()))
