"""The market's tables (SQLAlchemy 2). Importing this package registers them all."""

from barito_market.models.accounts import ApiToken, LoginAttempt, OidcLogin, Session, User
from barito_market.models.alerts import AlertChannel, AlertHistory, AlertRule
from barito_market.models.apps import App
from barito_market.models.audit import AuditEntry
from barito_market.models.base import Base
from barito_market.models.governance import DeletionJob, DeletionState, StorageDrop
from barito_market.models.groups import AppGroup, Membership, MembershipSource, Role
from barito_market.models.infrastructure import Component, Infrastructure, ProvisioningEvent
from barito_market.models.usage import UsageMinute

__all__ = [
    "AlertChannel",
    "AlertHistory",
    "AlertRule",
    "ApiToken",
    "App",
    "AppGroup",
    "AuditEntry",
    "Base",
    "Component",
    "DeletionJob",
    "DeletionState",
    "Infrastructure",
    "LoginAttempt",
    "Membership",
    "MembershipSource",
    "OidcLogin",
    "ProvisioningEvent",
    "Role",
    "Session",
    "StorageDrop",
    "UsageMinute",
    "User",
]
