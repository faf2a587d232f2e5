"""`barito up` (and `--secure`) start the receiver's forward and syslog listeners, and the
market shows agents exactly those addresses.

No engine runs here: only the services' environments.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from barito_cli.stack.config import StackConfig, load_config
from barito_cli.suite import SERVICES, service_environment
from barito_market.settings import MarketSettings
from barito_testing.stack import REPO


@pytest.fixture(params=["plain", "secure"])
def config(request: pytest.FixtureRequest, tmp_path: Path) -> StackConfig:
    plain = dataclasses.replace(load_config(REPO), state_dir=tmp_path / "stack")
    return plain.secured() if request.param == "secure" else plain


def test_the_market_shows_the_listeners_the_receiver_opens(config: StackConfig) -> None:
    receiver = service_environment(config, "receiver")
    market = service_environment(config, "market")
    # Valid market settings: what app owners are shown is checked at start-up.
    settings = MarketSettings(
        otlp_url_template=market["BARITO_OTLP_URL_TEMPLATE"],
        bulk_url_template=market["BARITO_BULK_URL_TEMPLATE"],
        forward_url_template=market["BARITO_FORWARD_URL_TEMPLATE"],
        syslog_url_template=market["BARITO_SYSLOG_URL_TEMPLATE"],
    )
    tls = config.is_secure
    shown = {
        "BARITO_FORWARD_PORT": urlsplit(settings.forward_url_template),
        # The market's forward_url: where the forward key's configurations point.
        "BARITO_FORWARD_HANDSHAKE_PORT": urlsplit(market["BARITO_FORWARD_URL"]),
        "BARITO_SYSLOG_PORT": urlsplit(settings.syslog_url_template),
    }
    for variable, url in shown.items():
        assert url.port == int(receiver[variable]), variable
        assert url.scheme == ("tls" if tls else "tcp"), variable
    assert receiver.get("BARITO_FORWARD_TLS") == receiver.get("BARITO_SYSLOG_TLS")
    assert (receiver.get("BARITO_FORWARD_TLS") == "true") is tls
    base = f"{'https' if tls else 'http'}://127.0.0.1:{receiver['BARITO_PORT']}"
    assert settings.bulk_url_template == base
    assert settings.otlp_url_template == f"{base}/v1/logs"


def test_the_listeners_ports_are_none_of_the_services_own(config: StackConfig) -> None:
    receiver = service_environment(config, "receiver")
    listeners = {
        int(receiver[name])
        for name in ("BARITO_FORWARD_PORT", "BARITO_FORWARD_HANDSHAKE_PORT", "BARITO_SYSLOG_PORT")
    }
    services = {int(service_environment(config, s)["BARITO_PORT"]) for s in SERVICES}
    assert len(listeners) == 3
    assert not listeners & services
    others = [s for s in SERVICES if s not in ("market", "receiver")]
    assert all(
        "BARITO_SYSLOG_PORT" not in service_environment(config, s)
        and "BARITO_SYSLOG_URL_TEMPLATE" not in service_environment(config, s)
        for s in others
    )
