"""An app's redaction rules: ``/api/v1/apps/{slug}/redactions``.

Members read; owners and admins change; callers outside the group get 404.
Every change is audited and republishes the app's profile, so receivers
apply it within seconds (also while the market is down afterwards).
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, status

from barito_common.redaction import DETECTORS
from barito_market.accounts.access import readable_app, require_role
from barito_market.dependencies import CurrentUserDep, PublisherDep, SessionDep, SettingsDep
from barito_market.models import Role
from barito_market.redactions import rules as rule_service
from barito_market.redactions.specs import redaction_public, redaction_specs
from barito_market.schemas.redactions import (
    RedactionCreate,
    RedactionPatch,
    RedactionPublic,
    RedactionsPublic,
)

router = APIRouter(tags=["redactions"])

_SEEN: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not logged in."},
    404: {"description": "No such app, or no such rule in it, that you can see."},
}
_MANAGED: dict[int | str, dict[str, Any]] = {
    **_SEEN,
    403: {"description": "This needs the owner or admin role in the app group."},
    422: {
        "description": "An invalid rule (the field at fault named first in the message and "
        "in error.fields), or the app has 50 rules already (error.code too_many_rules)."
    },
    503: {"description": "Kafka did not take the app's new profile; nothing changed."},
}
_NAME_TAKEN: dict[int | str, dict[str, Any]] = {
    409: {"description": "The app already has a rule of that name."}
}

_RULES = "/apps/{slug}/redactions"
_RULE = _RULES + "/{rule_id}"


@router.get(_RULES, response_model=RedactionsPublic, responses=_SEEN)
async def list_redactions(slug: str, user: CurrentUserDep, session: SessionDep) -> Any:
    """The app's redaction rules in the order they apply, and the built-in detectors."""
    app = await readable_app(session, user, slug)
    return RedactionsPublic(
        rules=[redaction_public(rule) for rule in redaction_specs(app)], detectors=DETECTORS
    )


@router.post(
    _RULES,
    response_model=RedactionPublic,
    status_code=status.HTTP_201_CREATED,
    responses={**_MANAGED, **_NAME_TAKEN},
)
async def create_redaction(
    slug: str,
    body: RedactionCreate,
    user: CurrentUserDep,
    session: SessionDep,
    publisher: PublisherDep,
    settings: SettingsDep,
) -> Any:
    """Add a rule, applied after the others; receivers apply it within seconds."""
    app = await readable_app(session, user, slug)
    await require_role(session, user, app.group_id, Role.ADMIN)
    rule = await rule_service.create_rule(
        session, publisher, settings, user=user, app=app, body=body
    )
    return redaction_public(rule)


@router.patch(_RULE, response_model=RedactionPublic, responses={**_MANAGED, **_NAME_TAKEN})
async def change_redaction(
    slug: str,
    rule_id: uuid.UUID,
    body: RedactionPatch,
    user: CurrentUserDep,
    session: SessionDep,
    publisher: PublisherDep,
    settings: SettingsDep,
) -> Any:
    """Change a rule's fields (a new kind clears what it does not use), or move it (position)."""
    app = await readable_app(session, user, slug)
    await require_role(session, user, app.group_id, Role.ADMIN)
    rule = await rule_service.update_rule(
        session, publisher, settings, user=user, app=app, rule_id=rule_id, body=body
    )
    return redaction_public(rule)


@router.delete(_RULE, status_code=status.HTTP_204_NO_CONTENT, responses=_MANAGED)
async def delete_redaction(
    slug: str,
    rule_id: uuid.UUID,
    user: CurrentUserDep,
    session: SessionDep,
    publisher: PublisherDep,
    settings: SettingsDep,
) -> None:
    """Delete a rule; receivers stop applying it within seconds."""
    app = await readable_app(session, user, slug)
    await require_role(session, user, app.group_id, Role.ADMIN)
    await rule_service.delete_rule(
        session, publisher, settings, user=user, app=app, rule_id=rule_id
    )
