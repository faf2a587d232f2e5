"""Changing a registered app: capacity and retention, secret, status, deletion.

Every change is published as the app's new profile before the transaction
commits; a Kafka failure answers 503 and keeps nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from barito_common.capacity import CapacityTemplate
from barito_common.schemas import AppStatus
from barito_market import audit_log
from barito_market.accounts.credentials import hash_token, new_app_secret
from barito_market.apps.secret_rotation import rotate
from barito_market.apps.sizing import choose_sizing
from barito_market.groups.cluster import group_cluster
from barito_market.infrastructure.provisioning import sync_group_capacity
from barito_market.models import App, User
from barito_market.registry.publisher import Publisher
from barito_market.registry.sync import publish_app
from barito_market.schemas.apps import AppUpdate
from barito_market.settings import MarketSettings

__all__ = ["change_app", "delete_app", "rotate_secret", "set_status"]


async def change_app(
    session: AsyncSession,
    publisher: Publisher,
    settings: MarketSettings,
    templates: Mapping[str, CapacityTemplate],
    *,
    user: User,
    app: App,
    body: AppUpdate,
) -> None:
    """New capacity (template or custom events/s) and/or retention."""
    changes: dict[str, object] = {}
    if body.capacity is not None or body.tps is not None:
        sizing = choose_sizing(templates, capacity=body.capacity, tps=body.tps)
        app.capacity, app.tps, app.custom_tps = sizing.template.name, sizing.tps, sizing.custom_tps
        changes.update(capacity=app.capacity, tps=app.tps)
        # A bigger template means more partitions; the provisioner grows the
        # topic, the market only makes sure one exists.
        cluster = await group_cluster(session, app.group_id, lock=True)
        await publisher.ensure_log_topic(app.slug, sizing.template, cluster=cluster)
    if body.retention_days is not None:
        app.retention_days = body.retention_days
        changes.update(retention_days=app.retention_days)
    if not changes:
        return
    app.updated_at = datetime.now(UTC)
    await _audit_and_publish(session, publisher, settings, user, app, "app.update", **changes)
    await sync_group_capacity(session, publisher, templates, app.group, actor=user)
    await session.commit()


async def rotate_secret(
    session: AsyncSession,
    publisher: Publisher,
    settings: MarketSettings,
    *,
    user: User,
    app: App,
) -> tuple[str, datetime | None]:
    """A new secret (returned once); the old one keeps working for the grace period."""
    now = datetime.now(UTC)
    grace = timedelta(seconds=settings.secret_grace_s)
    secret = new_app_secret()
    app.retiring_secrets = rotate(app.secret_hash, app.retiring_secrets, now=now, grace=grace)
    app.secret_hash = hash_token(secret)
    app.updated_at = now
    await _audit_and_publish(
        session,
        publisher,
        settings,
        user,
        app,
        "app.secret.rotate",
        grace_s=settings.secret_grace_s,
    )
    await session.commit()
    return secret, (now + grace if grace > timedelta(0) else None)


async def set_status(
    session: AsyncSession,
    publisher: Publisher,
    settings: MarketSettings,
    *,
    user: User,
    app: App,
    status: AppStatus,
) -> None:
    """Activate or deactivate: an inactive app's logs are refused (403) at ingest."""
    if app.status == status:
        return
    app.status = status
    app.updated_at = datetime.now(UTC)
    action = "app.activate" if status == AppStatus.ACTIVE else "app.deactivate"
    await _audit_and_publish(session, publisher, settings, user, app, action)
    await session.commit()


async def delete_app(
    session: AsyncSession,
    publisher: Publisher,
    settings: MarketSettings,
    templates: Mapping[str, CapacityTemplate],
    *,
    user: User,
    app: App,
) -> None:
    """Mark the app deleted: ingest refuses it, its name is free, its slug never reused.

    The row stays (status deleted) because its slug names a topic and
    indices that may still hold logs until retention removes them.
    """
    app.status = AppStatus.DELETED
    app.updated_at = datetime.now(UTC)
    await _audit_and_publish(
        session, publisher, settings, user, app, "app.delete", name=app.name, slug=app.slug
    )
    await sync_group_capacity(session, publisher, templates, app.group, actor=user)
    await session.commit()


async def _audit_and_publish(
    session: AsyncSession,
    publisher: Publisher,
    settings: MarketSettings,
    user: User,
    app: App,
    action: str,
    **details: object,
) -> None:
    """Audit ``action`` on ``app`` and publish its new profile, before the caller commits."""
    audit_log.record(
        session, user, action, target_kind="app", target_id=app.id, group_id=app.group_id, **details
    )
    await session.flush()
    await publish_app(session, publisher, settings, app, app.group)
