"""The market's TLS to Postgres per ssl_mode, and its failure sentences, without an engine.

The same modes against a real TLS-only Postgres: test_database_tls.py.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from barito_cli.stack.certificates import CertificateAuthority
from barito_common.settings import DatabaseSettings
from barito_market.consumers.runner import database_away
from barito_market.database_failures import DatabaseUnreachable, describe_failure
from barito_market.database_tls import DatabaseTlsError, ssl_context, tls_connect_args
from barito_market.db import engine_for_url

POSTGRES = "postgresql+asyncpg://barito:secret@db.example.test:5432/market"


def _ca_subjects(context: ssl.SSLContext) -> list[object]:
    return [cert["subject"] for cert in context.get_ca_certs()]


def test_disable_dials_plain_text_even_where_the_server_offers_tls() -> None:
    settings = DatabaseSettings(ssl_mode="disable")

    assert ssl_context(settings) is None
    # Without ssl=False asyncpg would try TLS first, unverified (libpq's "prefer").
    assert tls_connect_args(POSTGRES, settings) == {"ssl": False}


def test_require_encrypts_without_checking_the_server() -> None:
    context = ssl_context(DatabaseSettings(ssl_mode="require"))

    assert context is not None
    assert context.verify_mode == ssl.CERT_NONE
    assert context.check_hostname is False


def test_verify_ca_trusts_only_the_ca_file_and_not_the_host_name(tmp_path: Path) -> None:
    ca = CertificateAuthority(tmp_path)
    context = ssl_context(DatabaseSettings(ssl_mode="verify-ca", ssl_cafile=str(ca.cafile)))

    assert context is not None
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is False
    own = ssl.create_default_context(cafile=str(ca.cafile))
    assert _ca_subjects(context) == _ca_subjects(own)
    assert len(_ca_subjects(context)) == 1


def test_verify_full_also_checks_the_host_name(tmp_path: Path) -> None:
    ca = CertificateAuthority(tmp_path)
    settings = DatabaseSettings(ssl_mode="verify-full", ssl_cafile=str(ca.cafile))

    args = tls_connect_args(POSTGRES, settings)

    context = args["ssl"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True


def test_verify_without_a_ca_file_uses_the_system_trust_store() -> None:
    context = ssl_context(DatabaseSettings(ssl_mode="verify-full"))

    assert context is not None
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.cert_store_stats() == ssl.create_default_context().cert_store_stats()


def test_a_missing_ca_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "ca.pem"

    with pytest.raises(DatabaseTlsError, match=f"database.ssl_cafile {missing} cannot be read"):
        ssl_context(DatabaseSettings(ssl_mode="verify-ca", ssl_cafile=str(missing)))


def test_a_ca_file_without_a_certificate_is_named(tmp_path: Path) -> None:
    not_pem = tmp_path / "ca.pem"
    not_pem.write_text("not a certificate\n")

    with pytest.raises(DatabaseTlsError, match=f"{not_pem} holds no PEM certificate"):
        ssl_context(DatabaseSettings(ssl_mode="verify-full", ssl_cafile=str(not_pem)))


def test_a_tls_mode_with_the_embedded_sqlite_is_refused_at_start(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'market.db'}"

    with pytest.raises(DatabaseTlsError, match="ssl_mode is verify-full, but the database is the "):
        engine_for_url(url, DatabaseSettings(ssl_mode="verify-full"))


def test_tls_asked_for_both_in_the_url_and_in_ssl_mode_is_refused() -> None:
    url = f"{POSTGRES}?ssl=require"

    with pytest.raises(DatabaseTlsError, match="set TLS in one place"):
        tls_connect_args(url, DatabaseSettings(ssl_mode="require"))
    # A URL that asked for TLS before ssl_mode existed keeps working.
    assert tls_connect_args(url, DatabaseSettings()) == {}


def test_tls_against_a_server_without_it_is_named() -> None:
    err = ConnectionError('PostgreSQL server at "db:5432" rejected SSL upgrade')

    reason = describe_failure(
        err, address="db:5432", user="barito", tls=DatabaseSettings(ssl_mode="verify-full")
    )

    assert reason.startswith("Postgres at db:5432 does not speak TLS, but database.ssl_mode is ")


def test_an_expired_certificate_is_named() -> None:
    err = ssl.SSLCertVerificationError(1, "certificate verify failed")
    err.verify_code, err.verify_message = 10, "certificate has expired"

    reason = describe_failure(
        err, address="db:5432", user="barito", tls=DatabaseSettings(ssl_mode="verify-ca")
    )

    assert reason == "certificate of db:5432 is not valid now: certificate has expired"


def test_the_consumers_retry_a_record_while_the_database_refuses_them() -> None:
    refused = DatabaseUnreachable("Postgres refused the password of user barito at db:5432")

    # A fixed password lets the same record through: it is not dead-lettered.
    assert database_away(refused)
