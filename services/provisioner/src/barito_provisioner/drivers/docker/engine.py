"""The Docker engine, through docker-py run in worker threads.

docker-py is synchronous (requests over the engine's socket); each call runs
in ``asyncio.to_thread`` so a slow engine never stalls the provisioner's
event loop, which also serves /readyz and consumes commands.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import docker
from docker.errors import APIError, DockerException, ImageNotFound, NotFound

from barito_provisioner.drivers.base import DriverError
from barito_provisioner.drivers.docker.containers import ContainerPlan
from barito_provisioner.drivers.docker.naming import (
    COMPONENT_LABEL,
    CONFIG_LABEL,
    INFRASTRUCTURE_LABEL,
    PORT_LABEL_PREFIX,
    config_digest,
)
from barito_provisioner.settings import DockerSettings

__all__ = ["DockerEngine"]


class DockerEngine:
    """The few engine calls the driver makes; errors become DriverError."""

    def __init__(self, settings: DockerSettings, client: docker.DockerClient | None = None) -> None:
        self._settings = settings
        self._client = client

    @property
    def client(self) -> docker.DockerClient:
        # Made on first use: constructing it opens no connection with a pinned
        # API version, but "auto" asks the engine.
        if self._client is None:
            self._client = docker.DockerClient(
                base_url=self._settings.base_url, version=self._settings.api_version
            )
        return self._client

    async def _run(self, what: str, call: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await asyncio.to_thread(call, *args, **kwargs)
        except DriverError:
            raise
        except DockerException as err:
            raise DriverError(
                f"the Docker engine at {self._settings.base_url} failed to {what}: {err}"
            ) from err

    async def ping(self) -> None:
        await self._run("answer a ping", lambda: self.client.ping())

    async def containers(self, infrastructure_id: str | None = None) -> list[dict[str, Any]]:
        """Inspect documents of the infrastructure's containers (every barito one: None)."""
        label = INFRASTRUCTURE_LABEL
        if infrastructure_id is not None:
            label += f"={infrastructure_id}"

        def listed() -> list[dict[str, Any]]:
            found = self.client.containers.list(
                all=True, filters={"label": label}, ignore_removed=True
            )
            return [dict(c.attrs) for c in found]

        result: list[dict[str, Any]] = await self._run("list containers", listed)
        return result

    async def ensure_image(self, image: str) -> None:
        """The image, pulled when the engine does not have it."""

        def ensure() -> None:
            try:
                self.client.images.get(image)
                return
            except ImageNotFound:
                pass
            try:
                self.client.images.pull(image)
            except DockerException as err:
                raise DriverError(
                    f"image {image} is not on the Docker host and could not be pulled ({err}): "
                    "pull or load it there, or set the BARITO_DOCKER__*_IMAGE setting naming it"
                ) from err

        await self._run(f"find image {image}", ensure)

    async def create(
        self, plan: ContainerPlan, *, infrastructure_id: str, volume: str | None
    ) -> str:
        """Create (with its labelled volume) and start the planned container; its id."""
        labels = {
            INFRASTRUCTURE_LABEL: infrastructure_id,
            COMPONENT_LABEL: plan.component,
            CONFIG_LABEL: config_digest(plan.config()),
            **{f"{PORT_LABEL_PREFIX}{name}": str(port) for name, port in plan.ports.items()},
        }

        def create() -> str:
            mounts = {}
            if volume is not None and plan.data_path is not None:
                volume_labels = {
                    INFRASTRUCTURE_LABEL: infrastructure_id,
                    COMPONENT_LABEL: plan.component,
                }
                try:
                    self.client.volumes.get(volume)
                except NotFound:
                    self.client.volumes.create(name=volume, labels=volume_labels)
                mounts[volume] = {"bind": plan.data_path, "mode": "rw"}
            container = self.client.containers.create(
                plan.image,
                name=plan.name,
                environment=plan.env,
                labels=labels,
                volumes=mounts,
                # The host's network: the processes bind the allocated ports
                # themselves, and an engine run with --bridge=none has no other.
                network_mode="host",
                # Back after a crash or a host reboot; a `docker stop` is respected.
                restart_policy={"Name": "unless-stopped"},
                log_config={"Type": "json-file", "Config": {"max-size": "20m", "max-file": "3"}},
            )
            container.start()
            return str(container.id)

        try:
            result: str = await self._run(f"create container {plan.name}", create)
        except DriverError as err:
            if isinstance(err.__cause__, APIError) and err.__cause__.status_code == 409:
                raise DriverError(
                    f"container name {plan.name} is taken by a container that is not this "
                    f"infrastructure's component: remove it or change BARITO_DOCKER__NAME_PREFIX"
                ) from err
            raise
        return result

    async def start(self, container_id: str) -> None:
        await self._run(
            f"start container {container_id[:12]}",
            lambda: self.client.containers.get(container_id).start(),
        )

    async def remove(self, container_id: str) -> None:
        """Remove the container, running or not; gone already is fine."""

        def remove() -> None:
            with contextlib.suppress(NotFound):
                self.client.api.remove_container(container_id, force=True, v=True)

        await self._run(f"remove container {container_id[:12]}", remove)

    async def remove_volumes(self, infrastructure_id: str, component: str | None = None) -> None:
        """Remove the infrastructure's volumes (one component's: ``component``)."""
        label = [f"{INFRASTRUCTURE_LABEL}={infrastructure_id}"]
        if component is not None:
            label.append(f"{COMPONENT_LABEL}={component}")

        def remove() -> None:
            for volume in self.client.volumes.list(filters={"label": label}):
                with contextlib.suppress(NotFound):
                    volume.remove(force=True)

        await self._run("remove volumes", remove)

    async def volumes(self, infrastructure_id: str) -> list[str]:
        """Names of the infrastructure's volumes."""
        label = f"{INFRASTRUCTURE_LABEL}={infrastructure_id}"
        found = await self._run(
            "list volumes", lambda: self.client.volumes.list(filters={"label": label})
        )
        return [str(v.name) for v in found]

    async def last_log_line(self, container_id: str) -> str | None:
        """The container's last log line, for an error message; None when unavailable."""

        def tail() -> str | None:
            raw = self.client.api.logs(container_id, stdout=True, stderr=True, tail=1)
            text = raw.decode(errors="replace").strip()
            return text or None

        try:
            result: str | None = await self._run("read logs", tail)
        except DriverError:
            return None
        return result

    async def close(self) -> None:
        if self._client is not None:
            await asyncio.to_thread(self._client.close)
