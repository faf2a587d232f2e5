"""A second real Kafka, standing in for a dedicated group's cluster.

It is started the way the local stack starts its own (``barito_cli.stack``:
the same cached jars, KRaft with broker and controller in one process), on
free ports and with a data directory of its own, so it shares nothing with
the stack's Kafka and a test may stop and start it without disturbing any
other test. Its data survives a stop, as a real cluster's would: a test that
stops it and starts it again finds its topics and records there.

The session fixture ``second_kafka`` (``barito_testing.plugin``) starts it once
for the whole run; a test that stops it must start it again before it ends.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from pathlib import Path

from barito_cli.stack.config import StackConfig
from barito_cli.stack.engines import engine_for
from barito_cli.stack.manager import log_tail, stack_down, stack_up
from barito_common.schemas import ClusterCoordinates
from barito_testing.ports import free_port

__all__ = ["SecondKafka"]


class SecondKafka:
    """A private one-broker Kafka; :meth:`start` and :meth:`stop` are idempotent and blocking."""

    def __init__(self, stack_config: StackConfig) -> None:
        # Under the stack's own folder, whose parents stack_up opens to the
        # unprivileged engines, rather than a 0700 pytest temp folder.
        parent = stack_config.state_dir.parent
        parent.mkdir(parents=True, exist_ok=True)
        self.home = Path(tempfile.mkdtemp(prefix="second-kafka-", dir=parent))
        kafka = {
            **stack_config.engines["kafka"],
            "port": free_port(),
            "controller_port": free_port(),
            "heap": "384m",
        }
        self.config = dataclasses.replace(
            stack_config, state_dir=self.home, engines={**stack_config.engines, "kafka": kafka}
        )
        self.bootstrap_servers = engine_for("kafka", self.config).url

    def start(self) -> None:
        stack_up(self.config, ["kafka"], echo=lambda line: print(f"[second kafka] {line}"))

    def stop(self) -> None:
        stack_down(self.config, ["kafka"], echo=lambda line: print(f"[second kafka] {line}"))

    def log_tail(self, lines: int = 40) -> str:
        return str(log_tail(self.config, "kafka", lines))

    def coordinates(
        self, *, search_url: str, search_engine: str = "elasticsearch"
    ) -> ClusterCoordinates:
        """Coordinates naming this Kafka, as a dedicated group's profile carries them."""
        return ClusterCoordinates.model_validate(
            {
                "infrastructure_id": f"second-kafka-{self.home.name}",
                "kafka_bootstrap_servers": self.bootstrap_servers,
                "search_url": search_url,
                "search_engine": search_engine,
            }
        )

    def remove(self) -> None:
        """Stop it and forget its data."""
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)
