"""The Nomad HTTP API through python-nomad, made async.

python-nomad is synchronous (requests); each call runs in a worker thread so
the event loop (the command consumer, the poller, /readyz) never waits on it.

Exceptions::

    DriverError
    └── NomadApiError   the agent refused a request or did not answer
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import nomad
import requests
from nomad.api.exceptions import BaseNomadException, URLNotFoundNomadException

from barito_provisioner.drivers.base import DriverError
from barito_provisioner.settings import NomadSettings

__all__ = ["NomadApiError", "NomadClient"]

T = TypeVar("T")


class NomadApiError(DriverError):
    """The Nomad agent refused a request or did not answer."""


class NomadClient:
    def __init__(self, settings: NomadSettings) -> None:
        url = urlsplit(settings.address)
        self._address = settings.address
        self._api = nomad.Nomad(
            host=url.hostname or "127.0.0.1",
            port=url.port or 4646,
            secure=url.scheme == "https",
            verify=url.scheme == "https",
            token=settings.token.get_secret_value() if settings.token else None,
            namespace=settings.namespace,
            region=settings.region,
            timeout=int(max(settings.timeout_s, 1)),
        )

    async def _call(self, action: str, work: Callable[[], T]) -> T:
        try:
            return await asyncio.to_thread(work)
        except URLNotFoundNomadException:
            raise
        except (BaseNomadException, requests.RequestException) as err:
            detail = getattr(getattr(err, "nomad_resp", None), "text", None) or str(err)
            raise NomadApiError(
                f"{action} on Nomad at {self._address} failed: {detail}. Check that the agent "
                "answers and BARITO_NOMAD__ADDRESS / __TOKEN are right, then retry."
            ) from err

    async def register(self, job_id: str, job: dict[str, Any]) -> dict[str, Any]:
        """Create or update a job (POST /v1/job/:id); the agent's answer (EvalID, ...)."""
        result: dict[str, Any] = await self._call(
            f"registering job {job_id}", lambda: self._api.job.register_job(job_id, {"Job": job})
        )
        return result

    async def deregister(self, job_id: str) -> None:
        """Stop and purge a job; a job that does not exist is already gone."""
        try:
            await self._call(
                f"stopping job {job_id}",
                lambda: self._api.job.deregister_job(job_id, purge=True),
            )
        except URLNotFoundNomadException:
            return

    async def allocations(self, job_id: str) -> list[dict[str, Any]] | None:
        """The job's allocation stubs; None when the job does not exist."""
        try:
            result: list[dict[str, Any]] = await self._call(
                f"listing allocations of {job_id}",
                lambda: self._api.job.get_allocations(job_id),
            )
        except URLNotFoundNomadException:
            return None
        return result

    async def allocation(self, allocation_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._call(
            f"reading allocation {allocation_id}",
            lambda: self._api.allocation.get_allocation(allocation_id),
        )
        return result

    async def leader(self) -> str:
        result: str = await self._call(
            "reading the cluster leader", lambda: self._api.status.leader.get_leader()
        )
        return result
