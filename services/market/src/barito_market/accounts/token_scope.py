"""What the caller's API token allows: everything its user may, or less.

A token may be *read-only* (it searches, tails and lists, and changes
nothing) and may be *limited to one group* (it sees no other group, whatever
its user may see). A session cookie is never scoped.

How it reaches the checks: :func:`barito_market.accounts.authentication.authenticate`
calls :func:`enter_scope` for every authenticated request — the scope of the
token, or :data:`UNSCOPED` for a session — which keeps it on
``request.state.token_scope`` and in a context variable. The access
functions (:mod:`barito_market.accounts.access`) and the listings read
:func:`current_scope` rather than taking another argument, so no route can
forget to pass it. Because every authentication sets it afresh, a request
never sees the scope of an earlier one; outside a request (consumers,
commands) it is :data:`UNSCOPED`.

* Read-only: every POST, PUT, PATCH or DELETE is refused (403) before the
  route runs. Every route of the market that only reads is a GET but one:
  a deletion's preview (POST), which only prepares a change and is refused
  with it (``test_token_scopes`` sweeps every route of the OpenAPI document).
* Expiring: a token it makes expires no later than it does, so a leaked
  short-lived token cannot be turned into a lasting one.
* Limited to a group: :func:`barito_market.accounts.access.group_role`
  answers as if the user belonged to no other group (so other groups and
  apps are 404, never 403), listings show that group only, and what reaches
  beyond one group — superadmin routes, creating another group — is 403.
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from fastapi import Request

from barito_common.errors import ApiError

__all__ = [
    "UNSCOPED",
    "TokenScope",
    "current_scope",
    "enter_scope",
    "group_limited_error",
    "refuse_if_group_limited",
]

READ_ONLY_MESSAGE = "This API token is read-only: it may search and tail, not change anything."
_READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class TokenScope:
    read_only: bool = False
    group_id: uuid.UUID | None = None
    group_slug: str | None = None
    # When the calling token stops working: a token it makes may not outlive it.
    expires_at: datetime | None = None

    def sees_group(self, group_id: uuid.UUID) -> bool:
        return self.group_id is None or self.group_id == group_id


UNSCOPED = TokenScope()

_scope: ContextVar[TokenScope] = ContextVar("barito_token_scope", default=UNSCOPED)


def current_scope() -> TokenScope:
    """The scope of the request being served (UNSCOPED outside one, or for a session)."""
    return _scope.get()


def enter_scope(request: Request, scope: TokenScope) -> None:
    """Make ``scope`` the request's; 403 at once if a read-only token asks for a change."""
    request.state.token_scope = scope
    _scope.set(scope)
    if scope.read_only and request.method not in _READING_METHODS:
        raise ApiError(403, READ_ONLY_MESSAGE, code="read_only_token")


def group_limited_error(scope: TokenScope) -> ApiError:
    return ApiError(
        403, f"This API token is limited to the group '{scope.group_slug}'.", code="group_token"
    )


def refuse_if_group_limited() -> None:
    """403 when the caller's token is limited to a group: the action reaches beyond it."""
    scope = current_scope()
    if scope.group_id is not None:
        raise group_limited_error(scope)
