"""Settings of the server service (env prefix ``BARITO_``)."""

from __future__ import annotations

from pydantic import Field

from barito_common.settings import ServiceSettings


class ServerSettings(ServiceSettings):
    """The tail server: streams an app's logs from Kafka."""

    port: int = Field(18084, ge=1, le=65535, description="Port the server listens on.")


def get_settings() -> ServerSettings:
    return ServerSettings()
