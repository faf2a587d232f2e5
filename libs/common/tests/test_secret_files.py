"""Settings read from files: ``BARITO_<NAME>_FILE`` (barito_common.secret_files)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import Field, ValidationError

from barito_common.secret_files import SecretFileError
from barito_common.settings import ServiceSettings

SECRET = "s3cret-from-the-file"


@pytest.fixture(autouse=True)
def _no_barito_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each test sets the variables it means; none of the caller's may leak in.
    for name in [n for n in os.environ if n.upper().startswith("BARITO_")]:
        monkeypatch.delenv(name)


def _secret_file(tmp_path: Path, content: str, name: str = "secret") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode())
    return path


def _sasl(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BARITO_KAFKA__SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("BARITO_KAFKA__SASL_USERNAME", "barito")


def test_kafka_sasl_password_is_read_from_the_file_its_file_variable_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _sasl(monkeypatch)
    path = _secret_file(tmp_path, f"{SECRET}\n")
    monkeypatch.setenv("BARITO_KAFKA__SASL_PASSWORD_FILE", str(path))

    settings = ServiceSettings()

    assert settings.kafka.sasl_password is not None
    assert settings.kafka.sasl_password.get_secret_value() == SECRET
    # The other Kafka fields still come from their variables: the two merge.
    assert (settings.kafka.security_protocol, settings.kafka.sasl_username) == (
        "SASL_SSL",
        "barito",
    )
    assert SECRET not in repr(settings) and SECRET not in str(settings)


@pytest.mark.parametrize(
    ("content", "value"),
    [
        ("pw", "pw"),
        ("pw\n", "pw"),
        ("pw\r\n", "pw"),
        ("pw\n\n", "pw\n"),
        (" pw \n", " pw "),
        ("", ""),
    ],
)
def test_exactly_one_trailing_line_break_is_stripped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str, value: str
) -> None:
    monkeypatch.setenv("BARITO_KAFKA__CLIENT_ID_FILE", str(_secret_file(tmp_path, content)))

    assert ServiceSettings().kafka.client_id == value


def test_any_setting_can_be_read_from_a_file_and_is_parsed_like_its_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BARITO_PORT_FILE", str(_secret_file(tmp_path, "8443\n", "port")))
    fragment = '{"bootstrap_servers": "kafka.internal:9093", "client_id": "from-json"}\n'
    monkeypatch.setenv("BARITO_KAFKA_FILE", str(_secret_file(tmp_path, fragment, "kafka")))

    settings = ServiceSettings()

    assert settings.port == 8443
    assert (settings.kafka.bootstrap_servers, settings.kafka.client_id) == (
        "kafka.internal:9093",
        "from-json",
    )


def test_a_value_and_its_file_both_set_are_refused_without_the_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _sasl(monkeypatch)
    path = _secret_file(tmp_path, SECRET)
    monkeypatch.setenv("BARITO_KAFKA__SASL_PASSWORD", "the-other-secret")
    monkeypatch.setenv("BARITO_KAFKA__SASL_PASSWORD_FILE", str(path))

    with pytest.raises(SecretFileError) as refused:
        ServiceSettings()

    message = str(refused.value)
    assert f"BARITO_KAFKA__SASL_PASSWORD_FILE={path} and BARITO_KAFKA__SASL_PASSWORD are both" in (
        message
    )
    assert SECRET not in message and "the-other-secret" not in message


def test_a_missing_file_is_a_start_up_error_naming_the_variable_and_the_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "not-mounted" / "password"
    monkeypatch.setenv("BARITO_KAFKA__SASL_PASSWORD_FILE", str(missing))

    with pytest.raises(SecretFileError, match="No such file") as refused:
        ServiceSettings()

    assert f"BARITO_KAFKA__SASL_PASSWORD_FILE={missing}" in str(refused.value)


def test_an_unreadable_file_is_named_and_its_content_is_not_quoted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "a-directory"
    directory.mkdir()
    monkeypatch.setenv("BARITO_KAFKA__SASL_PASSWORD_FILE", str(directory))
    with pytest.raises(SecretFileError, match=f"BARITO_KAFKA__SASL_PASSWORD_FILE={directory}"):
        ServiceSettings()

    binary = tmp_path / "binary"
    binary.write_bytes(b"\xff\xfe" + SECRET.encode())
    monkeypatch.setenv("BARITO_KAFKA__SASL_PASSWORD_FILE", str(binary))
    with pytest.raises(SecretFileError, match="not UTF-8") as refused:
        ServiceSettings()
    assert SECRET not in str(refused.value) and "xff" not in str(refused.value)


@pytest.mark.parametrize("variable", ["BARITO_NO_SUCH_SETTING_FILE", "BARITO_KAFKA__NOPE_FILE"])
def test_a_file_variable_for_no_setting_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, str(_secret_file(tmp_path, SECRET)))

    with pytest.raises(SecretFileError, match="is not a setting of ServiceSettings") as refused:
        ServiceSettings()

    assert variable in str(refused.value) and SECRET not in str(refused.value)


class _WithAFileSetting(ServiceSettings):
    trust_file: str | None = Field(None, description="A setting whose own name ends in _file.")


def test_a_setting_whose_name_ends_in_file_is_that_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _secret_file(tmp_path, "/etc/ssl/ca.pem\n")
    monkeypatch.setenv("BARITO_TRUST_FILE", "/etc/ssl/direct.pem")
    assert _WithAFileSetting().trust_file == "/etc/ssl/direct.pem"

    # ...and it too can be read from a file.
    monkeypatch.delenv("BARITO_TRUST_FILE")
    monkeypatch.setenv("BARITO_TRUST_FILE_FILE", str(path))
    assert _WithAFileSetting().trust_file == "/etc/ssl/ca.pem"


def test_a_refused_setting_does_not_quote_the_secret_read_from_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SASL without a user: Kafka's check refuses the fragment it was given whole.
    monkeypatch.setenv("BARITO_KAFKA__SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("BARITO_KAFKA__SASL_PASSWORD_FILE", str(_secret_file(tmp_path, SECRET)))

    with pytest.raises(ValidationError) as refused:
        ServiceSettings()

    assert "needs sasl_username and sasl_password" in str(refused.value)
    # What start-up prints; errors() still holds the input, for code that asks for it.
    assert SECRET not in str(refused.value)
