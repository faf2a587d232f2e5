"""The Helm chart (deploy/helm/barito), linted and rendered by the real ``helm``.

``helm`` is built from its Go module (``tools/helm``, helm.sh/helm/v3 pinned)
and cached. The chart is rendered with its default values and with a
production-like values file (``ci/production-values.yaml``), and what it
renders is held to the code: every BARITO_ setting it gives a service is one
that service reads and accepts (and every BARITO_CANARY_ one an option of
``barito canary``), probes ask ``/healthz`` and ``/readyz``, and the values
schema refuses a mistyped value. The production values turn the canary on.
``ci/service-tls-values.yaml`` has every service serve TLS itself from a
mounted certificate Secret (probes, Prometheus and the services' calls to
each other over HTTPS); the production values end TLS at the ingress.
``ci/secured-engines-values.yaml`` points Barito at secured engines, their
secrets mounted as files (``test_deploy_helm_secured_engines.py``); here
every rendering's settings are built as the services would, reading the
mounted Secret files (``tests/support/chart_pods.py`` writes them).
The server-side dry run against a real API server is
``test_deploy_kubernetes_dry_run.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from barito_common.settings import ServiceSettings
from tests.support.chart_pods import by_kind, container_view, secret_store
from tests.support.deploy import (
    CHART,
    PRODUCTION_VALUES,
    SECURED_ENGINES_VALUES,
    SERVICE_TLS_VALUES,
    SERVICES,
    SETTINGS,
    canary_env_names,
    canary_options_from,
    env_names,
    render_chart,
    run_helm,
    settings_from,
)

# A cold `make test` builds the tools first (`make tools`); run alone, the first
# test may build helm (minutes on two cores) inside its own time.
pytestmark = pytest.mark.timeout(1800)

VALUES = {
    "default": [],
    "production": ["-f", str(PRODUCTION_VALUES)],
    "service-tls": ["-f", str(SERVICE_TLS_VALUES)],
    "secured-engines": ["-f", str(SECURED_ENGINES_VALUES)],
}
# The components each rendering runs: the canary is off by default.
COMPONENTS = {
    "default": set(SERVICES),
    "production": {*SERVICES, "canary"},
    "service-tls": {*SERVICES, "canary"},
    "secured-engines": set(SERVICES),
}
# Renderings whose ServiceMonitors are on.
MONITORED = {"production", "service-tls"}
# Not a setting of Barito's: the trust store of Python's ssl and httpx, set
# for the services that call another one when the services serve TLS.
TRUST_STORE = "SSL_CERT_FILE"


@pytest.fixture(scope="module", params=list(VALUES))
def rendered(request: pytest.FixtureRequest) -> tuple[str, list[dict[str, Any]]]:
    name: str = request.param
    return name, render_chart(*VALUES[name])


def _service_env(objects: list[dict[str, Any]], service: str) -> dict[str, str]:
    """The service's variables: its ConfigMap, its env entries, Secret references resolved."""
    return container_view(objects, service).env(secret_store(objects))


def _settings(objects: list[dict[str, Any]], service: str, root: Path) -> ServiceSettings:
    """The settings the service builds at start-up, its mounted Secret files written under root."""
    store = secret_store(objects)
    env = container_view(objects, service, store).materialize(store, root / service)
    return settings_from(SETTINGS[service], env)  # raises as the service would


@pytest.mark.parametrize("values", list(VALUES))
def test_helm_lint_passes_strictly(values: str) -> None:
    result = run_helm("lint", CHART, "--strict", *VALUES[values])
    assert "0 chart(s) failed" in result.stdout


def test_the_chart_renders_every_object_a_service_needs(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    values, objects = rendered
    for kind in ("Deployment", "Service", "ConfigMap"):
        assert set(by_kind(objects, kind)) == COMPONENTS[values], (values, kind)
    assert {"receiver", "flow"} <= set(by_kind(objects, "HorizontalPodAutoscaler")), values
    # Replicated services keep one pod through a node drain.
    assert {"market", "receiver", "flow", "server"} <= set(by_kind(objects, "PodDisruptionBudget"))
    (ingress,) = [o for o in objects if o["kind"] == "Ingress"]
    backends = {
        path["backend"]["service"]["name"]
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert {"barito-market", "barito-receiver"} <= backends
    monitors = set(by_kind(objects, "ServiceMonitor"))
    assert monitors == (COMPONENTS[values] if values in MONITORED else set())
    # Deployments with an autoscaler leave the replica count to it.
    for service in by_kind(objects, "HorizontalPodAutoscaler"):
        assert "replicas" not in by_kind(objects, "Deployment")[service]["spec"]


def test_every_setting_the_chart_gives_is_read_and_accepted_by_its_service(
    rendered: tuple[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    values, objects = rendered
    for service, cls in SETTINGS.items():
        env = _service_env(objects, service)
        unknown = set(env) - env_names(cls) - {TRUST_STORE}
        assert not unknown, f"{values}: {service} does not read {sorted(unknown)}"
        settings = _settings(objects, service, tmp_path)
        assert settings.environment == "production"
        ports = by_kind(objects, "Service")[service]["spec"]["ports"]
        assert [p["port"] for p in ports] == [settings.port], (values, service)


def test_services_address_each_other_through_their_kubernetes_services(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    values, objects = rendered
    services = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Service"}
    server = _service_env(objects, "server")["BARITO_MARKET_URL"]
    provisioner = _service_env(objects, "provisioner")["BARITO_SHARED__FLOW_URL"]
    scheme = "https" if values == "service-tls" else "http"
    for url, target in ((server, "market"), (provisioner, "flow")):
        assert url.startswith(f"{scheme}://"), (values, url)
        host, port = url.removeprefix(f"{scheme}://").split(":")
        assert services[host]["metadata"]["labels"]["app.kubernetes.io/component"] == target
        assert services[host]["spec"]["ports"][0]["port"] == int(port)


def test_pods_are_probed_resourced_and_not_root(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    values, objects = rendered
    for service, deployment in by_kind(objects, "Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz", service
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz", service
        assert container["resources"]["requests"].keys() >= {"cpu", "memory"}, service
        assert pod["securityContext"]["runAsNonRoot"] is True, service
        assert container["securityContext"]["allowPrivilegeEscalation"] is False, service
        # A secret never sits in a ConfigMap or a plain env value.
        for entry in container.get("env", []):
            assert "valueFrom" in entry, (values, service, entry["name"])


def test_the_canarys_settings_are_options_it_reads_and_point_at_the_services(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    values, objects = rendered
    if "canary" not in COMPONENTS[values]:
        objects = render_chart(
            *VALUES[values], "--set", "canary.enabled=true",
            "--set", "canary.existingSecret=barito-canary",
        )  # fmt: skip
    env = _service_env(objects, "canary")
    unknown = set(env) - canary_env_names() - {TRUST_STORE}
    assert not unknown, f"{values}: barito canary does not read {sorted(unknown)}"
    options = canary_options_from(env)  # refused as `barito-canary` would refuse it
    ports = by_kind(objects, "Service")["canary"]["spec"]["ports"]
    assert [p["port"] for p in ports] == [options["listen"][1]], values
    assert options["listen"][0] == "0.0.0.0"
    # By default the canary reaches the chart's own Services; production goes
    # through the public URLs, ingress and TLS included.
    services = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Service"}
    for option, target in (
        ("ingest_url", "receiver"),
        ("tail_url", "server"),
        ("market_url", "market"),
    ):
        url = options[option]
        if values == "production":
            assert url.startswith("https://"), (option, url)
            continue
        scheme = "https" if values == "service-tls" else "http"
        host, port = url.removeprefix(f"{scheme}://").split(":")
        assert services[host]["metadata"]["labels"]["app.kubernetes.io/component"] == target
        assert services[host]["spec"]["ports"][0]["port"] == int(port)
    # SIGTERM lets it drain its last markers, up to one deadline.
    pod = by_kind(objects, "Deployment")["canary"]["spec"]["template"]["spec"]
    assert pod["terminationGracePeriodSeconds"] > options["deadline"]


def test_the_canary_is_off_by_default_and_needs_a_secret_when_on() -> None:
    objects = render_chart()
    assert not [o for o in objects if "canary" in o["metadata"]["name"]]
    result = run_helm("template", "barito", CHART, "--set", "canary.enabled=true", check=False)
    assert result.returncode != 0
    assert "canary.existingSecret is required" in result.stderr


def test_secrets_come_from_the_operators_secret_when_one_is_named() -> None:
    objects = render_chart("-f", str(PRODUCTION_VALUES))
    assert not [o for o in objects if o["kind"] == "Secret"]
    market = by_kind(objects, "Deployment")["market"]["spec"]["template"]["spec"]
    refs = {e["valueFrom"]["secretKeyRef"]["name"] for e in market["containers"][0]["env"]}
    assert refs == {"barito-production-settings"}


def _mounts_and_volumes(deployment: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    return container.get("volumeMounts", []), pod.get("volumes", [])


def test_services_serve_tls_from_a_mounted_secret_and_are_probed_over_https_when_asked(
    rendered: tuple[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    values, objects = rendered
    tls = values == "service-tls"
    deployments = by_kind(objects, "Deployment")
    for service in SETTINGS:
        container = deployments[service]["spec"]["template"]["spec"]["containers"][0]
        schemes = {
            container[probe]["httpGet"]["scheme"]
            for probe in ("startupProbe", "livenessProbe", "readinessProbe")
        }
        assert schemes == {"HTTPS" if tls else "HTTP"}, (values, service)
        settings = _settings(objects, service, tmp_path)
        mounts, volumes = _mounts_and_volumes(deployments[service])
        secrets = {v["name"]: v["secret"] for v in volumes if "secret" in v}
        if not tls:
            assert settings.tls_certfile is None and not secrets, (values, service)
            continue
        # The whole Secret, read-only, without subPath: a renewal reaches the files.
        (mount,) = [m for m in mounts if m["name"] in secrets]
        assert mount["readOnly"] is True and "subPath" not in mount, service
        assert secrets[mount["name"]]["secretName"] == "barito-listeners"
        assert secrets[mount["name"]]["defaultMode"] == 0o440
        assert settings.tls_certfile == f"{mount['mountPath']}/tls.crt", service
        assert settings.tls_keyfile == f"{mount['mountPath']}/tls.key", service
        # Who calls another service trusts the Secret's CA; no one else is told to.
        trust = _service_env(objects, service).get(TRUST_STORE)
        calls_others = service in ("server", "provisioner")
        assert trust == (f"{mount['mountPath']}/ca.crt" if calls_others else None), service
    for service, monitor in by_kind(objects, "ServiceMonitor").items():
        (endpoint,) = monitor["spec"]["endpoints"]
        if tls and service != "canary":
            assert endpoint["scheme"] == "https"
            assert endpoint["tlsConfig"]["serverName"] == f"barito-{service}"
            assert endpoint["tlsConfig"]["ca"]["secret"] == {
                "name": "barito-listeners",
                "key": "ca.crt",
            }
        else:
            assert endpoint.get("scheme", "http") == "http", (values, service)
    if tls:
        # The canary gets the CA alone, never the listeners' private key.
        mounts, volumes = _mounts_and_volumes(deployments["canary"])
        (volume,) = [v for v in volumes if "secret" in v]
        assert volume["secret"]["items"] == [{"key": "ca.crt", "path": "ca.crt"}]
        assert _service_env(objects, "canary")[TRUST_STORE].endswith("/ca.crt")


def test_without_a_ca_key_no_trust_store_is_replaced(tmp_path: Path) -> None:
    # SSL_CERT_FILE replaces a process's whole trust store: only when asked.
    objects = render_chart(
        "--set", "tls.enabled=true", "--set", "tls.secretName=barito-listeners",
        "--set", "canary.enabled=true", "--set", "canary.existingSecret=barito-canary",
        "--set", "monitoring.serviceMonitor.enabled=true",
    )  # fmt: skip
    for component in COMPONENTS["service-tls"]:
        assert TRUST_STORE not in _service_env(objects, component), component
    _, volumes = _mounts_and_volumes(by_kind(objects, "Deployment")["canary"])
    assert not [v for v in volumes if "secret" in v]
    for service in SERVICES:
        (endpoint,) = by_kind(objects, "ServiceMonitor")[service]["spec"]["endpoints"]
        assert endpoint["scheme"] == "https" and "ca" not in endpoint["tlsConfig"]
    assert _settings(objects, "server", tmp_path).tls_certfile


def test_tls_at_the_ingress_names_its_secret_and_hosts() -> None:
    (ingress,) = [o for o in render_chart() if o["kind"] == "Ingress"]
    assert "tls" not in ingress["spec"]
    objects = render_chart(
        "--set", "ingress.tls[0].secretName=barito-tls",
        "--set", "ingress.tls[0].hosts={barito.example.com,ingest.barito.example.com}",
    )  # fmt: skip
    (ingress,) = [o for o in objects if o["kind"] == "Ingress"]
    assert ingress["spec"]["tls"] == [
        {"secretName": "barito-tls", "hosts": ["barito.example.com", "ingest.barito.example.com"]}
    ]
    # The services behind it stay on plain HTTP inside the cluster.
    for deployment in by_kind(objects, "Deployment").values():
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["livenessProbe"]["httpGet"]["scheme"] == "HTTP"
    assert "BARITO_TLS_CERTFILE" not in _service_env(objects, "market")
    assert _service_env(objects, "market")["BARITO_SESSION_COOKIE_SECURE"] == "true"


def test_the_values_schema_refuses_mistakes_before_anything_is_applied(tmp_path: Path) -> None:
    mistakes = {
        # Half an option: TLS on without its Secret, an ingress TLS entry
        # without its Secret or without its hosts.
        "tls.enabled=true": "/tls/secretName",
        "ingress.tls[0].hosts={barito.example.com}": "missing property 'secretName'",
        "ingress.tls[0].secretName=barito-tls": "missing property 'hosts'",
        "kafka.bootstrapserver=kafka:9092": "bootstrapserver",
        "search.engine=solr": "search/engine",
        "market.env.SIGNUP=false": "does not match pattern",
        "receiver.autoscaling.maxReplicas=0": "maxReplicas",
        "canary.intervalSeconds=0": "intervalSeconds",
        "canary.env.BARITO_PORT=1": "does not match pattern",
    }
    for assignment, message in mistakes.items():
        result = run_helm("template", "barito", CHART, "--set", assignment, check=False)
        assert result.returncode != 0, assignment
        assert message in result.stderr, (assignment, result.stderr)
