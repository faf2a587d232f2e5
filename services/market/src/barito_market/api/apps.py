"""/api/v1/apps: register, list, read, resize, rotate, (de)activate and delete apps.

Also each app's forward key, for the fluentd forward protocol.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from barito_common.schemas import AppStatus
from barito_market.accounts.access import readable_app, require_role
from barito_market.apps import lifecycle
from barito_market.apps.agent_configs import agent_configs
from barito_market.apps.endpoints import app_endpoints
from barito_market.apps.forward_configs import forward_configs
from barito_market.apps.forward_keys import make_forward_key, remove_forward_key
from barito_market.apps.registration import register_app
from barito_market.apps.views import app_public, visible_apps
from barito_market.dependencies import (
    CurrentUserDep,
    PublisherDep,
    SessionDep,
    SettingsDep,
    TemplatesDep,
)
from barito_market.models import Role
from barito_market.schemas.apps import (
    AppCreate,
    AppForwardKey,
    AppPublic,
    AppRegistered,
    AppSecretRotated,
    AppsPublic,
    AppUpdate,
)

router = APIRouter(prefix="/apps", tags=["apps"])

_SEEN: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not logged in."},
    404: {"description": "No such app that you can see."},
}
_MANAGED: dict[int | str, dict[str, Any]] = {
    **_SEEN,
    403: {"description": "This needs the owner or admin role in the app's group."},
    503: {"description": "Kafka did not answer; nothing changed."},
}


@router.post(
    "",
    response_model=AppRegistered,
    status_code=status.HTTP_201_CREATED,
    responses={
        **_MANAGED,
        404: {"description": "No such group that you can see."},
        409: {"description": "The group already has an app of that name."},
        422: {
            "description": "An invalid field, named in error.fields; e.g. a name whose slug "
            "is reserved."
        },
    },
)
async def register(
    body: AppCreate,
    user: CurrentUserDep,
    session: SessionDep,
    publisher: PublisherDep,
    settings: SettingsDep,
    templates: TemplatesDep,
) -> Any:
    """Register an app; the answer carries its secret (shown this once) and agent configs."""
    registered = await register_app(session, publisher, settings, templates, user=user, body=body)
    public = await app_public(session, settings, registered.app)
    return AppRegistered(
        **public.model_dump(),
        secret=registered.secret,
        agent_configs=agent_configs(
            public.endpoints, secret=registered.secret, app_slug=public.slug
        ),
    )


@router.get("", response_model=AppsPublic, responses={401: _SEEN[401], 404: _SEEN[404]})
async def list_apps(
    user: CurrentUserDep, session: SessionDep, settings: SettingsDep, group: str | None = None
) -> Any:
    """The apps you can see (of one group, with ?group=slug)."""
    return await visible_apps(session, settings, user, group_slug=group)


@router.get("/{slug}", response_model=AppPublic, responses=_SEEN)
async def get_app(
    slug: str, user: CurrentUserDep, session: SessionDep, settings: SettingsDep
) -> Any:
    """One app: endpoints, capacity, status, infrastructure state."""
    return await app_public(session, settings, await readable_app(session, user, slug))


@router.patch("/{slug}", response_model=AppPublic, responses=_MANAGED)
async def change(
    slug: str,
    body: AppUpdate,
    user: CurrentUserDep,
    session: SessionDep,
    publisher: PublisherDep,
    settings: SettingsDep,
    templates: TemplatesDep,
) -> Any:
    """Change an app's capacity (template or custom events/s) or retention."""
    app = await readable_app(session, user, slug)
    await require_role(session, user, app.group_id, Role.ADMIN)
    await lifecycle.change_app(
        session, publisher, settings, templates, user=user, app=app, body=body
    )
    return await app_public(session, settings, app)


@router.post("/{slug}/secret", response_model=AppSecretRotated, responses=_MANAGED)
async def rotate_secret(
    slug: str,
    user: CurrentUserDep,
    session: SessionDep,
    publisher: PublisherDep,
    settings: SettingsDep,
) -> Any:
    """Rotate the app secret: the new one is shown once, the old one works for the grace."""
    app = await readable_app(session, user, slug)
    await require_role(session, user, app.group_id, Role.ADMIN)
    secret, previous_until = await lifecycle.rotate_secret(
        session, publisher, settings, user=user, app=app
    )
    # The ingest URLs are the installation's whichever cluster holds the logs.
    endpoints = app_endpoints(settings, app_slug=app.slug, group_slug=app.group.slug, cluster=None)
    return AppSecretRotated(
        slug=app.slug,
        secret=secret,
        previous_valid_until=previous_until,
        agent_configs=agent_configs(endpoints, secret=secret, app_slug=app.slug),
    )


_FORWARD_KEY_DOCS = (
    "Make the app's forward key, or replace it: the shared key of the fluentd forward "
    "protocol's handshake, sent with the app's slug as username and the same key as "
    "password. The answer shows the key this once, with ready-to-paste fluentd and Fluent "
    "Bit outputs; the market keeps it only sealed under the installation key. A replaced "
    "key stops working at once (no grace period, unlike the app secret): agents still "
    "using it are refused at their next connection, so update them right after. If the "
    "installation key is changed, keys sealed under the old one no longer open: make them "
    "again."
)


@router.post(
    "/{slug}/forward-key",
    response_model=AppForwardKey,
    description=_FORWARD_KEY_DOCS,
    responses={
        **_MANAGED,
        409: {
            "description": "The installation has no installation key (error code "
            "no_installation_key); the message says how to set one."
        },
    },
)
async def make_app_forward_key(
    slug: str,
    user: CurrentUserDep,
    session: SessionDep,
    publisher: PublisherDep,
    settings: SettingsDep,
) -> Any:
    """Make or replace the app's forward key; it is shown once, the previous one stops."""
    app = await readable_app(session, user, slug)
    await require_role(session, user, app.group_id, Role.ADMIN)
    key = await make_forward_key(session, publisher, settings, user=user, app=app)
    configs = forward_configs(forward_url=settings.forward_url, app_slug=app.slug, key=key)
    return AppForwardKey(
        slug=app.slug,
        forward_key=key,
        username=app.slug,
        forward_url=settings.forward_url,
        fluentd=configs.fluentd,
        fluent_bit=configs.fluent_bit,
    )


@router.delete(
    "/{slug}/forward-key",
    status_code=status.HTTP_204_NO_CONTENT,
    description="Remove the app's forward key: the forward handshake is refused for the app "
    "from then on. Removing a key the app does not have answers 204 as well.",
    responses=_MANAGED,
)
async def remove_app_forward_key(
    slug: str,
    user: CurrentUserDep,
    session: SessionDep,
    publisher: PublisherDep,
    settings: SettingsDep,
) -> None:
    """Remove the app's forward key; the forward protocol refuses the app from then on."""
    app = await readable_app(session, user, slug)
    await require_role(session, user, app.group_id, Role.ADMIN)
    await remove_forward_key(session, publisher, settings, user=user, app=app)


async def _set_status(
    slug: str,
    wanted: AppStatus,
    user: CurrentUserDep,
    session: SessionDep,
    publisher: PublisherDep,
    settings: SettingsDep,
) -> AppPublic:
    app = await readable_app(session, user, slug)
    await require_role(session, user, app.group_id, Role.ADMIN)
    await lifecycle.set_status(session, publisher, settings, user=user, app=app, status=wanted)
    return await app_public(session, settings, app)


@router.post("/{slug}/deactivate", response_model=AppPublic, responses=_MANAGED)
async def deactivate(
    slug: str,
    user: CurrentUserDep,
    session: SessionDep,
    publisher: PublisherDep,
    settings: SettingsDep,
) -> Any:
    """Stop accepting the app's logs (ingest answers 403) until it is activated again."""
    return await _set_status(slug, AppStatus.INACTIVE, user, session, publisher, settings)


@router.post("/{slug}/activate", response_model=AppPublic, responses=_MANAGED)
async def activate(
    slug: str,
    user: CurrentUserDep,
    session: SessionDep,
    publisher: PublisherDep,
    settings: SettingsDep,
) -> Any:
    """Accept the app's logs again."""
    return await _set_status(slug, AppStatus.ACTIVE, user, session, publisher, settings)


@router.delete("/{slug}", status_code=status.HTTP_204_NO_CONTENT, responses=_MANAGED)
async def delete(
    slug: str,
    user: CurrentUserDep,
    session: SessionDep,
    publisher: PublisherDep,
    settings: SettingsDep,
    templates: TemplatesDep,
) -> None:
    """Delete an app: ingest refuses it at once; its name may be reused, its slug never."""
    app = await readable_app(session, user, slug)
    await require_role(session, user, app.group_id, Role.ADMIN)
    await lifecycle.delete_app(session, publisher, settings, templates, user=user, app=app)
