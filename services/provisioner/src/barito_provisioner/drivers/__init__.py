"""Drivers: where infrastructure is made (``shared``; dedicated: ``docker``, ``nomad``,
``kubernetes``), and the router that picks one by placement."""

from barito_provisioner.drivers.base import (
    Driver,
    DriverError,
    InfrastructureSpec,
    NotReadyYet,
    component_counts,
    planned_components,
)
from barito_provisioner.drivers.factory import create_driver
from barito_provisioner.drivers.placement import PlacedDriver

__all__ = [
    "Driver",
    "DriverError",
    "InfrastructureSpec",
    "NotReadyYet",
    "PlacedDriver",
    "component_counts",
    "create_driver",
    "planned_components",
]
