"""Answering "do the brokers answer now?" for a service's /readyz.

When they do not let the service in, the answer names why — bad credentials,
an unknown CA, a certificate for another host, plaintext against TLS — found
by :mod:`barito_common.kafka.access_failures`.
"""

from __future__ import annotations

import asyncio

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaConnectionError

from barito_common.kafka.access_failures import diagnose
from barito_common.kafka.clients import create_admin
from barito_common.settings import KafkaSettings

__all__ = ["KafkaProbe", "KafkaUnavailable"]


class KafkaUnavailable(RuntimeError):
    """The brokers did not answer, or did not let us in; the message says which and why."""


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
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timeout_s
        try:
            async with asyncio.timeout(self._timeout_s):
                admin = await self._started_admin()
                description = await admin.describe_cluster()
        except TimeoutError as err:
            raise KafkaUnavailable(
                f"no answer from {self._settings.bootstrap_servers} within {self._timeout_s:g}s"
            ) from err
        except KafkaConnectionError as err:
            # aiokafka says only "Unable to bootstrap": dial once more to learn why,
            # in what is left of the time /readyz allows.
            reason = None
            if (left := deadline - loop.time()) > 0.1:
                reason = await diagnose(self._settings, timeout_s=left)
            raise KafkaUnavailable(
                reason or f"{self._settings.bootstrap_servers} did not answer: {err!r}"
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
