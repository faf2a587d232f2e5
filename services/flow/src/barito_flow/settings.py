"""Settings of the flow service (env prefix ``BARITO_``)."""

from __future__ import annotations

from pydantic import Field

from barito_common.settings import SearchSettings, ServiceSettings


class FlowSettings(ServiceSettings):
    """The flow consumer: Kafka to the search engine."""

    port: int = Field(18083, ge=1, le=65535, description="Port the flow listens on.")
    search: SearchSettings = Field(default_factory=SearchSettings)


def get_settings() -> FlowSettings:
    return FlowSettings()
