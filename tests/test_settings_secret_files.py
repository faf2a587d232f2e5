"""Every service reads its secrets from mounted files (``BARITO_<NAME>_FILE``).

The rules themselves are proved once, on the shared settings
(libs/common/tests/test_secret_files.py); this proves each service's own
settings class uses them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from barito_common.secret_files import SecretFileError
from tests.support.deploy import SERVICES, SETTINGS, settings_from

KAFKA_PASSWORD = "kafka-sasl-password-from-a-file"
SEARCH_PASSWORD = "search-password-from-a-file"


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_reads_the_kafka_password_from_a_file(service: str, tmp_path: Path) -> None:
    (tmp_path / "kafka-password").write_text(f"{KAFKA_PASSWORD}\n")
    env = {
        "BARITO_KAFKA__SECURITY_PROTOCOL": "SASL_SSL",
        "BARITO_KAFKA__SASL_USERNAME": "barito",
        "BARITO_KAFKA__SASL_PASSWORD_FILE": str(tmp_path / "kafka-password"),
    }

    settings = settings_from(SETTINGS[service], env)

    assert settings.kafka.sasl_password is not None
    assert settings.kafka.sasl_password.get_secret_value() == KAFKA_PASSWORD
    assert KAFKA_PASSWORD not in repr(settings)


@pytest.mark.parametrize(
    "service", [name for name in SERVICES if "search" in SETTINGS[name].model_fields]
)
def test_every_service_with_a_search_engine_reads_its_password_from_a_file(
    service: str, tmp_path: Path
) -> None:
    (tmp_path / "search-password").write_text(f"{SEARCH_PASSWORD}\n")
    env = {
        "BARITO_SEARCH__USERNAME": "elastic",
        "BARITO_SEARCH__PASSWORD_FILE": str(tmp_path / "search-password"),
    }

    settings = settings_from(SETTINGS[service], env)

    assert settings.search.password.get_secret_value() == SEARCH_PASSWORD
    assert SEARCH_PASSWORD not in repr(settings)


@pytest.mark.parametrize(
    "service", [name for name in SERVICES if "search" not in SETTINGS[name].model_fields]
)
def test_a_service_without_a_search_engine_refuses_a_search_password_file(
    service: str, tmp_path: Path
) -> None:
    (tmp_path / "search-password").write_text(SEARCH_PASSWORD)
    env = {"BARITO_SEARCH__PASSWORD_FILE": str(tmp_path / "search-password")}

    with pytest.raises(SecretFileError, match="BARITO_SEARCH__PASSWORD is not a setting") as err:
        settings_from(SETTINGS[service], env)

    assert SEARCH_PASSWORD not in str(err.value)
