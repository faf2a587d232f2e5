"""Settings of the market service (env prefix ``BARITO_``)."""

from __future__ import annotations

from pydantic import Field

from barito_common.settings import DatabaseSettings, ServiceSettings


class MarketSettings(ServiceSettings):
    """The market: control plane and web UI."""

    port: int = Field(18080, ge=1, le=65535, description="Port the market listens on.")
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    data_dir: str = Field(
        "./.stack/market",
        description="Where the embedded SQLite database lives when no database URL is set.",
    )


def get_settings() -> MarketSettings:
    return MarketSettings()
