"""Answering "do the brokers answer now?" for a service's /readyz."""

from __future__ import annotations

import asyncio

from aiokafka.admin import AIOKafkaAdminClient

from barito_common.kafka.clients import create_admin
from barito_common.settings import KafkaSettings

__all__ = ["KafkaProbe", "KafkaUnavailable"]


class KafkaUnavailable(RuntimeError):
    """The brokers did not answer within the allotted time."""


class KafkaProbe:
    """Answers "do the brokers answer now?" for /readyz, through one admin client.

    Start-up never fails when the brokers are down: a service must come up and
    report "not ready" rather than crash-loop while Kafka restarts. An admin
    client whose start failed is replaced on the next check.
    """

    def __init__(self, settings: KafkaSettings, *, timeout_s: float) -> None:
        self._settings = settings
        self._timeout_s = timeout_s
        self._admin: AIOKafkaAdminClient | None = None

    async def _started_admin(self) -> AIOKafkaAdminClient:
        if self._admin is None:
            admin = create_admin(self._settings)
            try:
                await admin.start()
            except Exception:
                await admin.close()
                raise
            self._admin = admin
        return self._admin

    async def check(self) -> None:
        try:
            async with asyncio.timeout(self._timeout_s):
                admin = await self._started_admin()
                description = await admin.describe_cluster()
        except TimeoutError as err:
            raise KafkaUnavailable(
                f"no answer from {self._settings.bootstrap_servers} within {self._timeout_s:g}s"
            ) from err
        except Exception as err:
            raise KafkaUnavailable(
                f"{self._settings.bootstrap_servers} did not answer: {err!r}"
            ) from err
        if not description.get("brokers"):
            raise KafkaUnavailable("the cluster reports no live brokers")

    async def close(self) -> None:
        if self._admin is not None:
            await self._admin.close()
            self._admin = None
