"""Settings shared by every Barito service.

Each service defines one ``BaseSettings`` subclass of :class:`ServiceSettings`
(env prefix ``BARITO_``) and builds it with a factory at start-up, never at
import time. Nested fragments are set with a double underscore, e.g.
``BARITO_KAFKA__BOOTSTRAP_SERVERS=127.0.0.1:19092``. Any setting can also be
read from a file, as Kubernetes mounts a Secret:
``BARITO_KAFKA__SASL_PASSWORD_FILE=/run/secrets/kafka-password``
(:mod:`barito_common.secret_files` has the rules).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from barito_common.secret_files import SecretFilesSource

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
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT",
        description="How to reach the brokers: SASL_SSL for a managed Kafka (credentials over "
        "TLS), SSL for TLS alone, PLAINTEXT only on a trusted network.",
    )
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = Field(
        "SCRAM-SHA-512", description="SASL mechanism, with a SASL_ protocol."
    )
    sasl_username: str | None = Field(None, description="SASL user, with a SASL_ protocol.")
    sasl_password: SecretStr | None = Field(
        None, description="SASL password, with a SASL_ protocol (or ..._FILE: read from a file)."
    )
    ssl_cafile: str | None = Field(
        None,
        description="PEM file of the CA(s) that signed the brokers' certificates; unset means "
        "the system's trust store.",
    )
    ssl_check_hostname: bool = Field(
        True, description="Check that a broker's certificate names the host dialled."
    )
    ssl_certfile: str | None = Field(
        None, description="Client certificate (PEM) for brokers that require one (mutual TLS)."
    )
    ssl_keyfile: str | None = Field(None, description="Private key (PEM) of ssl_certfile.")

    @model_validator(mode="after")
    def _security_is_complete(self) -> KafkaSettings:
        sasl = self.security_protocol.startswith("SASL_")
        if sasl and (self.sasl_username is None or self.sasl_password is None):
            raise ValueError(
                f"security_protocol {self.security_protocol} needs sasl_username and sasl_password"
            )
        if (self.ssl_certfile is None) != (self.ssl_keyfile is None):
            raise ValueError("ssl_certfile and ssl_keyfile go together (mutual TLS)")
        return self

    @property
    def uses_tls(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")


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
    password: SecretStr | None = Field(
        None, description="Basic-auth password (or ..._FILE: read from a file)."
    )
    index_prefix: str = Field(
        "barito-", description="Prefix of every index and index template Barito creates."
    )
    request_timeout_s: float = Field(30.0, gt=0, description="Timeout of one search request.")
    api_key: SecretStr | None = Field(
        None,
        description="Elasticsearch API key, as the engine returns it `encoded` (base64 of "
        "id:key), sent instead of basic auth (or ..._FILE: read from a file). OpenSearch has "
        "no API keys.",
    )
    ssl_cafile: str | None = Field(
        None,
        description="PEM file of the CA(s) that signed the engine's certificate, for an https "
        "URL; unset means the system's trust store.",
    )
    ssl_check_hostname: bool = Field(
        True, description="Check that the engine's certificate names the host in the URL."
    )

    @model_validator(mode="after")
    def _credentials_are_one_kind(self) -> SearchSettings:
        if self.api_key is not None and self.username is not None:
            raise ValueError("set either api_key or username/password, not both")
        if self.api_key is not None and self.engine == "opensearch":
            raise ValueError("api_key is Elasticsearch's; OpenSearch takes username/password")
        return self


class DatabaseSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: SecretStr | None = Field(
        None,
        description="SQLAlchemy URL of the market's database (postgresql+asyncpg://...), "
        "a secret since it holds the password (or ..._FILE: read from a file). Unset means "
        "the embedded SQLite default.",
    )
    ssl_mode: Literal["disable", "require", "verify-ca", "verify-full"] = Field(
        "disable",
        description="TLS to Postgres, as libpq names it: require encrypts without checking "
        "the server, verify-ca checks its certificate against ssl_cafile, verify-full also "
        "checks that it names the host dialled.",
    )
    ssl_cafile: str | None = Field(
        None,
        description="PEM file of the CA that signed Postgres' certificate (verify-ca, "
        "verify-full); unset means the system's trust store.",
    )


class SmtpSettings(BaseModel):
    """The installation's mail server, for alert notifications (``BARITO_SMTP__...``)."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field("", description="SMTP server host. Empty: no email channel can deliver.")
    port: int = Field(587, ge=1, le=65535, description="SMTP port (587 STARTTLS, 465 TLS).")
    security: Literal["starttls", "tls", "none"] = Field(
        "starttls", description="starttls, tls (implicit, port 465) or none (loopback only)."
    )
    username: str | None = Field(None, description="Login user, if the server wants one.")
    password: SecretStr | None = Field(
        None, description="Login password (or ..._FILE: read from a file)."
    )
    sender: str = Field("barito@localhost", description="The From address of alert mail.")
    timeout_s: float = Field(15.0, gt=0, description="One delivery attempt's time limit.")

    @property
    def enabled(self) -> bool:
        return bool(self.host)


class ServiceSettings(BaseSettings):
    """The fields every service has; subclass it once per service."""

    # hide_input_in_errors: a refused setting's error must not quote the values
    # around it, and a fragment's (Kafka's) are quoted whole, secrets included.
    model_config = SettingsConfigDict(
        env_prefix="BARITO_", env_nested_delimiter="__", extra="forbid", hide_input_in_errors=True
    )

    environment: Literal["development", "production"] = Field(
        "development", description="`production` refuses insecure defaults."
    )
    host: str = Field("127.0.0.1", description="Interface the HTTP server listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port the HTTP server listens on.")
    tls_certfile: str | None = Field(
        None,
        description="Serve HTTPS with this certificate chain (PEM); a renewed file is picked up "
        "without a restart. Unset: plain HTTP (TLS ends at an ingress or proxy).",
    )
    tls_keyfile: str | None = Field(None, description="Private key (PEM) of tls_certfile.")
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

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments, then the environment with each ``BARITO_<NAME>_FILE`` read from its file.

        SecretFilesSource takes the place of ``env_settings``, which would take
        ``BARITO_KAFKA__SASL_PASSWORD_FILE`` for an unknown Kafka field.
        """
        return (
            init_settings,
            SecretFilesSource(settings_cls),
            dotenv_settings,
            file_secret_settings,
        )

    @model_validator(mode="after")
    def _tls_is_complete(self) -> ServiceSettings:
        if (self.tls_certfile is None) != (self.tls_keyfile is None):
            raise ValueError("tls_certfile and tls_keyfile go together")
        return self

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
