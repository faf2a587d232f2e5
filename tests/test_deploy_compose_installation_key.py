"""deploy/docker/compose.installation-key.yaml: one key file, a secret of market, receiver, server.

Loaded over docker-compose.yml by the Compose Specification's own loader
(``tools/composecheck``), as ``docker compose -f ... -f ...`` would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.deploy import (
    COMPOSE_FILE,
    REPO,
    SETTINGS,
    compose_project,
    load_json,
    settings_from,
)

pytestmark = pytest.mark.timeout(1800)

OVERRIDE = REPO / "deploy" / "docker" / "compose.installation-key.yaml"
SETTING = "BARITO_INSTALLATION_KEY_FILE"
KEY = "an installation key in a file on the compose host, long enough"


def test_the_market_and_the_receiver_read_the_key_file_as_a_secret(tmp_path: Path) -> None:
    key_file = tmp_path / "installation-key"
    key_file.write_text(f"{KEY}\n")
    project: dict[str, Any] = load_json(
        compose_project(COMPOSE_FILE, OVERRIDE, env={"BARITO_INSTALLATION_KEY_PATH": str(key_file)})
    )

    assert project["secrets"]["installation-key"]["file"] == str(key_file)
    for service in SETTINGS:
        definition = project["services"][service]
        environment = definition.get("environment") or {}
        if service not in ("market", "receiver", "server"):
            assert SETTING not in environment and not definition.get("secrets"), service
            continue
        [secret] = definition["secrets"]
        assert secret["source"] == "installation-key"
        assert environment[SETTING] == secret["target"]
        # The service reads the mounted file; here it is the host's file.
        env = {k: v for k, v in environment.items() if k.startswith("BARITO_")}
        settings = settings_from(SETTINGS[service], {**env, SETTING: str(key_file)})
        assert settings.installation_key.get_secret_value() == KEY


def test_without_a_key_file_named_the_override_is_refused_saying_which_variable() -> None:
    result = compose_project(COMPOSE_FILE, OVERRIDE)
    assert result.returncode != 0
    assert "BARITO_INSTALLATION_KEY_PATH" in result.stderr
