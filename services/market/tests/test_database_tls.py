"""The market on the secured stack's Postgres: TLS only, a password, a certificate for 127.0.0.1.

Over ``verify-full`` with the stack's CA the market migrates, keeps its rows
and is ready; each way of getting it wrong is refused with a sentence naming
what is wrong, at start-up and in ``/readyz``.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast

import asyncpg
import pytest
from sqlalchemy import select, text

from barito_cli.stack.certificates import CertificateAuthority
from barito_cli.stack.secure_kafka import SecuredKafkaEngine
from barito_cli.stack.secure_postgres import SecuredPostgresEngine
from barito_common.settings import DatabaseSettings
from barito_market import admin
from barito_market.accounts import users
from barito_market.database_failures import DatabaseUnreachable
from barito_market.database_tls import tls_connect_args
from barito_market.db import DatabaseProbe, database_url, engine_for_url
from barito_market.models import User
from barito_market.settings import MarketSettings
from barito_testing.market import market_settings, postgres_database, running_market
from barito_testing.market_database import migrated_sessions
from barito_testing.secure_stack import SecureStack
from barito_testing.stack import Stack


@pytest.fixture(scope="module")
def postgres(secure_stack: SecureStack) -> SecuredPostgresEngine:
    """The secured stack's Postgres."""
    return cast(SecuredPostgresEngine, secure_stack.engine("postgres"))


def _server_url(postgres: SecuredPostgresEngine) -> str:
    """libpq-style URL of the server, the password in it (as postgres_database takes)."""
    url = postgres.client_settings().url
    assert url is not None
    return url.get_secret_value().replace("postgresql+asyncpg://", "postgresql://", 1)


def _tls(postgres: SecuredPostgresEngine, mode: str = "verify-full") -> DatabaseSettings:
    return DatabaseSettings(ssl_mode=mode, ssl_cafile=str(postgres.material.cafile))


def _secured_market_settings(
    secure_stack: SecureStack, postgres: SecuredPostgresEngine, database_url: str
) -> MarketSettings:
    """A test market on the secured stack: Kafka over SASL_SSL, the database over verify-full."""
    kafka = cast(SecuredKafkaEngine, secure_stack.engine("kafka")).client_settings()
    return market_settings(
        kafka_bootstrap=kafka.bootstrap_servers,
        database_url=None,
        kafka=kafka.model_copy(update={"topic_prefix": f"m{uuid.uuid4().hex[:8]}."}),
        database=DatabaseSettings(url=database_url, **_tls(postgres).model_dump(exclude={"url"})),
    )


@pytest.fixture
async def database(postgres: SecuredPostgresEngine) -> AsyncIterator[str]:
    """A fresh database on the secured Postgres; its SQLAlchemy URL, password included."""
    async with postgres_database(_server_url(postgres), tls=_tls(postgres)) as url:
        yield url


def _readable_by_others(path: str) -> bool:
    return Path(path).stat().st_mode & 0o077 != 0


async def _probe(url: str, tls: DatabaseSettings) -> str:
    """What /readyz says of the database at ``url``: "ok" or the failure's sentence."""
    engine = engine_for_url(url, tls)
    try:
        await DatabaseProbe(engine).check()
    except DatabaseUnreachable as err:
        return str(err)
    finally:
        await engine.dispose()
    return "ok"


async def test_a_market_configured_from_the_stacks_service_environment_reaches_postgres(
    postgres: SecuredPostgresEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = postgres.service_environment()
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    settings = MarketSettings()

    # The password travels in a file (0600), as a mounted Secret, never as a variable.
    assert not any(postgres.material.password("postgres") in v for v in environment.values())
    assert _readable_by_others(environment["BARITO_DATABASE__URL_FILE"]) is False
    assert await _probe(database_url(settings), settings.database) == "ok"


async def test_the_market_migrates_and_keeps_rows_over_verify_full(
    postgres: SecuredPostgresEngine, database: str
) -> None:
    async with migrated_sessions(database, tls=_tls(postgres)) as sessions:
        async with sessions() as session:
            await users.create_user(session, email="tls@example.test", password="x" * 12)
            await session.commit()
        async with sessions() as session:
            emails = (await session.scalars(select(User.email))).all()
            encrypted = await session.scalar(
                text("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            )

    assert emails == ["tls@example.test"]
    assert encrypted is True


async def test_a_wrong_password_is_named(postgres: SecuredPostgresEngine, database: str) -> None:
    wrong = database.replace(f":{postgres.material.password('postgres')}@", ":not-it@", 1)

    reason = await _probe(wrong, _tls(postgres))

    assert reason.startswith(
        f"Postgres refused the password of user barito at 127.0.0.1:{postgres.port}"
    )


async def test_a_certificate_of_an_unknown_ca_is_named(
    postgres: SecuredPostgresEngine, database: str, tmp_path: Path
) -> None:
    stranger = CertificateAuthority(tmp_path).cafile

    reason = await _probe(
        database, DatabaseSettings(ssl_mode="verify-full", ssl_cafile=str(stranger))
    )

    assert reason.startswith(
        f"certificate of 127.0.0.1:{postgres.port} is not signed by a CA in {stranger}"
    )


async def test_verify_full_refuses_a_host_the_certificate_does_not_name_and_verify_ca_accepts_it(
    postgres: SecuredPostgresEngine, database: str
) -> None:
    by_name = database.replace("@127.0.0.1:", "@localhost:", 1)

    full = await _probe(by_name, _tls(postgres, "verify-full"))
    chain_only = await _probe(by_name, _tls(postgres, "verify-ca"))

    assert full.startswith(
        f"certificate of localhost:{postgres.port} does not name host 'localhost'"
    )
    assert chain_only == "ok"


async def test_a_plain_text_client_is_told_that_postgres_requires_tls(
    postgres: SecuredPostgresEngine, database: str
) -> None:
    reason = await _probe(database, DatabaseSettings(ssl_mode="disable"))

    assert reason.startswith("Postgres requires TLS: set database.ssl_mode")


async def test_tls_against_the_plain_stacks_postgres_is_named(
    postgres: SecuredPostgresEngine, stack: Stack
) -> None:
    plain = stack.postgres_url.replace("postgresql://", "postgresql+asyncpg://", 1)
    address = plain.split("@", 1)[1].split("/", 1)[0]

    reason = await _probe(plain, _tls(postgres))

    assert reason.startswith(f"Postgres at {address} does not speak TLS, but database.ssl_mode")


async def _close_every_connection_of(admin: asyncpg.Connection, role: str) -> None:
    """End ``role``'s connections, as a server restart does: the next one needs the password.

    Each termination waits until its backend has exited; the market's consumers
    may have been mid-login when the password changed, hence the repeat until none is left.
    """
    for _ in range(100):
        ended = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid, 10000)) FROM pg_stat_activity "
            "WHERE usename = $1",
            role,
        )
        if ended == 0:
            return
    raise AssertionError(f"{role} kept opening connections with its old password")


async def test_the_market_is_ready_over_tls_and_readyz_names_a_password_changed_under_it(
    postgres: SecuredPostgresEngine, secure_stack: SecureStack
) -> None:
    # A role of this test's own, so changing its password touches no one else.
    role, password = f"market_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    admin_tls = tls_connect_args(_server_url(postgres), _tls(postgres))
    admin = await asyncpg.connect(_server_url(postgres), **admin_tls)
    try:
        await admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
        await admin.execute(f"CREATE DATABASE {role} OWNER {role}")
        url = f"postgresql+asyncpg://{role}:{password}@127.0.0.1:{postgres.port}/{role}"
        async with running_market(_secured_market_settings(secure_stack, postgres, url)) as market:
            ready = await market.client.get("/readyz")
            await admin.execute(f"ALTER ROLE {role} PASSWORD '{uuid.uuid4().hex}'")
            await _close_every_connection_of(admin, role)
            refused = await market.client.get("/readyz")
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {role} WITH (FORCE)")
        await admin.execute(f"DROP ROLE IF EXISTS {role}")
        await admin.close()

    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["postgres"] == "ok"
    assert refused.status_code == 503
    assert refused.json()["checks"]["postgres"].startswith(
        f"Postgres refused the password of user {role} at 127.0.0.1:{postgres.port}"
    )


async def test_the_market_does_not_start_with_a_wrong_password_and_says_so(
    postgres: SecuredPostgresEngine, database: str, secure_stack: SecureStack
) -> None:
    wrong = database.replace(f":{postgres.material.password('postgres')}@", ":not-it@", 1)
    settings = _secured_market_settings(secure_stack, postgres, wrong)

    with pytest.raises(DatabaseUnreachable, match="Postgres refused the password of user barito"):
        async with running_market(settings):
            pass


def test_the_admin_command_names_a_wrong_password_and_exits_1(
    postgres: SecuredPostgresEngine,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("BARITO_DATABASE__SSL_MODE", "verify-full")
    monkeypatch.setenv("BARITO_DATABASE__SSL_CAFILE", str(postgres.material.cafile))
    wrong = f"postgresql+asyncpg://barito:not-it@127.0.0.1:{postgres.port}/barito"

    status = admin.main(
        [
            "--database-url",
            wrong,
            "create-user",
            "--email",
            "a@example.test",
            "--password",
            "x" * 12,
        ]
    )

    assert status == 1
    assert capsys.readouterr().err.startswith(
        f"error: Postgres refused the password of user barito at 127.0.0.1:{postgres.port}"
    )
