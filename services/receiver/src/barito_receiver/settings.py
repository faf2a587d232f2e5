"""Settings of the receiver service (env prefix ``BARITO_``)."""

from __future__ import annotations

from pydantic import Field

from barito_common.settings import ServiceSettings


class ReceiverSettings(ServiceSettings):
    """The receiver: ingest endpoint in front of Kafka."""

    port: int = Field(18081, ge=1, le=65535, description="Port the receiver listens on.")


def get_settings() -> ReceiverSettings:
    return ReceiverSettings()
