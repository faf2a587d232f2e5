"""Forward keys without any engine: sealed in the row and the profile, never stored in plain.

The market's own code on a migrated SQLite database, with a publisher that
keeps the profiles it is given instead of writing them to Kafka; the same
routes on Postgres and Kafka are in test_forward_keys_api.py.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from barito_common.errors import ApiError
from barito_common.installation_key import InstallationKey, SealedSecretError
from barito_common.kafka import Topics
from barito_common.schemas import AppProfile
from barito_market.accounts.users import create_user
from barito_market.apps.forward_configs import forward_configs
from barito_market.apps.forward_keys import make_forward_key, remove_forward_key
from barito_market.models import App, AuditEntry, User
from barito_market.registry.publisher import Publisher
from barito_market.registry.sync import republish_all
from barito_market.settings import MarketSettings
from barito_testing.market_rows import seed_app

INSTALLATION_KEY = "an installation key of the forward key tests, 48 chars"


class KeptProfiles:
    """Stands in for the Kafka publisher: the profiles it would have written, in order."""

    def __init__(self) -> None:
        self.topics = Topics("t.")
        self.profiles: list[AppProfile] = []

    async def publish_profile(self, profile: AppProfile) -> None:
        self.profiles.append(profile)


def market_settings(**overrides: Any) -> MarketSettings:
    values: dict[str, Any] = {"installation_key": INSTALLATION_KEY, **overrides}
    return MarketSettings(**values)


@pytest.fixture
async def owner(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[User]:
    async with sessions() as session:
        user = await create_user(
            session, email=f"{uuid.uuid4().hex[:8]}@example.test", password="long enough"
        )
        await session.commit()
        yield user


async def load_app(session: AsyncSession, app_id: uuid.UUID) -> App:
    app = await session.scalar(select(App).options(selectinload(App.group)).where(App.id == app_id))
    assert app is not None
    return app


async def make_key(
    sessions: async_sessionmaker[AsyncSession],
    publisher: KeptProfiles,
    app_id: uuid.UUID,
    owner: User,
    settings: MarketSettings | None = None,
) -> str:
    async with sessions() as session:
        return await make_forward_key(
            session,
            cast(Publisher, publisher),
            settings or market_settings(),
            user=owner,
            app=await load_app(session, app_id),
        )


async def stored_sealed(sessions: async_sessionmaker[AsyncSession], app_id: uuid.UUID) -> Any:
    async with sessions() as session:
        return (await load_app(session, app_id)).forward_key_sealed


async def test_the_row_and_the_profile_hold_only_the_sealed_key_which_opens_to_the_shown_one(
    sessions: async_sessionmaker[AsyncSession], owner: User
) -> None:
    _, app, _ = await seed_app(sessions)
    publisher = KeptProfiles()

    key = await make_key(sessions, publisher, app.id, owner)

    sealed = await stored_sealed(sessions, app.id)
    assert sealed and key not in sealed
    assert InstallationKey(INSTALLATION_KEY).open(sealed) == key
    [profile] = publisher.profiles
    assert profile.slug == app.slug and profile.forward_key_sealed == sealed
    # Only the installation key opens it: another installation's does not.
    with pytest.raises(SealedSecretError):
        InstallationKey("another installation's key, also long enough!").open(sealed)


async def test_a_new_key_replaces_the_old_one_and_removing_it_publishes_none(
    sessions: async_sessionmaker[AsyncSession], owner: User
) -> None:
    _, app, _ = await seed_app(sessions)
    publisher = KeptProfiles()
    opening = InstallationKey(INSTALLATION_KEY)

    first = await make_key(sessions, publisher, app.id, owner)
    second = await make_key(sessions, publisher, app.id, owner)

    assert first != second
    assert opening.open(await stored_sealed(sessions, app.id)) == second
    assert opening.open(publisher.profiles[-1].forward_key_sealed or "") == second

    async with sessions() as session:
        await remove_forward_key(
            session,
            cast(Publisher, publisher),
            market_settings(),
            user=owner,
            app=await load_app(session, app.id),
        )
    assert await stored_sealed(sessions, app.id) is None
    assert publisher.profiles[-1].forward_key_sealed is None


async def test_every_change_is_audited_without_the_key(
    sessions: async_sessionmaker[AsyncSession], owner: User
) -> None:
    _, app, _ = await seed_app(sessions)
    publisher = KeptProfiles()
    keys = [await make_key(sessions, publisher, app.id, owner) for _ in range(2)]
    sealed = await stored_sealed(sessions, app.id)
    async with sessions() as session:
        for _ in range(2):  # the second removal finds nothing to remove
            await remove_forward_key(
                session,
                cast(Publisher, publisher),
                market_settings(),
                user=owner,
                app=await load_app(session, app.id),
            )
        entries = (
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.target_id == str(app.id))
                .order_by(AuditEntry.at)
            )
        ).all()

    assert [(e.action, e.details, e.actor_email) for e in entries] == [
        ("app.forward_key.make", {"replaced": False}, owner.email),
        ("app.forward_key.make", {"replaced": True}, owner.email),
        ("app.forward_key.remove", {}, owner.email),
    ]
    written = repr([(e.action, e.details) for e in entries])
    assert not any(secret in written for secret in [*keys, sealed])


async def test_republishing_keeps_each_apps_sealed_key(
    sessions: async_sessionmaker[AsyncSession], owner: User
) -> None:
    _, keyed, _ = await seed_app(sessions)
    _, plain, _ = await seed_app(sessions)
    await make_key(sessions, KeptProfiles(), keyed.id, owner)
    sealed = await stored_sealed(sessions, keyed.id)

    publisher = KeptProfiles()
    async with sessions() as session:
        await republish_all(session, cast(Publisher, publisher), market_settings())

    published = {profile.slug: profile.forward_key_sealed for profile in publisher.profiles}
    assert published[keyed.slug] == sealed
    assert published[plain.slug] is None


async def test_without_an_installation_key_no_key_is_made_and_the_error_says_how_to_set_one(
    sessions: async_sessionmaker[AsyncSession], owner: User
) -> None:
    _, app, _ = await seed_app(sessions)
    publisher = KeptProfiles()

    with pytest.raises(ApiError) as refused:
        await make_key(sessions, publisher, app.id, owner, market_settings(installation_key=None))

    assert refused.value.status == 409
    assert refused.value.code == "no_installation_key"
    assert "BARITO_INSTALLATION_KEY" in refused.value.message
    assert "BARITO_INSTALLATION_KEY_FILE" in refused.value.message
    assert publisher.profiles == []
    assert await stored_sealed(sessions, app.id) is None


def test_the_installation_key_is_read_from_a_file_and_never_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "installation-key").write_text(f"{INSTALLATION_KEY}\n")
    monkeypatch.setenv("BARITO_INSTALLATION_KEY_FILE", str(tmp_path / "installation-key"))

    settings = MarketSettings()

    assert settings.installation_key is not None
    assert settings.installation_key.get_secret_value() == INSTALLATION_KEY
    for shown in (repr(settings), str(settings), settings.model_dump_json()):
        assert INSTALLATION_KEY not in shown


def test_a_short_installation_key_is_refused_at_start_without_being_echoed() -> None:
    short = "only-twenty-chars-ok"
    with pytest.raises(ValidationError) as refused:
        MarketSettings(installation_key=short)
    assert "at least 32 characters" in str(refused.value)
    assert short not in str(refused.value)


@pytest.mark.parametrize(
    "url", ["127.0.0.1:24224", "http://receiver:24224", "tcp://receiver", "tcp://:24224"]
)
def test_a_forward_url_without_tcp_or_tls_host_and_port_is_refused(url: str) -> None:
    with pytest.raises(ValidationError, match="tcp://host:port"):
        MarketSettings(forward_url=url)


def test_the_fluentd_and_fluent_bit_outputs_carry_the_key_the_username_and_the_address() -> None:
    plain = forward_configs(
        forward_url="tcp://logs.example.test:24224", app_slug="checkout", key="k3y"
    )
    secured = forward_configs(
        forward_url="tls://logs.example.test:24240", app_slug="checkout", key="k3y"
    )

    for line in ("shared_key k3y", "username checkout", "password k3y", "port 24224"):
        assert f"    {line}\n" in plain.fluentd, line
    assert "  require_ack_response true\n" in plain.fluentd
    assert "transport tls" not in plain.fluentd
    assert "  transport tls\n" in secured.fluentd and "port 24240" in secured.fluentd
    for line in ("Shared_Key           k3y", "Username             checkout", "Password"):
        assert line in plain.fluent_bit, line
    assert "tls                  Off" in plain.fluent_bit
    assert "tls                  On" in secured.fluent_bit
