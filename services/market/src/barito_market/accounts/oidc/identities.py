"""The market user an ID token stands for: found by (issuer, ``sub``), or made.

A person is the provider's ``sub``, never their email: emails change and
get reused, and an account is never joined to another by email alone. So a
first sign-in whose email already belongs to an account (one with a password,
or another provider identity) is refused rather than taking that account over.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from barito_market import audit_log
from barito_market.accounts.oidc.refusals import SignInRefused
from barito_market.models import User

__all__ = ["user_for_claims"]


async def user_for_claims(
    session: AsyncSession, *, issuer: str, claims: dict[str, Any]
) -> tuple[User, bool]:
    """The user and whether they were made now. The caller commits."""
    subject = str(claims["sub"])
    email, verified = _email(claims)
    user = await session.scalar(
        select(User).where(User.oidc_issuer == issuer, User.oidc_subject == subject)
    )
    if user is None:
        if email is None:
            raise SignInRefused(
                "the identity provider sent no email address for this account; "
                "ask its administrator to add one"
            )
        if not verified:
            raise SignInRefused(
                f"the identity provider has not verified the email address {email}", email=email
            )
        return await _first_sign_in(session, issuer=issuer, subject=subject, email=email), True
    if not user.is_active:
        raise SignInRefused(
            f"the Barito account {user.email} is disabled; ask an administrator",
            email=user.email,
            user_id=user.id,
        )
    # The email follows the provider's, unless it is unverified or someone else's here.
    if email and verified and email != user.email and await _holder(session, email) is None:
        audit_log.record(
            session,
            user,
            "user.update",
            target_kind="user",
            target_id=user.id,
            email=email,
            previous_email=user.email,
            source="identity_provider",
        )
        user.email = email
    return user, False


async def _first_sign_in(session: AsyncSession, *, issuer: str, subject: str, email: str) -> User:
    if (holder := await _holder(session, email)) is not None:
        raise SignInRefused(
            f"an account with the email {email} already exists here (with a password or another "
            f"sign-in); accounts are never joined by email alone — log in with that account, "
            f"or ask an administrator",
            email=email,
            user_id=holder,
        )
    # No password ever matches the empty hash: this account signs in through the provider.
    user = User(email=email, password_hash="", oidc_issuer=issuer, oidc_subject=subject)
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as err:
        # Two first sign-ins of one person racing: the other one made the account.
        await session.rollback()
        raise SignInRefused(
            "this account was being created by another sign-in at the same moment — start again",
            email=email,
        ) from err
    audit_log.record(
        session,
        user,
        "user.create",
        target_kind="user",
        target_id=user.id,
        email=email,
        superadmin=False,
        method="oidc",
    )
    return user


def _email(claims: dict[str, Any]) -> tuple[str | None, bool]:
    """The email claim, lowercased, and whether it may be trusted."""
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email or len(email) > 320:
        return None, False
    # Absent means the provider does not say; only an explicit false is distrusted.
    return email.strip().lower(), claims.get("email_verified") not in (False, "false")


async def _holder(session: AsyncSession, email: str) -> uuid.UUID | None:
    """The account that has ``email`` already, if any."""
    holder: uuid.UUID | None = await session.scalar(select(User.id).where(User.email == email))
    return holder
