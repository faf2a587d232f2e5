"""App-group slugs the roles-from-claims mapping names: only a superadmin may create them.

A mapping may name a group that does not exist yet, or no longer exists.
Whoever created that slug would own the group by hand, and every person the
directory puts in the mapped groups would be given a role there at their next
sign-in: they would register apps in it, and its creator would read their
logs. So such a slug is kept for a superadmin; until one creates the group,
the mapping to it is skipped at sign-in (:mod:`.roles_from_claims`).

How it reaches the check: :func:`barito_market.accounts.authentication.authenticate`
enters the installation's mapping for every authenticated request (a context
variable, as the token scope is), and
:func:`barito_market.groups.lifecycle.add_group` — every way of making a group,
``POST /groups`` and an app registered in a new group — calls
:func:`refuse_reserved_slug`. Outside a request (commands run by an
administrator) no slug is reserved.
"""

from __future__ import annotations

from contextvars import ContextVar

from barito_common.errors import ApiError
from barito_market.models import User
from barito_market.settings import OidcSettings

__all__ = ["enter_reserved_slugs", "refuse_reserved_slug"]

_reserved: ContextVar[frozenset[str]] = ContextVar(
    "barito_reserved_group_slugs", default=frozenset()
)


def enter_reserved_slugs(settings: OidcSettings) -> None:
    """Keep the slugs ``settings.roles_from_claims`` names for the request being served."""
    _reserved.set(frozenset(mapping.group for mapping in settings.roles_from_claims))


def refuse_reserved_slug(user: User, slug: str) -> None:
    """403 unless ``user`` is a superadmin, when the mapping names ``slug``."""
    if user.is_superadmin or slug not in _reserved.get():
        return
    raise ApiError(
        403,
        f"The group slug '{slug}' is reserved for the identity provider's role mapping "
        "(roles from its groups claim): only a superadmin may create this group. Choose "
        "another name, or ask a superadmin to create it.",
        code="reserved_group_slug",
    )
