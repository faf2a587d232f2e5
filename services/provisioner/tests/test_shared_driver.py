"""The provisioner's shared driver on the real Kafka and search engines of the local stack.

The provisioner runs in-process with its real lifespan; the test plays the
market: it registers apps in the registry (creating each log topic with one
partition, as the market does), publishes ProvisionCommands and reads the
ProvisionEvents back from Kafka.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
import uvicorn

from barito_cli.stack.manager import stack_down, stack_up
from barito_common.schemas import (
    ComponentState,
    InfrastructureState,
    ProvisionCommandKind,
    ProvisionEvent,
)
from barito_common.search.index_template import template_name
from barito_common.settings import SearchSettings
from barito_flow.main import create_app as create_flow
from barito_flow.settings import FlowSettings
from barito_provisioner.settings import SharedSettings
from barito_testing.ports import free_port
from barito_testing.provisioner import (
    market_stand_in,
    provisioner_settings,
    running_provisioner,
    stored_index_template,
)
from barito_testing.stack import shipped_templates

S = InfrastructureState
TEMPLATES = shipped_templates()


def _states(events: list[ProvisionEvent]) -> list[S]:
    """The states a command walked through; the poller's reports repeat the last one."""
    walked: list[S] = []
    for event in events:
        if not walked or walked[-1] is not event.state:
            walked.append(event.state)
    return walked


async def test_create_update_and_delete_move_an_infrastructure_through_its_states(
    stack: Any,
) -> None:
    async with market_stand_in(stack) as m:
        settings = provisioner_settings(stack, m.kafka, "elasticsearch")
        first = await m.register("group-a")
        async with running_provisioner(settings):
            create = await m.command(
                ProvisionCommandKind.CREATE, "infra-a", "group-a", TEMPLATES["medium"]
            )
            active = await m.events.until_state(create, S.ACTIVE)
            assert _states(m.events.of(create)) == [
                S.PENDING,
                S.PROVISIONING,
                S.BOOTSTRAPPING,
                S.ACTIVE,
            ]
            kafka = [c for c in active.components if c.kind == "kafka"]
            search = [c for c in active.components if c.kind == "search"]
            assert [(c.name, c.address, c.state) for c in kafka] == [
                ("kafka-0", stack.kafka_bootstrap, ComponentState.ACTIVE)
            ]
            assert [(c.name, c.state) for c in search] == [("search-0", ComponentState.ACTIVE)]
            assert search[0].address and search[0].address.endswith(":19200")
            # The market made the topic with one partition; medium has six.
            assert await m.settled_partitions(first.profile.topic, 6) == 6
            body = await stored_index_template(
                stack.elasticsearch_url, template_name(first.profile.index_prefix)
            )
            assert body is not None
            assert body["index_patterns"] == [f"{first.profile.index_prefix}-*"]
            # Three primaries as medium says; its one replica is dropped on one node.
            assert body["template"]["settings"]["index"]["number_of_shards"] == "3"
            assert body["template"]["settings"]["index"]["number_of_replicas"] == "0"

            # The group's second app: no command, its topic and template follow.
            second = await m.register_without_topic(first)
            assert await m.settled_partitions(second.profile.topic, 6) == 6
            assert await stored_index_template(
                stack.elasticsearch_url, template_name(second.profile.index_prefix)
            )

            update = await m.command(
                ProvisionCommandKind.UPDATE, "infra-a", "group-a", TEMPLATES["large"]
            )
            await m.events.until_state(update, S.ACTIVE)
            assert _states(m.events.of(update)) == [S.PROVISIONING, S.BOOTSTRAPPING, S.ACTIVE]
            assert await m.settled_partitions(first.profile.topic, 12) == 12
            assert await m.settled_partitions(second.profile.topic, 12) == 12

            delete = await m.command(
                ProvisionCommandKind.DELETE, "infra-a", "group-a", TEMPLATES["large"]
            )
            deleted = await m.events.until_state(delete, S.DELETED)
            assert _states(m.events.of(delete)) == [S.DELETING, S.DELETED]
            assert {c.state for c in deleted.components} == {ComponentState.DELETED}
            assert await m.settled_partitions(first.profile.topic, None) is None
            assert await m.settled_partitions(second.profile.topic, None) is None
            assert (
                await stored_index_template(
                    stack.elasticsearch_url, template_name(first.profile.index_prefix)
                )
                is None
            )


async def test_a_redelivered_command_does_nothing_twice_even_after_a_restart(stack: Any) -> None:
    async with market_stand_in(stack) as m:
        # No polling between the counts: a health report on a loaded machine
        # would be an event of this command too, yet no redone work.
        settings = provisioner_settings(stack, m.kafka, "elasticsearch", poll_interval_s=3600)
        await m.register("group-b")
        async with running_provisioner(settings):
            create = await m.command(ProvisionCommandKind.CREATE, "infra-b", "group-b")
            await m.events.until_state(create, S.ACTIVE)
            handled = len(m.events.of(create))
            await m.send(create)
            # A later command on the same infrastructure is handled after the
            # copy (same key, same partition): once it is done, so is the copy.
            marker = await m.command(ProvisionCommandKind.RETRY, "infra-b", "group-b")
            await m.events.until_state(marker, S.ACTIVE)
            assert len(m.events.of(create)) == handled
        # A new provisioner process knows the command from the events topic alone.
        async with running_provisioner(settings):
            await m.send(create)
            marker = await m.command(ProvisionCommandKind.RETRY, "infra-b", "group-b")
            await m.events.until_state(marker, S.ACTIVE)
            assert len(m.events.of(create)) == handled


async def test_an_invalid_template_ends_in_error_naming_the_field(stack: Any) -> None:
    async with market_stand_in(stack) as m:
        settings = provisioner_settings(stack, m.kafka, "elasticsearch")
        async with running_provisioner(settings):
            broken = TEMPLATES["small"].model_dump(mode="json")
            broken["kafka"]["partitions"] = 0
            create = await m.command(ProvisionCommandKind.CREATE, "infra-c", "group-c", broken)
            error = await m.events.until_state(create, S.ERROR)
            assert error.message is not None
            assert "kafka.partitions" in error.message
            assert "greater than or equal to 1" in error.message


async def test_polling_reports_a_component_that_comes_up_after_provisioning(stack: Any) -> None:
    async with market_stand_in(stack) as m:
        port = free_port()
        flow_url = f"http://127.0.0.1:{port}"
        settings = provisioner_settings(
            stack, m.kafka, "elasticsearch", shared=SharedSettings(flow_url=flow_url)
        )
        await m.register("group-d")
        async with running_provisioner(settings):
            create = await m.command(ProvisionCommandKind.CREATE, "infra-d", "group-d")
            active = await m.events.until_state(create, S.ACTIVE)
            flow = next(c for c in active.components if c.name == "flow-0")
            assert (flow.state, flow.address) == (ComponentState.ERROR, flow_url)

            # The installation's real flow service starts listening there.
            flow_settings = FlowSettings(
                kafka=m.kafka,
                search=SearchSettings(engine="elasticsearch", url=stack.elasticsearch_url),
            )
            server = uvicorn.Server(
                uvicorn.Config(
                    create_flow(flow_settings), host="127.0.0.1", port=port, log_config=None
                )
            )
            serving = asyncio.create_task(server.serve())
            try:

                def flow_active(events: list[ProvisionEvent]) -> bool:
                    return any(
                        c.name == "flow-0" and c.state is ComponentState.ACTIVE
                        for e in m.events.of(create)
                        for c in e.components
                    )

                await m.events.wait_for(flow_active)
            finally:
                server.should_exit = True
                await serving
            report = next(
                e
                for e in m.events.of(create)
                if any(c.name == "flow-0" and c.state == "active" for c in e.components)
            )
            assert report.state is S.ACTIVE
            assert report.message is not None
            assert "flow-0: error → active" in report.message


@pytest.mark.disruptive
async def test_a_stopped_engine_ends_in_error_and_a_retry_after_its_restart_resumes(
    stack: Any,
) -> None:
    async with market_stand_in(stack) as m:
        settings = provisioner_settings(stack, m.kafka, "opensearch")
        await m.register("group-e")
        app = await m.register("group-f")
        async with running_provisioner(settings):
            running = await m.command(ProvisionCommandKind.CREATE, "infra-e", "group-e")
            await m.events.until_state(running, S.ACTIVE)

            def search_state(state: ComponentState) -> Callable[[list[ProvisionEvent]], bool]:
                def check(_: list[ProvisionEvent]) -> bool:
                    latest = m.events.of(running)[-1]
                    return any(c.name == "search-0" and c.state is state for c in latest.components)

                return check

            await asyncio.to_thread(stack_down, stack.config, ["opensearch"], echo=print)
            try:
                # Polling shows the engine down on the infrastructure that was fine.
                await m.events.wait_for(search_state(ComponentState.ERROR))
                assert m.events.of(running)[-1].state is S.ACTIVE

                failing = await m.command(ProvisionCommandKind.CREATE, "infra-f", "group-f")
                error = await m.events.until_state(failing, S.ERROR, timeout_s=120)
            finally:
                await asyncio.to_thread(stack_up, stack.config, ["opensearch"], echo=print)
            # Polling may have reported on it since; its state stays ERROR.
            states = _states(m.events.of(failing))
            assert states[:4] == [S.PENDING, S.PROVISIONING, S.BOOTSTRAPPING, S.ERROR]
            assert set(states[4:]) <= {S.ERROR}
            assert error.message is not None
            assert "bootstrap failed" in error.message
            assert "the search engine does not answer" in error.message
            assert "Start the search engine (barito stack up)" in error.message
            assert "resumes from bootstrap" in error.message

            await m.events.wait_for(search_state(ComponentState.ACTIVE), timeout_s=120)
            retry = await m.command(ProvisionCommandKind.RETRY, "infra-f", "group-f")
            await m.events.until_state(retry, S.ACTIVE, timeout_s=120)
            # Resumed at the failed step: provisioning is not done again.
            assert _states(m.events.of(retry))[:2] == [S.BOOTSTRAPPING, S.ACTIVE]
            assert await stored_index_template(
                stack.opensearch_url, template_name(app.profile.index_prefix)
            )
