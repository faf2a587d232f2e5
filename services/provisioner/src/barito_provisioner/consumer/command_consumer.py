"""Following the commands topic: each command handled, then its offset committed.

The loop is barito_common's :class:`~barito_common.kafka.ConsumeLoop`, under
its one failure policy (architecture §2). The offset of a command is
committed only after the handler returned, that is after every event of the
command was acknowledged by Kafka. A crash in between redelivers the command,
and the journal makes that harmless: a finished command is skipped, one cut
off in its middle resumes. A command that cannot be read, or whose handling
fails for a reason other than Kafka (a bug, such as a transition the state
machine refuses), would fail the same way for ever: it goes to the dead
records, with its traceback in the log, and the commands after it are handled.
"""

from __future__ import annotations

import functools

from barito_common.kafka import (
    ConsumeLoop,
    Polling,
    Subscription,
    Topics,
    provisioning_topic_specs,
)
from barito_common.schemas import ProvisionCommand, from_bytes
from barito_common.settings import KafkaSettings
from barito_provisioner.command_handler import CommandHandler

__all__ = ["command_loop"]


def command_loop(
    settings: KafkaSettings, *, group_id: str, handler: CommandHandler
) -> ConsumeLoop[ProvisionCommand]:
    """The loop that hands each command of the commands topic to ``handler``."""
    topics = Topics(settings.topic_prefix)
    return ConsumeLoop(
        settings,
        Subscription(
            topic=topics.provisioning_commands,
            group_id=group_id,
            decode=functools.partial(from_bytes, ProvisionCommand),
            handle=handler.handle,
            creates=tuple(provisioning_topic_specs(topics)),
        ),
        name="commands",
        # One command a poll: a command may take minutes, and each is committed
        # as soon as it is done, so a crash replays at most the one under way.
        polling=Polling(timeout_ms=1000, max_records=1),
    )
