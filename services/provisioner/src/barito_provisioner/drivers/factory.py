"""Building the drivers the installation's settings choose."""

from __future__ import annotations

from barito_common.search import create_search_adapter
from barito_provisioner.drivers.base import Driver
from barito_provisioner.drivers.placement import PlacedDriver
from barito_provisioner.drivers.shared import SharedDriver
from barito_provisioner.settings import ProvisionerSettings

__all__ = ["create_dedicated_driver", "create_driver"]


def create_driver(settings: ProvisionerSettings) -> PlacedDriver:
    """The shared driver plus the dedicated one ``settings.driver`` names, routed by placement.

    Their clients connect on first use.
    """
    shared = SharedDriver(
        kafka=settings.kafka,
        search=create_search_adapter(settings.search),
        shared=settings.shared,
    )
    return PlacedDriver(
        shared,
        create_dedicated_driver(settings),
        kafka=settings.kafka,
        search=settings.search,
    )


def create_dedicated_driver(settings: ProvisionerSettings) -> Driver | None:
    """The driver of dedicated clusters named by ``settings.driver``; None for ``shared``."""
    # Imported here: each driver pulls in its own client library.
    if settings.driver == "shared":
        return None
    if settings.driver == "docker":
        from barito_provisioner.drivers.docker.driver import DockerDriver

        docker: Driver = DockerDriver(settings)
        return docker
    if settings.driver == "nomad":
        from barito_provisioner.drivers.nomad.driver import NomadDriver

        return NomadDriver(settings)
    from barito_provisioner.drivers.kubernetes.driver import KubernetesDriver

    return KubernetesDriver(settings)
