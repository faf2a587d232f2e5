"""Every object the Helm chart renders, validated by a real kube-apiserver.

``barito stack up --with kubernetes`` runs kube-apiserver and etcd, built from
the Go module proxy and cached (see ``test_provisioner_kubernetes.py``). Each
rendered object is sent as a server-side apply with ``dryRun=All`` and
``fieldValidation=Strict``: the API server runs its defaulting, validation
and admission on it and stores nothing. So a misspelt field, a wrong type or
an invalid value fails here as it would in ``helm install``.

A bare API server does not know the Prometheus Operator's ServiceMonitor, so
its CustomResourceDefinition is generated first, by controller-gen from the
operator's own Go API types (both pinned in tools/servicemonitor-crd), and
installed: the chart's ServiceMonitors are then validated against its schema.
"""

from __future__ import annotations

import copy
import ssl
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from barito_cli.stack.config import load_config
from barito_cli.stack.engines import OPTIONAL_ENGINES
from barito_cli.stack.kubernetes import kubernetes_access
from barito_cli.stack.manager import stack_up
from tests.support.deploy import (
    PRODUCTION_VALUES,
    REPO,
    SECURED_ENGINES_VALUES,
    SERVICE_TLS_VALUES,
    render_chart,
    servicemonitor_crd,
)

# The first run may build kube-apiserver from source (a quarter of an hour on
# two cores); later runs reuse the cached binary.
pytestmark = [pytest.mark.stack, pytest.mark.timeout(3600)]

NAMESPACE = "default"  # exists on every API server; a dry run writes nothing into it
# Kafka's client certificate pair projected from a kubernetes.io/tls Secret.
KAFKA_MUTUAL_TLS = [
    "-f", str(SECURED_ENGINES_VALUES),
    "--set", "kafka.securityProtocol=SSL",
    "--set", "kafka.saslUsername=",
    "--set", "kafka.saslPasswordSecret.name=",
    "--set", "kafka.clientCertificateSecret=barito-kafka-client",
]  # fmt: skip
RENDERINGS = {
    "default": [],
    "production": ["-f", str(PRODUCTION_VALUES)],
    # Every service serving TLS itself (probes, ServiceMonitors' tlsConfig).
    "service-tls": ["-f", str(SERVICE_TLS_VALUES)],
    # Engines' Secret keys projected as read-only files (projected volumes).
    "secured-engines": ["-f", str(SECURED_ENGINES_VALUES)],
    "kafka-mutual-tls": KAFKA_MUTUAL_TLS,
}
# Renderings with ServiceMonitors (the monitoring values on).
MONITORED = {"production", "service-tls"}
MONITORING = "monitoring.coreos.com/v1"


@pytest.fixture(scope="module")
def api() -> Iterator[httpx.Client]:
    config = load_config(REPO)
    stack_up(config, OPTIONAL_ENGINES["kubernetes"], echo=print, timeout_s=300)
    access = kubernetes_access(config)
    tls = ssl.create_default_context(cafile=str(access.ca_file))
    with httpx.Client(
        base_url=access.url,
        headers={"Authorization": f"Bearer {access.token}"},
        verify=tls,
        timeout=30,
    ) as client:
        yield client


@pytest.fixture(scope="module")
def servicemonitors(api: httpx.Client, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Install the ServiceMonitor CRD (for real: a CRD is cluster-wide and idempotent)."""
    crd = servicemonitor_crd(tmp_path_factory.mktemp("crds"))
    name = crd["metadata"]["name"]
    path = f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}"
    api.patch(
        path,
        params={"fieldManager": "barito-deploy-test", "force": "true"},
        headers={"Content-Type": "application/apply-patch+yaml"},
        json=crd,
    ).raise_for_status()
    # The API server serves the new kind once the CRD is Established.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status = api.get(path).raise_for_status().json().get("status") or {}
        conditions = status.get("conditions") or []
        established = any(c["type"] == "Established" and c["status"] == "True" for c in conditions)
        if established and api.get(f"/apis/{MONITORING}").status_code == 200:
            return
        time.sleep(0.2)
    raise AssertionError(f"{name} was not established within 30 s")


@pytest.fixture(scope="module")
def resources(api: httpx.Client, servicemonitors: None) -> dict[tuple[str, str], tuple[str, bool]]:
    """(apiVersion, kind) → (collection path, namespaced), from the server's discovery."""
    found: dict[tuple[str, str], tuple[str, bool]] = {}
    versions = ["v1"]
    for group in api.get("/apis").raise_for_status().json()["groups"]:
        versions += [v["groupVersion"] for v in group["versions"]]
    for version in versions:
        base = "/api/v1" if version == "v1" else f"/apis/{version}"
        for resource in api.get(base).raise_for_status().json()["resources"]:
            if "/" not in resource["name"]:  # not a subresource such as status
                found[(version, resource["kind"])] = (
                    f"{base}/{{namespace}}{resource['name']}",
                    resource["namespaced"],
                )
    return found


def dry_run_apply(
    api: httpx.Client, resources: dict[tuple[str, str], tuple[str, bool]], obj: dict[str, Any]
) -> httpx.Response:
    collection, namespaced = resources[(obj["apiVersion"], obj["kind"])]
    path = collection.format(namespace=f"namespaces/{NAMESPACE}/" if namespaced else "")
    return api.patch(
        f"{path}/{obj['metadata']['name']}",
        params={
            "dryRun": "All",
            "fieldManager": "barito-deploy-test",
            "fieldValidation": "Strict",
            "force": "true",
        },
        headers={"Content-Type": "application/apply-patch+yaml"},
        json=obj,
    )


@pytest.mark.parametrize("values", list(RENDERINGS))
def test_the_api_server_accepts_every_rendered_object(
    api: httpx.Client, resources: dict[tuple[str, str], tuple[str, bool]], values: str
) -> None:
    objects = render_chart(*RENDERINGS[values])
    kinds = {"Deployment", "Service", "ConfigMap", "HorizontalPodAutoscaler"}
    kinds |= {"PodDisruptionBudget", "Ingress"}
    if values in MONITORED:
        kinds.add("ServiceMonitor")
    assert {o["kind"] for o in objects} >= kinds
    refused = {}
    for obj in objects:
        response = dry_run_apply(api, resources, obj)
        if response.status_code not in (200, 201):
            refused[f"{obj['kind']}/{obj['metadata']['name']}"] = response.json()["message"]
        else:
            # What came back went through to storage, where the dry run stops:
            # it has the uid the server would give it.
            assert response.json()["metadata"]["uid"], obj["metadata"]["name"]
    assert refused == {}
    # And nothing was stored.
    deployment = next(o for o in objects if o["kind"] == "Deployment")
    path = f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments/{deployment['metadata']['name']}"
    assert api.get(path).status_code == 404


def test_the_api_server_refuses_misspelt_fields_and_invalid_values(
    api: httpx.Client, resources: dict[tuple[str, str], tuple[str, bool]]
) -> None:
    deployment = next(o for o in render_chart() if o["kind"] == "Deployment")
    misspelt = copy.deepcopy(deployment)
    misspelt["spec"]["replicaz"] = misspelt["spec"].pop("replicas")
    response = dry_run_apply(api, resources, misspelt)
    # Server-side apply refuses an undeclared field while typing the patch,
    # which the API server reports as a 500, not a 400.
    assert not response.is_success, response.text
    assert ".spec.replicaz: field not declared in schema" in response.json()["message"]

    invalid = copy.deepcopy(deployment)
    invalid["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = 70000
    response = dry_run_apply(api, resources, invalid)
    assert response.status_code == 422, response.text
    assert "containerPort" in response.json()["message"]

    monitor = next(
        o for o in render_chart("-f", str(PRODUCTION_VALUES)) if o["kind"] == "ServiceMonitor"
    )
    monitor["spec"]["endpoints"][0]["interval"] = "every 15 seconds"
    response = dry_run_apply(api, resources, monitor)
    assert response.status_code == 422, response.text
    assert "spec.endpoints[0].interval" in response.json()["message"]
