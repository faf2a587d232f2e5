"""Users and how they prove who they are: sessions, API tokens, login attempts."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from barito_market.models.base import Base, CreatedMixin, IdMixin, UtcDateTime

__all__ = ["ApiToken", "LoginAttempt", "OidcLogin", "Session", "User"]


class User(IdMixin, CreatedMixin, Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("oidc_issuer", "oidc_subject"),)

    # Stored lowercased, so "Ann@x.io" and "ann@x.io" are one account.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    # Empty for a user made by single sign-on: no password ever matches it.
    password_hash: Mapped[str] = mapped_column(String(255))
    # Who vouches for a single-sign-on user: the provider's issuer and its
    # ``sub``. A returning user is found by these two, never by email alone.
    oidc_issuer: Mapped[str | None] = mapped_column(String(500), nullable=True)
    oidc_subject: Mapped[str | None] = mapped_column(String(255), nullable=True)
    is_superadmin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )


class ApiToken(IdMixin, CreatedMixin, Base):
    """A personal token for REST clients and the CLI; only its SHA-256 is kept."""

    __tablename__ = "api_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters, shown in listings so a user can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # Scopes: a read-only token may search and tail but change nothing; a
    # token limited to a group sees no other group, whatever its user may.
    read_only: Mapped[bool] = mapped_column(Boolean, default=False)
    group_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("app_groups.id", ondelete="CASCADE"), nullable=True
    )

    user: Mapped[User] = relationship(back_populates="tokens")


class Session(IdMixin, CreatedMixin, Base):
    """A browser login: the cookie carries the token, the table only its hash."""

    __tablename__ = "sessions"

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Set for a single-sign-on session: sent back as id_token_hint when the
    # user logs out, so the provider ends its own session too.
    id_token: Mapped[str | None] = mapped_column(Text, nullable=True)

    user: Mapped[User] = relationship()


class LoginAttempt(IdMixin, Base):
    """One failed login; recent failures per email or address throttle new attempts.

    Kept in the database rather than in memory so that every market replica
    sees the same count.
    """

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_at", "email", "at"),
        Index("ix_login_attempts_address_at", "address", "at"),
    )

    email: Mapped[str] = mapped_column(String(320))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class OidcLogin(IdMixin, Base):
    """A single-sign-on login under way: made when the browser leaves for the
    provider, deleted when it comes back, so a state is accepted once only.

    Kept in the database so any market replica can finish what another began.
    """

    __tablename__ = "oidc_logins"

    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The hash of a cookie set on the browser that began the sign-in: a
    # callback URL opened in another browser (login CSRF: someone's own
    # sign-in pushed onto a victim) matches no cookie there.
    browser_hash: Mapped[str] = mapped_column(String(64))
    nonce: Mapped[str] = mapped_column(String(128))
    code_verifier: Mapped[str] = mapped_column(String(128))
    # Where the SPA wants to land afterwards: a path of the market's own.
    next_path: Mapped[str] = mapped_column(String(500), default="/")
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
