"""Building the driver the installation's settings choose."""

from __future__ import annotations

from barito_common.search import create_search_adapter
from barito_provisioner.drivers.base import Driver
from barito_provisioner.settings import ProvisionerSettings

__all__ = ["create_driver"]


def create_driver(settings: ProvisionerSettings) -> Driver:
    """The driver named by ``settings.driver``; its clients connect on first use."""
    # Imported here: each driver pulls in its own client library.
    if settings.driver == "shared":
        from barito_provisioner.drivers.shared import SharedDriver

        return SharedDriver(
            kafka=settings.kafka,
            search=create_search_adapter(settings.search),
            shared=settings.shared,
        )
    if settings.driver == "nomad":
        from barito_provisioner.drivers.nomad.driver import NomadDriver

        return NomadDriver(settings)
    from barito_provisioner.drivers.kubernetes.driver import KubernetesDriver

    return KubernetesDriver(settings)
