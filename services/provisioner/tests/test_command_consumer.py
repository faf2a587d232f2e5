"""The provisioner's command consumer on the real Kafka: what it cannot use is set aside.

The loop runs as the provisioner runs it (``command_loop``), on a topic
prefix of its own, with a handler standing in for ``CommandHandler`` that
fails the way a bug in it would.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime
from typing import Any, cast

from barito_common.kafka import Topics, create_producer, ensure_topics, provisioning_topic_specs
from barito_common.schemas import ProvisionCommand, ProvisionCommandKind, to_bytes
from barito_common.settings import KafkaSettings
from barito_provisioner.command_handler import CommandHandler
from barito_provisioner.consumer.command_consumer import command_loop
from barito_provisioner.state_machine import TransitionError
from barito_testing.dead_records import read_dead_records, wait_for_commit


def _command(infrastructure_id: str) -> ProvisionCommand:
    return ProvisionCommand(
        command_id=uuid.uuid4(),
        kind=ProvisionCommandKind.CREATE,
        infrastructure_id=infrastructure_id,
        group_id="g1",
        capacity="small",
        issued_at=datetime.now(UTC),
    )


class BuggyHandler:
    """Handles every command but one, which meets a transition the state machine refuses."""

    def __init__(self) -> None:
        self.handled: list[str] = []

    async def handle(self, command: ProvisionCommand) -> None:
        if command.infrastructure_id == "infra-bug":
            raise TransitionError("ACTIVE cannot follow DELETED")
        self.handled.append(command.infrastructure_id)


async def test_an_unreadable_or_failing_command_is_dead_lettered_and_the_next_one_handled(
    stack: Any, unique_name: str
) -> None:
    kafka = KafkaSettings(bootstrap_servers=stack.kafka_bootstrap, topic_prefix=f"{unique_name}.")
    topics = Topics(kafka.topic_prefix)
    group_id = f"{unique_name}-provisioner"
    await ensure_topics(kafka, provisioning_topic_specs(topics))
    producer = create_producer(kafka)
    await producer.start()
    try:
        for value in [b"not a command", to_bytes(_command("infra-bug")), to_bytes(_command("ok"))]:
            await producer.send_and_wait(topics.provisioning_commands, value, key=b"infra")
    finally:
        await producer.stop()
    handler = BuggyHandler()
    loop = command_loop(kafka, group_id=group_id, handler=cast(CommandHandler, handler))

    running = asyncio.create_task(loop.run())
    try:
        await wait_for_commit(kafka, group_id, topics.provisioning_commands, 3)
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running

    assert handler.handled == ["ok"]
    letters = await read_dead_records(kafka, lambda letters: len(letters) >= 2)
    assert [(d.topic, d.offset, d.stage, d.consumer) for d in letters] == [
        (topics.provisioning_commands, 0, "decode", group_id),
        (topics.provisioning_commands, 1, "handle", group_id),
    ]
    assert letters[0].value == b"not a command"
    assert letters[1].error == "TransitionError: ACTIVE cannot follow DELETED"
