"""Settings of the provisioner service (env prefix ``BARITO_``)."""

from __future__ import annotations

from pydantic import Field

from barito_common.settings import ServiceSettings


class ProvisionerSettings(ServiceSettings):
    """The provisioner: turns provisioning commands into infrastructure."""

    port: int = Field(18082, ge=1, le=65535, description="Port the provisioner listens on.")


def get_settings() -> ProvisionerSettings:
    return ProvisionerSettings()
