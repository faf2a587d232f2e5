"""Drivers: where infrastructure is made (``shared``, ``nomad``, ``kubernetes``)."""

from barito_provisioner.drivers.base import (
    Driver,
    DriverError,
    InfrastructureSpec,
    NotReadyYet,
    component_counts,
    planned_components,
)
from barito_provisioner.drivers.factory import create_driver

__all__ = [
    "Driver",
    "DriverError",
    "InfrastructureSpec",
    "NotReadyYet",
    "component_counts",
    "create_driver",
    "planned_components",
]
