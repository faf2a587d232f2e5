"""Accounts: creating users (by sign-up, by an operator) and listing them.

Exceptions are :class:`barito_common.errors.ApiError` with the status a route
answers: 403 sign-up disabled, 409 email taken.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from barito_common.errors import ApiError
from barito_market import audit_log
from barito_market.accounts.credentials import hash_password
from barito_market.conflicts import flush_or_conflict
from barito_market.models import Membership, User
from barito_market.schemas.admin import AdminUserPublic, AdminUsersPublic
from barito_market.settings import MarketSettings

__all__ = ["create_user", "list_users", "sign_up"]


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    superadmin: bool = False,
    actor: User | None = None,
) -> User:
    """A new account; 409 if the email is taken. The caller commits."""
    email = email.strip().lower()
    if await session.scalar(select(User.id).where(User.email == email)) is not None:
        raise ApiError(409, f"An account with the email {email} already exists.")
    user = User(email=email, password_hash=hash_password(password), is_superadmin=superadmin)
    session.add(user)
    await flush_or_conflict(session, f"An account with the email {email} already exists.")
    audit_log.record(
        session,
        actor or user,
        "user.create",
        target_kind="user",
        target_id=user.id,
        email=email,
        superadmin=superadmin,
    )
    return user


async def sign_up(
    session: AsyncSession, settings: MarketSettings, *, email: str, password: str
) -> User:
    """A new account made by its owner, when the installation allows sign-up. Commits."""
    if not settings.signup_enabled:
        raise ApiError(403, "Sign-up is turned off here; ask an administrator for an account.")
    user = await create_user(session, email=email, password=password)
    await session.commit()
    return user


async def list_users(session: AsyncSession) -> AdminUsersPublic:
    """Every account, by email, with how many app groups each belongs to."""
    groups = (
        select(Membership.user_id, func.count().label("groups"))
        .group_by(Membership.user_id)
        .subquery()
    )
    rows = await session.execute(
        select(User, func.coalesce(groups.c.groups, 0))
        .outerjoin(groups, groups.c.user_id == User.id)
        .order_by(User.email)
    )
    return AdminUsersPublic(
        data=[
            AdminUserPublic(
                id=user.id,
                email=user.email,
                is_superadmin=user.is_superadmin,
                is_active=user.is_active,
                created_at=user.created_at,
                groups=count,
            )
            for user, count in rows.all()
        ]
    )
