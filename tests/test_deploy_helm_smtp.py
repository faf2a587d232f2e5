"""The Helm chart's mail server for alert email channels: the server and the market only.

The server sends alert mail and the market's "Send test" does; nothing else
is given the SMTP settings or the password's Secret. Rendered by the real
``helm``; the settings are built from what each container would see.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.chart_pods import container_view, secret_store
from tests.support.deploy import SETTINGS, render_chart, settings_from

pytestmark = pytest.mark.timeout(1800)

PASSWORD = "the mail relay's password from the operator's Secret"


def test_the_server_and_the_market_send_mail_with_the_password_as_a_file(
    tmp_path: Path,
) -> None:
    objects = render_chart(
        "--set", "smtp.host=smtp.example.com",
        "--set", "smtp.port=465",
        "--set", "smtp.security=tls",
        "--set", "smtp.username=alerts",
        "--set", "smtp.passwordSecret.name=barito-smtp",
        "--set", "smtp.sender=alerts@example.com",
    )  # fmt: skip
    store = {**secret_store(objects), "barito-smtp": {"smtp-password": f"{PASSWORD}\n"}}

    for service in SETTINGS:
        view = container_view(objects, service, store)
        given = "barito-smtp" in view.secrets
        assert given == (service in ("market", "server")), service
        if not given:
            assert not any(name.startswith("BARITO_SMTP__") for name in view.plain_env), service
            continue
        mount, volume = view.mounts[str(Path(view.plain_env["BARITO_SMTP__PASSWORD_FILE"]).parent)]
        assert mount["readOnly"] is True and volume["projected"]["defaultMode"] == 0o440
        smtp = settings_from(SETTINGS[service], view.materialize(store, tmp_path / service)).smtp
        assert (smtp.host, smtp.port, smtp.security) == ("smtp.example.com", 465, "tls")
        assert (smtp.username, smtp.sender) == ("alerts", "alerts@example.com")
        assert smtp.password.get_secret_value() == PASSWORD


def test_without_a_host_no_service_is_given_a_mail_server() -> None:
    objects = render_chart()
    for service in SETTINGS:
        view = container_view(objects, service)
        assert not any(name.startswith("BARITO_SMTP__") for name in view.plain_env), service
