"""`barito stack up|status|env --secure` through the real command (issue 19).

The secured engines are the run's own (fixture ``secure_stack``), started
once; the command finds them running, as a developer's second ``up`` does.
What ``--fresh`` forgets is seen on a secured Postgres of its own (a state
folder and a port of its own), the one engine that restarts in seconds, so
the run's secured stack is not touched.
"""

from __future__ import annotations

import dataclasses
import os
import shlex
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from barito_cli.main import cli
from barito_cli.stack.config import load_config
from barito_cli.stack.manager import stack_down
from barito_cli.stack.secure_kafka import SecuredKafkaEngine
from barito_cli.stack.secure_material import SecureMaterial
from barito_cli.stack.secure_stack import SECURE_ENGINE_NAMES, secure_engine_for
from barito_common.kafka import KafkaProbe
from barito_receiver.settings import ReceiverSettings
from barito_testing.ports import free_port
from barito_testing.secure_stack import SecureStack
from barito_testing.stack import REPO


def _barito(*arguments: str, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(cli, list(arguments), env=env)
    assert result.exit_code == 0, result.output
    return result


def _exports(output: str) -> dict[str, str]:
    exports = {}
    for line in output.splitlines():
        keyword, assignment = shlex.split(line)
        assert keyword == "export", line
        name, _, value = assignment.partition("=")
        exports[name] = value
    return exports


def test_status_secure_shows_every_secured_engine_ready_at_its_own_address(
    secure_stack: SecureStack,
) -> None:
    lines = _barito("stack", "status", "--secure").output.splitlines()

    assert [line.split()[0] for line in lines] == list(SECURE_ENGINE_NAMES)
    for name, line in zip(SECURE_ENGINE_NAMES, lines, strict=True):
        url = secure_engine_for(name, secure_stack.config).url
        assert url in line and line.endswith("ready"), line
    kafka = lines[SECURE_ENGINE_NAMES.index("kafka")]
    assert f"127.0.0.1:{secure_stack.config.engines['kafka']['port']}" in kafka


async def test_env_secure_receiver_is_what_a_receiver_needs_with_secrets_as_files(
    secure_stack: SecureStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = _barito("stack", "env", "--secure", "receiver").output
    exports = _exports(output)
    kafka_password = secure_stack.material.password("kafka-barito")
    assert kafka_password not in output
    assert exports["BARITO_KAFKA__SASL_PASSWORD_FILE"].startswith(
        str(secure_stack.material.directory)
    )

    # The receiver's settings from exactly that environment, nothing inherited.
    for name in [*(n for n in os.environ if n.startswith("BARITO_")), "SSL_CERT_FILE"]:
        monkeypatch.delenv(name, raising=False)
    for name, value in exports.items():
        monkeypatch.setenv(name, value)
    settings = ReceiverSettings()

    assert settings.port == secure_stack.config.engines["services"]["receiver"]
    assert settings.tls_certfile and settings.tls_keyfile
    assert settings.kafka.security_protocol == "SASL_SSL"
    assert settings.kafka.sasl_password is not None
    assert settings.kafka.sasl_password.get_secret_value() == kafka_password
    probe = KafkaProbe(settings.kafka, timeout_s=10)
    try:
        await probe.check()
    finally:
        await probe.close()


def test_env_secure_without_a_service_is_what_all_five_share(secure_stack: SecureStack) -> None:
    exports = _exports(_barito("stack", "env", "--secure").output)

    assert exports["BARITO_KAFKA__SECURITY_PROTOCOL"] == "SASL_SSL"
    assert exports["SSL_CERT_FILE"] == str(secure_stack.material.cafile)
    assert "BARITO_TLS_CERTFILE" in exports
    # A port, a search engine or a database is one service's, not all five's.
    assert not {"BARITO_PORT", "BARITO_SEARCH__URL", "BARITO_DATABASE__URL_FILE"} & set(exports)


def test_the_kafka_probe_names_the_user_whose_password_is_wrong(
    secure_stack: SecureStack, tmp_path: Path
) -> None:
    # The stack's material with another password in the user's file, as after
    # someone edited it: the same CA and broker, so only the password is wrong.
    material = tmp_path / "material"
    shutil.copytree(secure_stack.material.directory, material)
    (material / "secrets" / "kafka-barito.password").write_text("not-the-password")
    kafka = secure_stack.engine("kafka")
    engine = SecuredKafkaEngine(secure_stack.config, SecureMaterial(material))

    reason = engine.probe()

    assert reason is not None
    assert reason.startswith(
        f"authentication failed for user 'barito' (SCRAM-SHA-512) at {kafka.url}"
    ), reason
    assert "not-the-password" not in reason


def test_fresh_keeps_the_material_while_secured_engines_use_it(
    secure_stack: SecureStack,
) -> None:
    ca = secure_stack.material.cafile.read_bytes()

    output = _barito("stack", "up", "--secure", "--fresh").output

    assert f"the secure material at {secure_stack.material.directory} is kept" in output
    assert "still uses it (barito stack down --secure first to forget it)" in output
    assert secure_stack.material.cafile.read_bytes() == ca
    for name in SECURE_ENGINE_NAMES:
        assert f"{name}: already running" in output


@pytest.fixture
def private_secure_home() -> Iterator[dict[str, str]]:
    """The environment of a `barito` whose secured Postgres has a port and state of its own."""
    shared = load_config(REPO)
    shared.state_dir.parent.mkdir(parents=True, exist_ok=True)
    # Under /var/tmp/barito, not pytest's tmp_path: Postgres runs as nobody
    # when root starts it, and nobody cannot enter root's private temp folders.
    home = Path(tempfile.mkdtemp(prefix="secure-test-", dir=shared.state_dir.parent))
    home.chmod(0o755)
    definition = yaml.safe_load((REPO / "deploy/local/stack.yaml").read_text())
    definition["secure"]["postgres"]["port"] = free_port()
    (home / "deploy/local").mkdir(parents=True)
    (home / "deploy/local/stack.yaml").write_text(yaml.safe_dump(definition))
    env = {"BARITO_HOME": str(home), "BARITO_STACK_DIR": str(home / "stack")}
    try:
        yield env
    finally:
        config = dataclasses.replace(load_config(home), state_dir=home / "stack").secured()
        stack_down(config, ["postgres"], echo=lambda _line: None)
        shutil.rmtree(home, ignore_errors=True)


def test_the_material_survives_a_restart_and_fresh_forgets_it(
    private_secure_home: dict[str, str],
) -> None:
    env = private_secure_home
    material = Path(env["BARITO_STACK_DIR"] + "-secure") / "secure"

    _barito("stack", "up", "--secure", "postgres", env=env)
    ca, password = (material / "tls/ca.pem").read_bytes(), material / "secrets/postgres.password"
    first_password = password.read_text()
    _barito("stack", "down", "--secure", "postgres", env=env)
    again = _barito("stack", "up", "--secure", "postgres", env=env).output

    # Started again, it takes the password its clients have: the probe logs in with it.
    assert "postgres: ready at" in again
    assert (material / "tls/ca.pem").read_bytes() == ca
    assert password.read_text() == first_password

    _barito("stack", "down", "--secure", "postgres", env=env)
    fresh = _barito("stack", "up", "--secure", "--fresh", "postgres", env=env).output

    assert f"forgot the secure material (CA, certificates, passwords) at {material}" in fresh
    assert "postgres: ready at" in fresh
    assert (material / "tls/ca.pem").read_bytes() != ca
    assert password.read_text() != first_password
