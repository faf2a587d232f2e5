"""A real market (in-process ASGI) on the real Postgres and Kafka of the local stack.

Each test module gets its own Postgres database and its own Kafka topic
prefix, so its users, groups, apps and topics are its own::

    @pytest.fixture(scope="module")
    async def market(stack) -> AsyncIterator[Market]:
        async with market_on_postgres(stack) as market:
            yield market

    async def test_something(market: Market) -> None:
        alice = await market.create_user()
        response = await market.client.get("/api/v1/apps", headers=alice.headers)
        async with market.logged_in(alice) as browser:   # session cookie + CSRF header
            await browser.post("/api/v1/groups", json={"name": "shop"})
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from barito_common.kafka import Topics
from barito_common.settings import DatabaseSettings, KafkaSettings
from barito_market.accounts import api_tokens, users
from barito_market.database_tls import tls_connect_args
from barito_market.main import create_app
from barito_market.settings import MarketSettings
from barito_testing.apps import topic_values

__all__ = [
    "Market",
    "MarketUser",
    "apps_topic_values",
    "create_database",
    "drop_database",
    "market_on_postgres",
    "market_settings",
    "postgres_database",
    "running_market",
]


async def create_database(
    postgres_url: str, name: str, *, tls: DatabaseSettings | None = None
) -> None:
    """An empty database ``name`` on the Postgres server of ``postgres_url``.

    ``tls``: its ssl_mode and ssl_cafile, dialled as the market dials (a
    secured Postgres); None dials as asyncpg does by default.
    """
    await _as_admin(postgres_url, f'CREATE DATABASE "{name}"', tls=tls)


async def drop_database(
    postgres_url: str, name: str, *, tls: DatabaseSettings | None = None
) -> None:
    """Drop ``name``, closing the connections still on it."""
    await _as_admin(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', tls=tls)


async def _as_admin(postgres_url: str, statement: str, *, tls: DatabaseSettings | None) -> None:
    tls_args = {} if tls is None else tls_connect_args(postgres_url, tls)
    admin = await asyncpg.connect(f"{postgres_url.rsplit('/', 1)[0]}/postgres", **tls_args)
    try:
        await admin.execute(statement)
    finally:
        await admin.close()


@asynccontextmanager
async def postgres_database(
    postgres_url: str, *, tls: DatabaseSettings | None = None
) -> AsyncIterator[str]:
    """A fresh, empty database on the stack's Postgres; yields its SQLAlchemy URL."""
    name = f"market_{uuid.uuid4().hex[:12]}"
    await create_database(postgres_url, name, tls=tls)
    try:
        server = postgres_url.rsplit("/", 1)[0]
        yield f"{server}/{name}".replace("postgresql://", "postgresql+asyncpg://", 1)
    finally:
        await drop_database(postgres_url, name, tls=tls)


def market_settings(
    *,
    kafka_bootstrap: str,
    database_url: str | None,
    topic_prefix: str | None = None,
    **overrides: Any,
) -> MarketSettings:
    """Settings of a test market: its own topic prefix; sign-up on; test-friendly URLs."""
    kafka = KafkaSettings(
        bootstrap_servers=kafka_bootstrap,
        topic_prefix=topic_prefix or f"m{uuid.uuid4().hex[:8]}.",
    )
    values: dict[str, Any] = {
        "kafka": kafka,
        "database": DatabaseSettings(url=database_url),
        "ingest_url_template": "https://ingest.example.test/api/v1/logs",
        "tail_url_template": "https://tail.example.test/api/v1/tail/{app}",
        "viewer_url_template": "https://{app}.{group}.logs.example.test",
        # The tests' webhook receivers listen on loopback.
        "alert_private_targets": True,
        **overrides,
    }
    return MarketSettings(**values)


@dataclass
class MarketUser:
    id: uuid.UUID
    email: str
    password: str
    token: str
    is_superadmin: bool = False

    @property
    def headers(self) -> dict[str, str]:
        """API-token authentication, as REST clients and the CLI use."""
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Market:
    app: FastAPI
    settings: MarketSettings
    client: httpx.AsyncClient
    transport: httpx.ASGITransport
    _users: int = field(default=0)

    @property
    def sessionmaker(self) -> async_sessionmaker[AsyncSession]:
        maker: async_sessionmaker[AsyncSession] = self.app.state.sessionmaker
        return maker

    async def create_user(
        self, *, email: str | None = None, password: str | None = None, superadmin: bool = False
    ) -> MarketUser:
        """An account made directly (as `barito admin create-user` does), with an API token."""
        self._users += 1
        email = email or f"user{self._users}-{uuid.uuid4().hex[:6]}@example.test"
        password = password or secrets.token_urlsafe(12)
        async with self.sessionmaker() as session:
            user = await users.create_user(
                session, email=email, password=password, superadmin=superadmin
            )
            await session.commit()
            _, token = await api_tokens.create_token(
                session, user, name="tests", expires_in_days=None
            )
            return MarketUser(user.id, user.email, password, token, superadmin)

    async def sign_up(self, *, email: str | None = None, password: str | None = None) -> MarketUser:
        """An account made through the API (sign-up, login, token creation)."""
        self._users += 1
        email = email or f"signup{self._users}-{uuid.uuid4().hex[:6]}@example.test"
        password = password or secrets.token_urlsafe(12)
        response = await self.client.post(
            "/api/v1/auth/signup", json={"email": email, "password": password}
        )
        assert response.status_code == 201, response.text
        user_id = uuid.UUID(response.json()["id"])
        async with self.logged_in_as(email, password) as browser:
            created = await browser.post("/api/v1/auth/tokens", json={"name": "tests"})
            assert created.status_code == 201, created.text
        return MarketUser(user_id, email, password, created.json()["token"])

    @asynccontextmanager
    async def logged_in_as(self, email: str, password: str) -> AsyncIterator[httpx.AsyncClient]:
        """A browser-like client: the session cookie, and the CSRF header on every request."""
        async with httpx.AsyncClient(transport=self.transport, base_url="http://market") as c:
            response = await c.post(
                "/api/v1/auth/login", json={"email": email, "password": password}
            )
            assert response.status_code == 200, response.text
            c.headers["X-CSRF-Token"] = response.json()["csrf_token"]
            yield c

    def logged_in(self, user: MarketUser) -> Any:
        return self.logged_in_as(user.email, user.password)

    async def add_members(
        self, group: str, owner: MarketUser, members: Mapping[str, MarketUser]
    ) -> None:
        """Give each user its role (the key) in ``group``, as the group's owner does."""
        for role, user in members.items():
            added = await self.client.put(
                f"/api/v1/groups/{group}/members",
                headers=owner.headers,
                json={"email": user.email, "role": role},
            )
            assert added.status_code == 200, added.text


@asynccontextmanager
async def running_market(settings: MarketSettings) -> AsyncIterator[Market]:
    """The market app with its lifespan (migrations, Kafka publisher) running in-process."""
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=30) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://market") as client:
            yield Market(app, settings, client, transport)


@asynccontextmanager
async def market_on_postgres(stack: Any, **overrides: Any) -> AsyncIterator[Market]:
    """A market on a throwaway Postgres database and its own Kafka topic prefix."""
    async with postgres_database(stack.postgres_url) as url:
        settings = market_settings(
            kafka_bootstrap=stack.kafka_bootstrap, database_url=url, **overrides
        )
        async with running_market(settings) as market:
            yield market


async def apps_topic_values(kafka_bootstrap: str, prefix: str) -> list[bytes]:
    """Every non-tombstone value on the apps topic under ``prefix``, oldest first."""
    return await topic_values(KafkaSettings(bootstrap_servers=kafka_bootstrap), Topics(prefix).apps)
