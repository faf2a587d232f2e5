"""The OTLP, Elasticsearch, forward and syslog configurations shown to an app owner.

Each carries the app's own secret and the endpoint the installation offers
for its protocol, is absent when the installation does not offer it, and is
the one docs/agents.md shows with placeholders. rsyslog's are checked by the
real rsyslogd (``-N1``: parse and validate, start nothing).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from pydantic import ValidationError

from barito_market.apps.agent_configs import AgentConfigs, agent_configs
from barito_market.apps.agent_configs.addresses import http_address, tcp_address
from barito_market.apps.agent_configs.elasticsearch import (
    filebeat_config,
    fluent_bit_es_config,
    logstash_config,
    rsyslog_elasticsearch_config,
    vector_config,
)
from barito_market.apps.agent_configs.forward import (
    fluent_bit_forward_config,
    fluentd_forward_config,
)
from barito_market.apps.agent_configs.otlp import otel_collector_config
from barito_market.apps.agent_configs.syslog import rsyslog_syslog_config
from barito_market.apps.endpoints import app_endpoints
from barito_market.settings import MarketSettings

AGENTS_MD = Path(__file__).resolve().parents[3] / "docs" / "agents.md"
RSYSLOGD = shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"
SECRET = "b_Q9x-Zk3LmN0pQrStUvWxYz0123456789abcdEFGHij"

ALL_OFFERED = {
    "ingest_url_template": "https://ingest.example.test/api/v1/logs",
    "otlp_url_template": "https://otlp.example.test/v1/logs",
    "bulk_url_template": "https://es.example.test:9243",
    "forward_url_template": "tls://forward.example.test:24224",
    "syslog_url_template": "tcp://syslog.example.test:10514",
}

BULK = {
    "filebeat": ('hosts: ["https://es.example.test:9243"]', 'password: "{secret}"'),
    "logstash": ('hosts => ["https://es.example.test:9243"]', 'password => "{secret}"'),
    "vector": ('endpoints: ["https://es.example.test:9243"]', 'password: "{secret}"'),
    "fluent_bit_es": ("Host               es.example.test", "HTTP_Passwd        {secret}"),
    "rsyslog_elasticsearch": ('server="https://es.example.test:9243"', 'pwd="{secret}"'),
}


def _configs(**templates: str) -> AgentConfigs:
    settings = MarketSettings(**{**ALL_OFFERED, **templates})
    endpoints = app_endpoints(settings, app_slug="checkout", group_slug="shop", cluster=None)
    return agent_configs(endpoints, secret=SECRET, app_slug="checkout")


def test_every_protocol_offered_gets_configs_with_the_apps_secret_and_endpoint() -> None:
    configs = _configs()
    assert configs.otel_collector is not None
    assert "logs_endpoint: https://otlp.example.test/v1/logs" in configs.otel_collector
    assert f"X-App-Secret: {SECRET}" in configs.otel_collector
    for field, (endpoint, secret) in BULK.items():
        config = getattr(configs, field)
        assert endpoint in config, field
        assert secret.format(secret=SECRET) in config, field
    assert configs.fluent_bit_forward is not None
    assert "Host                 forward.example.test" in configs.fluent_bit_forward
    assert "tls                  On" in configs.fluent_bit_forward
    assert f"Tag                  {SECRET}.checkout" in configs.fluent_bit_forward
    assert configs.fluentd_forward is not None
    assert f"<match {SECRET}.**>" in configs.fluentd_forward
    assert "transport tls" in configs.fluentd_forward
    assert "host forward.example.test" in configs.fluentd_forward
    assert configs.rsyslog_syslog is not None
    assert 'target="syslog.example.test" port="10514"' in configs.rsyslog_syslog
    assert f'[barito@32473 secret=\\"{SECRET}\\"]' in configs.rsyslog_syslog
    # Plain TCP: no TLS driver a plain listener would not understand.
    assert "StreamDriver" not in configs.rsyslog_syslog


@pytest.mark.parametrize(
    ("template", "fields"),
    [
        ("otlp_url_template", ["otel_collector"]),
        ("bulk_url_template", list(BULK)),
        ("forward_url_template", ["fluent_bit_forward", "fluentd_forward"]),
        ("syslog_url_template", ["rsyslog_syslog"]),
    ],
)
def test_a_protocol_the_installation_does_not_offer_has_no_configs(
    template: str, fields: list[str]
) -> None:
    configs = _configs(**{template: ""}).model_dump()
    assert [field for field in fields if configs[field] is not None] == []
    offered = [field for field, config in configs.items() if config is not None]
    assert offered and all(SECRET in configs[field] for field in offered)


def test_endpoints_show_what_is_offered_and_null_for_what_is_not() -> None:
    settings = MarketSettings(**{**ALL_OFFERED, "syslog_url_template": ""})
    endpoints = app_endpoints(settings, app_slug="checkout", group_slug="shop", cluster=None)
    assert endpoints.otlp == "https://otlp.example.test/v1/logs"
    assert endpoints.bulk == "https://es.example.test:9243"
    assert endpoints.forward == "tls://forward.example.test:24224"
    assert endpoints.syslog is None


@pytest.mark.parametrize(
    "address", ["udp://syslog.example.test:514", "tcp://syslog.example.test", "syslog:514"]
)
def test_a_forward_or_syslog_address_agents_could_not_use_is_refused_at_start_up(
    address: str,
) -> None:
    with pytest.raises(ValidationError, match="tcp://host:port or tls://host:port"):
        MarketSettings(syslog_url_template=address)
    with pytest.raises(ValidationError, match="tcp://host:port or tls://host:port"):
        MarketSettings(forward_url_template=address)


def test_addresses_keep_the_hosts_spelling_and_fill_in_the_schemes_port() -> None:
    assert http_address("https://Logs.Example.com/es/") == (
        "Logs.Example.com",
        443,
        True,
        "https://Logs.Example.com:443",
        "/es",
    )
    assert http_address("http://[::1]:9200").base == "http://[::1]:9200"
    assert tcp_address("tcp://10.0.0.1:18085")[:3] == ("10.0.0.1", 18085, False)


def test_a_path_prefix_reaches_every_elasticsearch_agent() -> None:
    app = {"bulk_url": "https://proxy.example.test/es", "secret": "s", "app_slug": "a"}
    assert 'path: "/es"' in filebeat_config(**app)
    assert '"https://proxy.example.test:443/es"' in logstash_config(**app)
    assert '"https://proxy.example.test:443/es"' in vector_config(**app)
    assert "Path               /es" in fluent_bit_es_config(**app)
    assert 'server="https://proxy.example.test:443/es"' in rsyslog_elasticsearch_config(**app)


PLACEHOLDERS = {"secret": "YOUR_APP_SECRET", "app_slug": "YOUR_APP_SLUG"}


@pytest.mark.parametrize(
    "config",
    [
        otel_collector_config(otlp_url="https://RECEIVER/v1/logs", secret="YOUR_APP_SECRET"),
        *(
            make(bulk_url="https://RECEIVER_HOST", **PLACEHOLDERS)
            for make in (
                filebeat_config,
                logstash_config,
                vector_config,
                fluent_bit_es_config,
                rsyslog_elasticsearch_config,
            )
        ),
        fluent_bit_forward_config(forward_url="tls://RECEIVER_HOST:24224", **PLACEHOLDERS),
        fluentd_forward_config(forward_url="tls://RECEIVER_HOST:24224", **PLACEHOLDERS),
        rsyslog_syslog_config(syslog_url="tls://RECEIVER_HOST:6514", **PLACEHOLDERS),
    ],
    ids=[
        "otel_collector",
        "filebeat",
        "logstash",
        "vector",
        "fluent_bit_es",
        "rsyslog_elasticsearch",
        "fluent_bit_forward",
        "fluentd_forward",
        "rsyslog_syslog",
    ],
)
def test_each_config_is_the_one_docs_agents_md_shows(config: str) -> None:
    assert f"\n{config}```" in AGENTS_MD.read_text()


def _rsyslogd_check(tmp_path: Path, config: str) -> subprocess.CompletedProcess[str]:
    conf = tmp_path / "barito.conf"
    conf.write_text(f'global(workDirectory="{tmp_path}")\n{config}')
    return subprocess.run(
        [RSYSLOGD, "-N1", "-f", str(conf)], capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize(
    "templates",
    [
        {"syslog_url_template": "tcp://127.0.0.1:18087", "bulk_url_template": "http://127.0.0.1"},
        {
            "syslog_url_template": "tls://logs.example.test:6514",
            "bulk_url_template": "https://logs.example.test:9243/es",
        },
    ],
    ids=["plain", "tls"],
)
def test_rsyslogd_accepts_both_rsyslog_configs_together(
    tmp_path: Path, templates: dict[str, str]
) -> None:
    configs = _configs(**templates)
    assert configs.rsyslog_syslog is not None
    assert configs.rsyslog_elasticsearch is not None
    both = configs.rsyslog_elasticsearch + configs.rsyslog_syslog
    checked = _rsyslogd_check(tmp_path, both)
    assert checked.returncode == 0, checked.stderr
    assert "error" not in checked.stderr.lower(), checked.stderr


def test_rsyslogd_check_catches_a_parameter_rsyslog_does_not_know(tmp_path: Path) -> None:
    """The check above would catch a wrong config: rsyslogd -N1 refuses unknown parameters."""
    config = _configs().rsyslog_syslog
    assert config is not None
    checked = _rsyslogd_check(tmp_path, config.replace("TCP_Framing", "TCP_Framin"))
    assert checked.returncode != 0
    assert "'TCP_Framin' not known" in checked.stderr
