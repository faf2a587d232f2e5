"""Settings shared by every Barito service.

Each service defines one ``BaseSettings`` subclass of :class:`ServiceSettings`
(env prefix ``BARITO_``) and builds it with a factory at start-up, never at
import time. Nested fragments are set with a double underscore, e.g.
``BARITO_KAFKA__BOOTSTRAP_SERVERS=127.0.0.1:19092``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = [
    "DatabaseSettings",
    "KafkaSettings",
    "SearchSettings",
    "ServiceSettings",
]

# Ports of the private local stack (deploy/local): non-default so that it never
# collides with a Kafka, Elasticsearch or Postgres the machine already runs.
LOCAL_KAFKA_PORT = 19092
LOCAL_ELASTICSEARCH_PORT = 19200
LOCAL_OPENSEARCH_PORT = 19201
LOCAL_POSTGRES_PORT = 15433


class KafkaSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bootstrap_servers: str = Field(
        f"127.0.0.1:{LOCAL_KAFKA_PORT}",
        description="Comma-separated host:port list of Kafka brokers.",
    )
    topic_prefix: str = Field(
        "barito.",
        description="Prefix of every topic name, so several installations or test runs "
        "can share one cluster.",
    )
    request_timeout_ms: int = Field(
        10_000, ge=1_000, description="How long a produce or metadata request may take."
    )
    client_id: str = Field("barito", description="Client id reported to the brokers.")


class SearchSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    engine: Literal["elasticsearch", "opensearch"] = Field(
        "elasticsearch", description="Which search engine the URL points at."
    )
    url: str = Field(
        f"http://127.0.0.1:{LOCAL_ELASTICSEARCH_PORT}",
        description="Base URL of the search engine's HTTP API.",
    )
    username: str | None = Field(None, description="Basic-auth user, if the engine needs one.")
    password: str | None = Field(None, description="Basic-auth password.")
    index_prefix: str = Field(
        "barito-", description="Prefix of every index and index template Barito creates."
    )
    request_timeout_s: float = Field(30.0, gt=0, description="Timeout of one search request.")


class DatabaseSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(
        None,
        description="SQLAlchemy URL of the market's database (postgresql+asyncpg://...). "
        "Unset means the embedded SQLite default.",
    )


class ServiceSettings(BaseSettings):
    """The fields every service has; subclass it once per service."""

    model_config = SettingsConfigDict(
        env_prefix="BARITO_", env_nested_delimiter="__", extra="forbid"
    )

    environment: Literal["development", "production"] = Field(
        "development", description="`production` refuses insecure defaults."
    )
    host: str = Field("127.0.0.1", description="Interface the HTTP server listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port the HTTP server listens on.")
    trusted_proxies: str = Field(
        "127.0.0.1,::1",
        description="Comma-separated addresses or networks (10.0.0.0/8) of the proxies whose "
        "X-Forwarded-For names the client; '*' trusts any sender.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Lowest level of log records written."
    )
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    readiness_timeout_s: float = Field(
        3.0, gt=0, description="How long /readyz waits for each dependency."
    )

    @model_validator(mode="after")
    def _refuse_local_defaults_in_production(self) -> ServiceSettings:
        if self.environment == "production" and self.kafka.bootstrap_servers == (
            f"127.0.0.1:{LOCAL_KAFKA_PORT}"
        ):
            raise ValueError(
                "BARITO_KAFKA__BOOTSTRAP_SERVERS must be set in production; "
                "the default points at the private local stack"
            )
        return self
