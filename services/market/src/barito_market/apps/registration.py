"""Registering an app: the one request after which an agent can send logs.

Order matters: the rows are written (not yet committed), then the app's log
topic is created (on the group's own Kafka once its dedicated cluster is
ACTIVE, else on the installation's) and its profile published, and only then is the
transaction committed and the secret shown. So ingest works the moment the
secret is on screen, even before any provisioner has run; and if Kafka does
not answer, the request fails with 503 and nothing is kept.

A name whose slug the installation reserved (``barito_common.reserved_names``)
is refused before anything is written: its app would lose its logs or its page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from barito_common.capacity import CapacityTemplate
from barito_common.errors import ApiError
from barito_common.reserved_names import RESERVED_APP_SLUGS, reserved_app_slug
from barito_common.schemas import AppStatus
from barito_market import audit_log
from barito_market.accounts.access import readable_group, require_role
from barito_market.accounts.credentials import hash_token, new_app_secret
from barito_market.apps.sizing import choose_sizing
from barito_market.apps.slugs import slugify, unique_slug
from barito_market.conflicts import flush_or_conflict
from barito_market.groups import lifecycle as groups
from barito_market.groups.cluster import group_cluster
from barito_market.infrastructure.provisioning import sync_group_capacity
from barito_market.models import App, AppGroup, Role, User
from barito_market.registry.publisher import Publisher
from barito_market.registry.sync import publish_app
from barito_market.schemas.apps import AppCreate
from barito_market.settings import MarketSettings

__all__ = ["Registered", "ensure_name_allowed", "ensure_name_free", "register_app"]


@dataclass(frozen=True)
class Registered:
    app: App
    secret: str


def ensure_name_allowed(name: str) -> None:
    """Refuse (422 on ``body.name``) a name whose slug the installation keeps for itself."""
    slug = slugify(name)
    reserved = reserved_app_slug(slug)
    if reserved is None:
        return
    message = (
        f"the name '{name}' gives the app slug '{slug}', which is reserved: "
        f"{reserved.explanation}. Choose another name; the reserved slugs are "
        f"{', '.join(sorted(RESERVED_APP_SLUGS))}."
    )
    raise ApiError(
        422,
        f"body.name: {message}",
        details={"fields": [{"field": "body.name", "message": message}]},
    )


async def ensure_name_free(session: AsyncSession, group: AppGroup, name: str) -> None:
    taken = await session.scalar(
        select(App.id).where(
            App.group_id == group.id, App.name == name, App.status != AppStatus.DELETED
        )
    )
    if taken is not None:
        raise ApiError(409, f"The group {group.slug} already has an app named '{name}'.")


async def register_app(
    session: AsyncSession,
    publisher: Publisher,
    settings: MarketSettings,
    templates: Mapping[str, CapacityTemplate],
    *,
    user: User,
    body: AppCreate,
) -> Registered:
    ensure_name_allowed(body.name)
    sizing = choose_sizing(templates, capacity=body.capacity, tps=body.tps)
    if body.group is not None:
        group = await readable_group(session, user, body.group)
        await require_role(session, user, group.id, Role.ADMIN)
        await ensure_name_free(session, group, body.name)
    else:
        group = await groups.add_group(session, user, body.new_group or body.name)
    secret = new_app_secret()
    app = App(
        group_id=group.id,
        name=body.name,
        slug=await unique_slug(session, App.slug, body.name),
        capacity=sizing.template.name,
        custom_tps=sizing.custom_tps,
        tps=sizing.tps,
        retention_days=body.retention_days or sizing.template.retention_days,
        status=AppStatus.ACTIVE,
        secret_hash=hash_token(secret),
        retiring_secrets=[],
    )
    app.group = group
    session.add(app)
    await flush_or_conflict(
        session, f"The group {group.slug} already has an app named '{app.name}'."
    )
    audit_log.record(
        session,
        user,
        "app.register",
        target_kind="app",
        target_id=app.id,
        group_id=group.id,
        name=app.name,
        slug=app.slug,
        capacity=app.capacity,
        tps=app.tps,
        retention_days=app.retention_days,
    )
    cluster = await group_cluster(session, group.id, lock=True)
    await publisher.ensure_log_topic(app.slug, sizing.template, cluster=cluster)
    await publish_app(session, publisher, settings, app, group)
    await sync_group_capacity(session, publisher, templates, group, actor=user)
    await session.commit()
    return Registered(app, secret)
