"""The docker driver's pure parts: port allocation, container plans, states."""

from __future__ import annotations

from typing import Any

import pytest

from barito_common.capacity import CapacityTemplate
from barito_common.schemas import Component, ComponentKind, ComponentState, Placement
from barito_provisioner.drivers.base import DriverError, InfrastructureSpec
from barito_provisioner.drivers.docker.containers import (
    plan_containers,
    wanted_components,
    wanted_ports,
)
from barito_provisioner.drivers.docker.naming import kafka_cluster_id
from barito_provisioner.drivers.docker.ports import allocate_ports
from barito_provisioner.drivers.docker.states import component_of, missing_component
from barito_provisioner.settings import DockerSettings, ProvisionerSettings
from barito_testing.stack import shipped_templates

TEMPLATES = shipped_templates()


def _spec(template: CapacityTemplate) -> InfrastructureSpec:
    return InfrastructureSpec(
        "0b1e6a44-1111-2222-3333-444455556666", "g1", template, Placement.DEDICATED
    )


def _allocate(spec: InfrastructureSpec, settings: ProvisionerSettings) -> dict[str, dict[str, int]]:
    wanted = wanted_ports(wanted_components(spec, settings.docker))
    return allocate_ports(wanted, {}, set(), port_range=(31000, 31999), is_free=lambda _: True)


def test_recorded_ports_are_kept_and_new_ones_skip_taken_and_busy_ports() -> None:
    ports = allocate_ports(
        {"kafka-0": ("client", "controller"), "search-0": ("http", "transport")},
        {"kafka-0": {"client": 31004, "controller": 31005}},
        {31000},
        port_range=(31000, 31010),
        is_free=lambda port: port != 31001,
    )
    assert ports == {
        "kafka-0": {"client": 31004, "controller": 31005},
        "search-0": {"http": 31002, "transport": 31003},
    }


def test_an_exhausted_port_range_names_the_settings_to_widen() -> None:
    with pytest.raises(DriverError, match="BARITO_DOCKER__PORT_MIN/PORT_MAX"):
        allocate_ports(
            {"flow-0": ("http",)}, {}, {31000}, port_range=(31000, 31000), is_free=lambda _: True
        )


def test_separate_controllers_are_the_voters_and_brokers_only_brokers() -> None:
    body = TEMPLATES["large"].model_dump()
    body["kafka"].update(brokers=2, controllers=3)
    spec = _spec(CapacityTemplate.model_validate(body))
    settings = ProvisionerSettings(driver="docker", docker=DockerSettings(kibana_image="k:1"))
    ports = _allocate(spec, settings)
    plans = {p.component: p for p in plan_containers(spec, settings, ports)}

    voters = ",".join(
        f"{1001 + n}@127.0.0.1:{ports[f'controller-{n}']['controller']}" for n in range(3)
    )
    broker = plans["kafka-1"].env
    assert broker["KAFKA_PROCESS_ROLES"] == "broker"
    assert broker["KAFKA_NODE_ID"] == "2"
    assert broker["KAFKA_CONTROLLER_QUORUM_VOTERS"] == voters
    assert broker["KAFKA_LISTENERS"] == f"BROKER://127.0.0.1:{ports['kafka-1']['client']}"
    assert "controller" not in ports["kafka-0"]
    assert plans["controller-2"].env["KAFKA_PROCESS_ROLES"] == "controller"
    assert plans["controller-2"].env["KAFKA_NODE_ID"] == "1003"
    # One KRaft cluster id, the same on every node and on every provision.
    assert {p.env["KAFKA_CLUSTER_ID"] for p in plans.values() if "KAFKA_CLUSTER_ID" in p.env} == {
        kafka_cluster_id(spec.infrastructure_id)
    }
    assert plans["kibana-1"].image == "k:1"


def test_combined_brokers_vote_and_the_search_nodes_find_each_other() -> None:
    body = TEMPLATES["small"].model_dump()
    body["kafka"]["brokers"] = 2
    body["search"].update(nodes=2, heap="2GiB")
    spec = _spec(CapacityTemplate.model_validate(body))
    settings = ProvisionerSettings(
        driver="docker", docker=DockerSettings(search_engine="opensearch")
    )
    ports = _allocate(spec, settings)
    plans = {p.component: p for p in plan_containers(spec, settings, ports)}

    assert "kibana-0" not in plans  # no image configured
    assert plans["kafka-0"].env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert plans["kafka-0"].env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == (
        f"1@127.0.0.1:{ports['kafka-0']['controller']},2@127.0.0.1:{ports['kafka-1']['controller']}"
    )
    search = plans["search-1"].env
    assert search["OPENSEARCH_JAVA_OPTS"] == "-Xms2048m -Xmx2048m"
    assert "discovery.type" not in search
    assert search["discovery.seed_hosts"].count("127.0.0.1:") == 2
    assert search["cluster.initial_cluster_manager_nodes"].endswith("-search-1")
    # An engine built without the security plugin would refuse a dotted setting for it.
    assert not any(key.startswith("plugins.security") for key in search)
    assert plans["search-0"].data_path == "/usr/share/opensearch/data"
    assert plans["flow-0"].env["BARITO_LOGS_BOOTSTRAP_SERVERS"] == ",".join(
        f"127.0.0.1:{ports[f'kafka-{n}']['client']}" for n in range(2)
    )


def _attrs(status: str, **state: Any) -> dict[str, Any]:
    return {"Name": "/c1", "State": {"Status": status, **state}}


@pytest.mark.parametrize(
    ("attrs", "answers", "state", "message"),
    [
        (_attrs("running", Health={"Status": "healthy"}), None, ComponentState.ACTIVE, None),
        (_attrs("running"), True, ComponentState.ACTIVE, None),
        (_attrs("running"), False, ComponentState.PROVISIONING, "port not open"),
        (
            _attrs("running", Health={"Status": "starting"}),
            None,
            ComponentState.PROVISIONING,
            "starting",
        ),
        (
            _attrs("running", Health={"Status": "unhealthy", "Log": [{"Output": "no\nanswer"}]}),
            None,
            ComponentState.ERROR,
            "unhealthy: no answer",
        ),
        (
            _attrs("exited", ExitCode=137, OOMKilled=True),
            None,
            ComponentState.ERROR,
            "exit code 137, killed: out of memory",
        ),
        (_attrs("created"), None, ComponentState.PROVISIONING, "created"),
    ],
)
def test_a_containers_state_and_health_become_the_components_state(
    attrs: dict[str, Any], answers: bool | None, state: ComponentState, message: str | None
) -> None:
    component = component_of("kafka-0", ComponentKind.KAFKA, attrs, address="h:1", answers=answers)
    assert component.state is state
    if message is None:
        assert component.message is None
    else:
        assert message in (component.message or "")


def test_a_container_gone_after_it_ran_is_an_error_that_keeps_its_address() -> None:
    known = Component(
        name="kafka-0", kind=ComponentKind.KAFKA, address="h:1", state=ComponentState.ACTIVE
    )
    gone = missing_component("kafka-0", ComponentKind.KAFKA, container="c1", known=known)
    assert gone.state is ComponentState.ERROR and gone.address == "h:1"
    never = missing_component("kafka-0", ComponentKind.KAFKA, container="c1", known=None)
    assert never.state is ComponentState.PENDING
