"""docker-compose.yml, loaded by the Compose Specification's own loader.

Before anything runs (``tests/test_compose_walk.py`` runs it),
``tools/composecheck`` loads the file with
``github.com/compose-spec/compose-go`` (schema, interpolation, profiles,
depends_on, volumes: what ``docker compose`` does before it starts anything)
and prints the normalized project. These tests then hold it to the code:
every BARITO_ variable is a setting the service reads (the services refuse
unknown ones at start-up), each service's settings build, every address
names a service on the compose network, and start order waits for health.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from barito_flow.settings import FlowSettings
from barito_market.settings import MarketSettings
from barito_provisioner.settings import ProvisionerSettings
from barito_receiver.settings import ReceiverSettings
from barito_server.settings import ServerSettings
from tests.support.deploy import (
    COMPOSE_FILE,
    LOCAL_COMPOSE_OVERRIDE,
    REPO,
    SERVICES,
    SETTINGS,
    compose_project,
    dockerfile_reports,
    env_names,
    load_json,
    required_env_names,
    settings_from,
)

# A cold `make test` builds the tools first (`make tools`); run alone, the first
# test builds its Go tool (under a minute cold on two cores) inside its own time.
pytestmark = pytest.mark.timeout(1800)

ENGINES_WITH_DATA = ("kafka", "elasticsearch", "opensearch", "postgres")


@pytest.fixture(scope="module")
def project() -> dict[str, Any]:
    loaded: dict[str, Any] = load_json(compose_project())
    return loaded


@pytest.fixture(scope="module")
def image_env() -> dict[str, dict[str, str]]:
    """The ENV each service's image sets (BARITO_HOST, BARITO_PORT, ...)."""
    reports = load_json(
        dockerfile_reports(*(REPO / "services" / s / "Dockerfile" for s in SERVICES))
    )
    return {
        service: {
            pair["key"]: pair["value"]
            for command in report["stages"][-1]["commands"]
            for pair in command.get("env") or []
        }
        for service, report in zip(SERVICES, reports, strict=True)
    }


def _barito_env(service: dict[str, Any]) -> dict[str, str]:
    return {k: v for k, v in (service.get("environment") or {}).items() if k.startswith("BARITO_")}


def test_plain_up_and_the_opensearch_profile_both_load() -> None:
    plain = load_json(compose_project(profiles=""))
    everything = load_json(compose_project(profiles="*"))
    assert set(SERVICES) | {"kafka", "elasticsearch", "kibana", "postgres"} == set(
        plain["services"]
    )
    assert set(everything["services"]) - set(plain["services"]) == {
        "opensearch",
        "opensearch-dashboards",
    }


def test_the_loader_refuses_what_docker_compose_would_refuse(tmp_path: Path) -> None:
    document = yaml.safe_load(COMPOSE_FILE.read_text())
    cases: dict[str, tuple[dict[str, Any], str]] = {
        "misspelled key": ({"enviroment": {"BARITO_LOG_LEVEL": "INFO"}}, "enviroment"),
        "unknown dependency": (
            {"depends_on": {"zookeeper": {"condition": "service_healthy"}}},
            'undefined service "zookeeper"',
        ),
        "undeclared volume": ({"volumes": ["missing-data:/data"]}, "undefined volume missing-data"),
    }
    for name, (change, message) in cases.items():
        broken = dict(document, services=dict(document["services"]))
        broken["services"]["receiver"] = dict(document["services"]["receiver"], **change)
        path = tmp_path / f"{name.replace(' ', '-')}.yml"
        path.write_text(yaml.safe_dump(broken))
        result = compose_project(path)
        assert result.returncode != 0, f"{name}: loaded"
        assert message in result.stderr, result.stderr


def test_every_barito_variable_is_a_setting_the_service_reads(
    project: dict[str, Any], image_env: dict[str, dict[str, str]]
) -> None:
    # The settings classes forbid unknown fields: an unknown variable would
    # stop the service at start-up, a misspelt one would be silently ignored.
    unknown = {
        service: sorted(set(_barito_env(project["services"][service])) - env_names(cls))
        for service, cls in SETTINGS.items()
    }
    assert {service: names for service, names in unknown.items() if names} == {}
    # Images and compose file together set every setting the code requires.
    for service, cls in SETTINGS.items():
        given = set(image_env[service]) | set(_barito_env(project["services"][service]))
        assert required_env_names(cls) <= given, service
    # The check knows a setting of one service from another's.
    assert "BARITO_DATABASE__URL" in env_names(MarketSettings)
    assert "BARITO_DATABASE__URL" not in env_names(ReceiverSettings)
    assert "BARITO_SHARED__FLOW_URL" in env_names(ProvisionerSettings)


def test_every_service_starts_with_the_settings_compose_gives_it(
    project: dict[str, Any], image_env: dict[str, dict[str, str]]
) -> None:
    names = set(project["services"])
    for service, cls in SETTINGS.items():
        env = {**image_env[service], **_barito_env(project["services"][service])}
        settings = settings_from(cls, env)  # raises as the service would
        # Production mode refuses settings that only fit a developer's machine.
        assert settings.environment == "production", service
        # A container's 127.0.0.1 is itself: every address names a compose service.
        for broker in settings.kafka.bootstrap_servers.split(","):
            assert broker.rsplit(":", 1)[0] in names, f"{service}: Kafka at {broker}"
        search = getattr(settings, "search", None)
        if search is not None:
            assert urlsplit(search.url).hostname in names, f"{service}: search at {search.url}"
        # Each service listens where its image's health check and ports look.
        ports = {p["target"] for p in project["services"][service].get("ports", [])}
        assert settings.port in ports, service
    market = settings_from(MarketSettings, _barito_env(project["services"]["market"]))
    assert isinstance(market, MarketSettings) and market.database.url is not None
    assert urlsplit(market.database.url.get_secret_value()).hostname == "postgres"
    server = settings_from(ServerSettings, _barito_env(project["services"]["server"]))
    assert isinstance(server, ServerSettings)
    assert urlsplit(server.market_url).hostname == "market"
    assert urlsplit(server.market_url).port == MarketSettings.model_fields["port"].default


def test_the_opensearch_profile_as_documented_points_every_service_at_opensearch() -> None:
    # The variables docs/deploy.md gives for the opensearch profile.
    documented = {
        "SEARCH_ENGINE": "opensearch",
        "SEARCH_URL": "http://opensearch:9200",
        "PROVISIONER_KIBANA_URL": "http://opensearch-dashboards:5601",
        "VIEWER_URL": "http://127.0.0.1:5602",
    }
    command = (REPO / "docs" / "deploy.md").read_text()
    assert all(f"{name}={value}" in command for name, value in documented.items())
    project = load_json(compose_project(profiles="opensearch", env=documented))
    services = project["services"]
    for service in ("market", "provisioner", "flow"):
        settings = settings_from(SETTINGS[service], _barito_env(services[service]))
        assert isinstance(settings, MarketSettings | ProvisionerSettings | FlowSettings)
        search = settings.search
        assert (search.engine, urlsplit(search.url).hostname) == ("opensearch", "opensearch")
    provisioner = settings_from(ProvisionerSettings, _barito_env(services["provisioner"]))
    assert isinstance(provisioner, ProvisionerSettings) and provisioner.shared.kibana_url
    assert urlsplit(provisioner.shared.kibana_url).hostname in services


def test_services_start_only_once_what_they_need_is_healthy(project: dict[str, Any]) -> None:
    services = project["services"]
    needs = {
        "market": {"kafka", "postgres", "elasticsearch"},
        "receiver": {"kafka"},
        "provisioner": {"kafka", "elasticsearch"},
        "flow": {"kafka", "elasticsearch"},
        "server": {"kafka", "market"},
    }
    for service, required in needs.items():
        depends = services[service]["depends_on"]
        assert required <= set(depends), service
        for dependency in required:
            assert depends[dependency]["condition"] == "service_healthy", (service, dependency)
            # Health needs a check: the engines' are in the file, ours in the images.
            assert "healthcheck" in services[dependency] or dependency in SERVICES
    # With the opensearch profile the search services wait for OpenSearch too.
    for service in ("market", "provisioner", "flow"):
        assert services[service]["depends_on"]["opensearch"]["condition"] == "service_healthy"


def test_engines_keep_their_data_in_named_volumes(project: dict[str, Any]) -> None:
    declared = set(project["volumes"])
    for engine in ENGINES_WITH_DATA:
        volumes = project["services"][engine]["volumes"]
        assert any(v["type"] == "volume" and v["source"] in declared for v in volumes), engine
    # Kafka writes where its volume is, not in the image's default under /tmp.
    (kafka_volume,) = project["services"]["kafka"]["volumes"]
    assert project["services"]["kafka"]["environment"]["KAFKA_LOG_DIRS"] == kafka_volume["target"]


def test_each_service_is_built_from_its_own_dockerfile(project: dict[str, Any]) -> None:
    for service in SERVICES:
        build = project["services"][service]["build"]
        assert Path(build["context"]) == REPO
        assert build["dockerfile"] == f"services/{service}/Dockerfile"
        assert (REPO / build["dockerfile"]).is_file()


def test_nothing_is_published_beyond_the_hosts_loopback(project: dict[str, Any]) -> None:
    # The engines run without authentication (Elasticsearch security off,
    # Postgres trusting its network): a port on every interface would open
    # them to the whole network the machine sits on.
    published = {
        f"{name}:{port['published']}": port.get("host_ip")
        for name, service in project["services"].items()
        for port in service.get("ports", [])
    }
    assert published, "no port published"
    assert {where: ip for where, ip in published.items() if ip != "127.0.0.1"} == {}


# --- deploy/docker/compose.local.yaml, merged over docker-compose.yml ---------

LOCAL_STACK_PORTS = {19092, 19093, 19200, 19201, 19300, 19301, 15433, *range(18080, 18085)}


@pytest.fixture(scope="module")
def local_project() -> dict[str, Any]:
    loaded: dict[str, Any] = load_json(compose_project(COMPOSE_FILE, LOCAL_COMPOSE_OVERRIDE))
    return loaded


def _port(address: str) -> int:
    port = urlsplit(address if "//" in address else f"tcp://{address}").port
    assert port is not None, address
    return port


def test_the_local_override_runs_every_container_on_the_hosts_network(
    local_project: dict[str, Any],
) -> None:
    plain = load_json(compose_project(COMPOSE_FILE, LOCAL_COMPOSE_OVERRIDE, profiles=""))
    # Kibana and OpenSearch Dashboards have no artifact without a registry.
    assert set(plain["services"]) == set(SERVICES) | {"kafka", "elasticsearch", "postgres"}
    for name, service in local_project["services"].items():
        assert service.get("network_mode") == "host", name
        assert not service.get("ports"), f"{name}: host networking publishes nothing"
    engines = {name: local_project["services"][name] for name in ENGINES_WITH_DATA}
    for name, engine in engines.items():
        # Built here (barito_cli.stack.engine_images); a pull could only fail.
        assert engine["image"].startswith("barito-local/"), name
        assert engine["pull_policy"] == "never", name
        assert "healthcheck" in engine, name
    # The file users read keeps the official images.
    official = load_json(compose_project())
    assert official["services"]["kafka"]["image"].startswith("apache/kafka:")
    assert official["services"]["kafka"].get("network_mode") is None


def test_the_local_override_gives_every_service_settings_it_reads(
    local_project: dict[str, Any], image_env: dict[str, dict[str, str]]
) -> None:
    services = local_project["services"]
    unknown = {
        service: sorted(set(_barito_env(services[service])) - env_names(cls))
        for service, cls in SETTINGS.items()
    }
    assert {service: names for service, names in unknown.items() if names} == {}
    ports: dict[str, int] = {}
    for service, cls in SETTINGS.items():
        env = {**image_env[service], **_barito_env(services[service])}
        settings = settings_from(cls, env)  # raises as the service would
        assert settings.environment == "production", service
        # On the host's network every address is the loopback and a port.
        assert settings.host == "127.0.0.1", service
        assert settings.kafka.bootstrap_servers == "127.0.0.1:29092", service
        search = getattr(settings, "search", None)
        if search is not None:
            assert search.url == "http://127.0.0.1:29200", service
        ports[service] = settings.port
    assert ports == dict(zip(SERVICES, range(28080, 28085), strict=True))
    market = settings_from(MarketSettings, _barito_env(services["market"]))
    assert isinstance(market, MarketSettings) and market.database.url is not None
    assert _port(market.database.url.get_secret_value()) == 25433
    # What app owners are shown points at this stack's receiver and tail server.
    assert _port(market.ingest_url_template) == ports["receiver"]
    assert _port(market.tail_url_template.format(app="a", group="g")) == ports["server"]
    server = settings_from(ServerSettings, _barito_env(services["server"]))
    assert isinstance(server, ServerSettings) and _port(server.market_url) == ports["market"]
    provisioner = settings_from(ProvisionerSettings, _barito_env(services["provisioner"]))
    assert isinstance(provisioner, ProvisionerSettings)
    assert provisioner.shared.flow_url is not None
    assert _port(provisioner.shared.flow_url) == ports["flow"]
    assert not provisioner.shared.kibana_url, "no viewer runs without a registry"


def test_the_local_override_stays_off_the_local_stacks_ports(
    local_project: dict[str, Any],
) -> None:
    services = local_project["services"]
    kafka = services["kafka"]["environment"]
    listening = {
        "kafka": {_port(a.split("://", 1)[1]) for a in kafka["KAFKA_LISTENERS"].split(",")},
        "elasticsearch": {
            int(services["elasticsearch"]["environment"][k])
            for k in ("http.port", "transport.port")
        },
        "opensearch": {
            int(services["opensearch"]["environment"][k]) for k in ("http.port", "transport.port")
        },
        "postgres": {int(services["postgres"]["environment"]["PGPORT"])},
        **{s: {int(services[s]["environment"]["BARITO_PORT"])} for s in SERVICES},
    }
    assert listening["kafka"] == {29092, 29093}
    every = [port for ports in listening.values() for port in ports]
    assert len(every) == len(set(every)), listening
    assert set(every) & LOCAL_STACK_PORTS == set()
    # Kafka advertises the address its clients are given.
    assert kafka["KAFKA_ADVERTISED_LISTENERS"] == "INTERNAL://127.0.0.1:29092"
