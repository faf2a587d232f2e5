"""The Helm chart's installation key: one Secret key, a read-only file in three services.

The market seals apps' forward keys and alert channels' secrets under it;
the receiver and the tail server open them, so the three read the same file
(``BARITO_INSTALLATION_KEY_FILE``); no other service is given it. Rendered
by the real ``helm``; each service's settings are built from what its
container would see (``tests/support/chart_pods.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.chart_pods import container_view, secret_store
from tests.support.deploy import SETTINGS, render_chart, settings_from

pytestmark = pytest.mark.timeout(1800)

KEY = "an installation key from the operator's Secret, long enough"
SETTING = "BARITO_INSTALLATION_KEY_FILE"


def test_the_market_and_the_receiver_read_the_installation_key_from_the_operators_secret(
    tmp_path: Path,
) -> None:
    objects = render_chart(
        "--set", "installation.keySecret.name=barito-installation",
        "--set", "installation.keySecret.key=key",
    )  # fmt: skip
    store = {**secret_store(objects), "barito-installation": {"key": f"{KEY}\n"}}

    for service in SETTINGS:
        view = container_view(objects, service, store)
        given = "barito-installation" in view.secrets
        assert given == (service in ("market", "receiver", "server")), service
        if not given:
            assert SETTING not in view.plain_env, service
            continue
        path = view.plain_env[SETTING]
        assert view.files[path] == ("barito-installation", "key")
        mount, volume = view.mounts[str(Path(path).parent)]
        assert mount["readOnly"] is True and volume["projected"]["defaultMode"] == 0o440
        settings = settings_from(SETTINGS[service], view.materialize(store, tmp_path / service))
        assert settings.installation_key.get_secret_value() == KEY


def test_without_a_secret_named_no_service_is_given_an_installation_key() -> None:
    objects = render_chart()
    for service in SETTINGS:
        view = container_view(objects, service)
        assert SETTING not in view.plain_env, service
        assert not [p for p in view.mounts if p.endswith("/installation")], service
