"""`barito up` (and `--secure`) give the market, receiver and server one installation key file.

No engine runs here: only the state folder and the services' environments.
"""

from __future__ import annotations

import dataclasses
import stat
from pathlib import Path

import pytest

from barito_cli.stack.config import StackConfig, load_config
from barito_cli.suite import SERVICES, service_environment
from barito_common.installation_key import InstallationKey
from barito_testing.stack import REPO


@pytest.fixture(params=["plain", "secure"])
def config(request: pytest.FixtureRequest, tmp_path: Path) -> StackConfig:
    plain = dataclasses.replace(load_config(REPO), state_dir=tmp_path / "stack")
    return plain.secured() if request.param == "secure" else plain


def test_the_market_and_the_receiver_share_one_key_file_made_once_and_private(
    config: StackConfig,
) -> None:
    environments = {service: service_environment(config, service) for service in SERVICES}

    named = {
        service: env["BARITO_INSTALLATION_KEY_FILE"]
        for service, env in environments.items()
        if "BARITO_INSTALLATION_KEY_FILE" in env
    }
    assert set(named) == {"market", "receiver", "server"}
    assert named["market"] == named["receiver"]
    key_file = Path(named["market"])
    assert key_file.is_relative_to(config.state_dir)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text()
    InstallationKey(key)  # long enough to seal with

    # Started again, the stack keeps its key: forward keys sealed before still open.
    again = service_environment(config, "receiver")["BARITO_INSTALLATION_KEY_FILE"]
    assert again == str(key_file) and key_file.read_text() == key
