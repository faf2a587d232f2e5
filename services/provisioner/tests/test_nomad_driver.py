"""The Nomad driver: rendered jobs decode into Nomad's api.Job; its HTTP exchange.

No Nomad agent can be had here. The rendered jobs are checked by
``tools/nomad-jobcheck``, a Go program that decodes them into Nomad's own
``api.Job`` type (``github.com/hashicorp/nomad/api``) with unknown fields
rejected. The HTTP exchange runs against :class:`RecordedNomadApi`, a
stand-in that answers with responses in the shape the Nomad HTTP API
documents (job register/deregister, allocation list and allocation reads)
and records every request the driver made.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from barito_cli.stack.go_tools import go_tool
from barito_common.schemas import ComponentKind, ComponentState
from barito_provisioner.drivers.base import DriverError, InfrastructureSpec
from barito_provisioner.drivers.installation import Installation
from barito_provisioner.drivers.nomad.driver import NomadDriver
from barito_provisioner.drivers.nomad.render import render_jobs
from barito_provisioner.settings import NomadSettings, ProvisionerSettings
from barito_testing.stack import REPO, shipped_templates

TEMPLATES = shipped_templates()
NOMAD_TEMPLATES = REPO / "infra/templates/nomad"
INSTALLATION = Installation(
    kafka_bootstrap_servers="10.0.3.2:9092", topic_prefix="prod.", index_prefix="prod-"
)


@pytest.fixture(scope="session")
def jobcheck(stack: Any) -> Path:
    """The Go checker, built once (and cached across runs) from the Go module proxy."""
    return go_tool(stack.config, "nomad-jobcheck", echo=print)


def _check(jobcheck: Path, paths: list[Path]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(jobcheck), *map(str, paths)], capture_output=True, text=True, check=False
    )


def _spec(capacity: str) -> InfrastructureSpec:
    return InfrastructureSpec(f"infra-{uuid.uuid4().hex[:6]}", "group-1", TEMPLATES[capacity])


def _driver_settings(**nomad: Any) -> ProvisionerSettings:
    """The settings of a provisioner whose dedicated driver is Nomad, with ``nomad`` fields."""
    return ProvisionerSettings(driver="nomad", nomad=NomadSettings(**nomad))


@pytest.mark.parametrize("task_driver", ["lxc", "qemu"])
@pytest.mark.parametrize("capacity", ["small", "medium", "large"])
def test_every_rendered_job_decodes_into_nomads_api_job(
    jobcheck: Path, tmp_path: Path, capacity: str, task_driver: str
) -> None:
    settings = NomadSettings(task_driver=task_driver)  # type: ignore[arg-type]
    spec = _spec(capacity)
    jobs = render_jobs(spec, settings, NOMAD_TEMPLATES, INSTALLATION)
    paths = []
    for kind, job in jobs.items():
        path = tmp_path / f"{kind.value}.json"
        # As the driver submits it: POST /v1/job/:id with {"Job": ...}.
        path.write_text(json.dumps({"Job": job.job}))
        paths.append(path)
    result = _check(jobcheck, paths)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count(": ok") == len(jobs)

    template = TEMPLATES[capacity]
    expected = {
        ComponentKind.KAFKA: template.kafka.brokers,
        ComponentKind.SEARCH: template.search.nodes,
        ComponentKind.KIBANA: template.kibana.replicas,
        ComponentKind.FLOW: template.flow.replicas,
    }
    if template.kafka.controllers != "combined":
        expected[ComponentKind.CONTROLLER] = template.kafka.controllers
    assert {kind: job.job["TaskGroups"][0]["Count"] for kind, job in jobs.items()} == expected
    for kind, job in jobs.items():
        (task,) = job.job["TaskGroups"][0]["Tasks"]
        assert task["Driver"] == task_driver
        if task_driver == "qemu":
            assert task["Config"]["image_path"] == f"/var/lib/barito/images/{kind.value}.qcow2"
        else:
            assert task["Config"]["template"] == settings.lxc_template
    kafka_env = jobs[ComponentKind.KAFKA].job["TaskGroups"][0]["Tasks"][0]["Env"]
    assert kafka_env["KAFKA_NUM_PARTITIONS"] == str(template.kafka.partitions)
    combined = template.kafka.controllers == "combined"
    assert kafka_env["KAFKA_PROCESS_ROLES"] == ("broker,controller" if combined else "broker")

    # The group's flow: its logs from the group's Kafka into the group's engine,
    # the registry, usage and dead letters on the installation's Kafka.
    (flow,) = jobs[ComponentKind.FLOW].job["TaskGroups"][0]["Tasks"]
    assert flow["Env"] == {
        "BARITO_PORT": "18083",
        "BARITO_HOST": "0.0.0.0",
        "BARITO_KAFKA__BOOTSTRAP_SERVERS": "10.0.3.2:9092",
        "BARITO_KAFKA__TOPIC_PREFIX": "prod.",
        "BARITO_SEARCH__ENGINE": "elasticsearch",
        "BARITO_SEARCH__INDEX_PREFIX": "prod-",
        "BARITO_APP_GROUP_ID": "group-1",
    }
    (endpoints,) = flow["Templates"]
    lines = endpoints["EmbeddedTmpl"].splitlines()
    kafka_service, search_service = jobs[ComponentKind.KAFKA].id, jobs[ComponentKind.SEARCH].id
    assert lines == [
        f'BARITO_LOGS_BOOTSTRAP_SERVERS={{{{ range $i, $s := nomadService "{kafka_service}" }}}}'
        "{{ if $i }},{{ end }}{{ .Address }}:{{ .Port }}{{ end }}",
        f'BARITO_SEARCH__URL=http://{{{{ with index (nomadService "{search_service}") 0 }}}}'
        "{{ .Address }}:{{ .Port }}{{ end }}",
    ]


def test_the_checker_refuses_a_job_with_a_field_nomad_does_not_know(
    jobcheck: Path, tmp_path: Path
) -> None:
    jobs = render_jobs(_spec("small"), NomadSettings(), NOMAD_TEMPLATES, INSTALLATION)
    job = jobs[ComponentKind.KAFKA].job
    job["TaskGroups"][0]["Cuont"] = 3
    path = tmp_path / "kafka.json"
    path.write_text(json.dumps({"Job": job}))
    result = _check(jobcheck, [path])
    assert result.returncode == 1
    assert 'unknown field "Cuont"' in result.stderr


# -- the HTTP exchange --------------------------------------------------------------


def _alloc_stub(
    job_id: str, group: str, index: int, status: str, *, create_index: int = 10
) -> dict[str, Any]:
    """An allocation as GET /v1/job/:id/allocations lists it (Nomad API docs' shape)."""
    alloc_id = str(uuid.uuid4())
    events = {
        "running": [
            {"Type": "Received", "DisplayMessage": "Task received by client"},
            {"Type": "Started", "DisplayMessage": "Task started by client"},
        ],
        "pending": [{"Type": "Driver", "DisplayMessage": "Downloading image"}],
        "failed": [
            {"Type": "Driver Failure", "DisplayMessage": "failed to create container: no space"}
        ],
    }[status]
    return {
        "ID": alloc_id,
        "EvalID": str(uuid.uuid4()),
        "Name": f"{job_id}.{group}[{index}]",
        "Namespace": "default",
        "NodeID": "fb2170a8-257d-3c64-b14d-bc06cc94e34c",
        "NodeName": "nomad-client-1",
        "JobID": job_id,
        "JobType": "service",
        "JobVersion": 0,
        "TaskGroup": group,
        "DesiredStatus": "run",
        "DesiredDescription": "",
        "ClientStatus": status,
        "ClientDescription": "",
        "TaskStates": {group: {"State": status, "Failed": status == "failed", "Events": events}},
        "CreateIndex": create_index,
        "ModifyIndex": create_index + 2,
        "CreateTime": 1764300000000000000,
        "ModifyTime": 1764300001000000000,
    }


@dataclass
class RecordedNomadApi:
    """A stand-in for a Nomad agent's HTTP API (no agent can be had here).

    It answers the calls the driver makes with responses in Nomad's documented
    shape, and records each request: ``registered`` holds the submitted jobs,
    ``deregistered`` the stopped job ids with their query.
    """

    allocations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    registered: dict[str, dict[str, Any]] = field(default_factory=dict)
    deregistered: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    host_ip: str = "10.0.3.17"

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/job/{id}", self._register)
        app.router.add_delete("/v1/job/{id}", self._deregister)
        app.router.add_get("/v1/job/{id}/allocations", self._allocations)
        app.router.add_get("/v1/allocation/{id}", self._allocation)
        app.router.add_get("/v1/status/leader", self._leader)
        return app

    async def _register(self, request: web.Request) -> web.Response:
        body = await request.json()
        job_id = request.match_info["id"]
        assert body["Job"]["ID"] == job_id
        self.registered[job_id] = body["Job"]
        return web.json_response(
            {
                "EvalID": str(uuid.uuid4()),
                "EvalCreateIndex": 12,
                "JobModifyIndex": 11,
                "Warnings": "",
                "Index": 12,
                "LastContact": 0,
                "KnownLeader": False,
            }
        )

    async def _deregister(self, request: web.Request) -> web.Response:
        job_id = request.match_info["id"]
        if job_id not in self.registered:
            return web.Response(status=404, text="job not found")
        del self.registered[job_id]
        self.deregistered.append((job_id, dict(request.query)))
        return web.json_response(
            {"EvalID": str(uuid.uuid4()), "EvalCreateIndex": 20, "JobModifyIndex": 19}
        )

    async def _allocations(self, request: web.Request) -> web.Response:
        job_id = request.match_info["id"]
        if job_id not in self.registered:
            return web.Response(status=404, text="job not found")
        return web.json_response(self.allocations.get(job_id, []))

    async def _allocation(self, request: web.Request) -> web.Response:
        alloc_id = request.match_info["id"]
        stub = next(a for stubs in self.allocations.values() for a in stubs if a["ID"] == alloc_id)
        job = self.registered[stub["JobID"]]
        ports = [
            {
                "Label": p["Label"],
                "Value": 20000 + p["To"] % 1000,
                "To": p["To"],
                "HostIP": self.host_ip,
            }
            for p in job["TaskGroups"][0]["Networks"][0]["DynamicPorts"]
        ]
        return web.json_response(
            {
                **stub,
                "AllocatedResources": {
                    "Tasks": {},
                    "Shared": {"DiskMB": 300, "Networks": [], "Ports": ports},
                },
            }
        )

    async def _leader(self, request: web.Request) -> web.Response:
        return web.json_response("10.0.3.2:4647")


@pytest.fixture
async def recorded_nomad() -> AsyncIterator[tuple[RecordedNomadApi, str]]:
    api = RecordedNomadApi()
    runner = web.AppRunner(api.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield api, f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_the_driver_submits_every_job_and_reports_allocations_as_components(
    recorded_nomad: tuple[RecordedNomadApi, str],
) -> None:
    api, address = recorded_nomad
    settings = _driver_settings(
        address=address, task_driver="qemu", ready_timeout_s=0.3, ready_poll_s=0.1
    )
    driver = NomadDriver(settings)
    spec = _spec("medium")
    await driver.check()

    provisioned = await driver.provision(spec)
    rendered = render_jobs(spec, settings.nomad, NOMAD_TEMPLATES, Installation.of(settings))
    assert api.registered == {job.id: job.job for job in rendered.values()}
    # Registered, not placed yet: every planned component is pending.
    assert len(provisioned) == 3 + 3 + 3 + 1 + 2
    assert {c.state for c in provisioned} == {ComponentState.PENDING}

    kafka_job = rendered[ComponentKind.KAFKA].id
    search_job = rendered[ComponentKind.SEARCH].id
    api.allocations[kafka_job] = [
        _alloc_stub(kafka_job, "kafka", 0, "running"),
        _alloc_stub(kafka_job, "kafka", 1, "pending"),
        # Index 2 failed once and was replaced by a newer, running allocation.
        _alloc_stub(kafka_job, "kafka", 2, "failed", create_index=5),
        _alloc_stub(kafka_job, "kafka", 2, "running", create_index=9),
    ]
    api.allocations[search_job] = [_alloc_stub(search_job, "search", 0, "failed")]

    components = {c.name: c for c in await driver.poll(spec, provisioned)}
    assert components["kafka-0"].state is ComponentState.ACTIVE
    assert components["kafka-0"].address == "10.0.3.17:20092"
    assert components["kafka-1"].state is ComponentState.PROVISIONING
    assert components["kafka-1"].message == "allocation pending: kafka: Downloading image"
    assert components["kafka-2"].state is ComponentState.ACTIVE
    assert components["search-0"].state is ComponentState.ERROR
    assert "failed to create container: no space" in (components["search-0"].message or "")
    assert components["search-1"].state is ComponentState.PENDING

    # Nothing of search runs yet: the cluster has no coordinates to report.
    with pytest.raises(DriverError, match="has an address yet"):
        driver.cluster(spec, list(components.values()))

    # Bootstrapping waits for every component to run, then says which do not.
    with pytest.raises(Exception, match=r"2 of 12 components run") as failure:
        await driver.bootstrap(spec, [])
    assert "search-0 error" in str(failure.value)

    deleted = await driver.deprovision(spec, [])
    assert {c.state for c in deleted} == {ComponentState.DELETED}
    assert sorted(job_id for job_id, _ in api.deregistered) == sorted(
        job.id for job in rendered.values()
    )
    assert all(query.get("purge", "").lower() == "true" for _, query in api.deregistered)
    assert api.registered == {}
    await driver.close()


async def test_a_running_clusters_coordinates_are_its_allocations_addresses(
    recorded_nomad: tuple[RecordedNomadApi, str],
) -> None:
    api, address = recorded_nomad
    settings = _driver_settings(
        address=address, search_engine="opensearch", ready_timeout_s=1, ready_poll_s=0.1
    )
    driver = NomadDriver(settings)
    spec = _spec("small")
    await driver.provision(spec)
    for job in render_jobs(spec, settings.nomad, NOMAD_TEMPLATES, INSTALLATION).values():
        group = job.job["TaskGroups"][0]["Name"]
        api.allocations[job.id] = [_alloc_stub(job.id, group, 0, "running")]

    components = await driver.bootstrap(spec, [])
    cluster = driver.cluster(spec, components)

    # The ports the flow's nomadService lookups give too: the allocations' own.
    assert cluster.model_dump() == {
        "infrastructure_id": spec.infrastructure_id,
        "kafka_bootstrap_servers": "10.0.3.17:20092",
        "search_url": "http://10.0.3.17:20200",
        "search_engine": "opensearch",
        "kibana_url": "http://10.0.3.17:20601",
    }
    await driver.deprovision(spec, [])
    await driver.close()


async def test_an_unreachable_agent_fails_the_step_with_what_to_check() -> None:
    settings = _driver_settings(address="http://127.0.0.1:1", timeout_s=2)
    driver = NomadDriver(settings)
    with pytest.raises(Exception, match=r"registering job .* on Nomad at http://127.0.0.1:1"):
        await driver.provision(_spec("small"))
