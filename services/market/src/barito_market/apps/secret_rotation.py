"""Rotating a secret without breaking running agents.

The replaced secret's hash stays valid until a deadline (the grace period);
the deadline travels in the AppProfile, so it stops working on time even
while the market is down (architecture §4).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from barito_common.schemas import RetiringSecret

__all__ = ["live_retiring", "rotate"]


def live_retiring(stored: list[dict[str, Any]], *, now: datetime) -> list[RetiringSecret]:
    """The stored retiring secrets whose grace has not yet run out."""
    secrets = [RetiringSecret.model_validate(item) for item in stored]
    return [secret for secret in secrets if secret.valid_until > now]


def rotate(
    current_hash: str | None,
    stored: list[dict[str, Any]],
    *,
    now: datetime,
    grace: timedelta,
) -> list[dict[str, Any]]:
    """The retiring list after replacing ``current_hash``: it joins with a deadline."""
    retiring = live_retiring(stored, now=now)
    if current_hash is not None and grace > timedelta(0):
        retiring.append(RetiringSecret(hash=current_hash, valid_until=now + grace))
    return [secret.model_dump(mode="json") for secret in retiring]
