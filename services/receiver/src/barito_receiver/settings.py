"""Settings of the receiver (env prefix ``BARITO_``)."""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator

from barito_common.settings import ServiceSettings

MIB = 1024 * 1024


class ReceiverSettings(ServiceSettings):
    """The receiver: the ingest endpoint in front of Kafka."""

    port: int = Field(18081, ge=1, le=65535, description="Port the receiver listens on.")
    workers: int = Field(
        1,
        ge=1,
        le=64,
        description="Worker processes serving the port (and the forward and syslog ports), one "
        "per core to use; their metrics and readiness are answered as one.",
    )
    max_event_bytes: int = Field(
        1 * MIB,
        ge=1024,
        description="Largest single event, msgpack-encoded. It is also the chunk cap: one "
        "Kafka record holds at most this many bytes of events.",
    )
    max_request_bytes: int = Field(
        16 * MIB, ge=1024, description="Largest request body after decompression."
    )
    max_events_per_request: int = Field(
        100_000,
        ge=1,
        description="Most events one request may hold; bounds the objects a body can create.",
    )
    max_compression_ratio: float = Field(
        200.0,
        gt=1,
        description="Largest decompressed/compressed size ratio accepted; beyond it the body "
        "is a compression bomb and answers 413. Real log batches compress 5-30x.",
    )
    burst_seconds: float = Field(
        10.0, gt=0, description="Token bucket size, in seconds of the app's events/s."
    )
    rate_report_interval_s: float = Field(
        0.25,
        gt=0,
        description="How often each receiver process reports to the others (on the rates "
        "topic) what each app asked of it, and re-splits every app's limit from their reports.",
    )
    rate_window_s: float = Field(
        2.0,
        gt=0,
        description="The reports of this many last seconds make an instance's demand: longer "
        "is steadier, shorter follows a moving load sooner.",
    )
    rate_peer_timeout_s: float = Field(
        1.5,
        gt=0,
        description="A receiver process whose reports stop this long has left (died, or was "
        "scaled down): the others take its part of every limit.",
    )
    produce_timeout_s: float = Field(
        30.0,
        gt=0,
        description="How long a request waits for Kafka's acknowledgement. Longer than the "
        "producer's own request timeout on purpose: the producer then settles each chunk "
        "(acked, or expired unsent) before the client is answered, so a 503 rarely covers "
        "a chunk that was in fact written, which the client's retry would double.",
    )
    retry_after_s: int = Field(
        5, ge=1, description="Retry-After sent when Kafka is unavailable (503)."
    )
    cluster_connect_wait_s: float = Field(
        2.0,
        gt=0,
        description="How long a request of a dedicated group's app waits for the producer of "
        "its cluster's Kafka to connect (the first request after start-up, or after that "
        "Kafka came back) before it answers 503.",
    )
    cluster_sweep_s: float = Field(
        30.0,
        gt=0,
        description="How often the producers of dedicated clusters that no app in the "
        "registry names any more are closed.",
    )
    usage_window_s: float = Field(
        10.0, gt=0, description="Length of the usage windows published to the usage topic."
    )
    compression: str = Field(
        "zstd", description="Compression of produced batches: zstd, lz4, gzip or none."
    )
    forward_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="Port of the fluentd forward protocol listener (TCP); unset: not started.",
    )
    forward_tls: bool = Field(
        False,
        description="Serve the forward listener over TLS, with the service's certificate "
        "(tls_certfile, tls_keyfile).",
    )
    forward_handshake_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="Port of the forward listener that opens every connection with the "
        "shared-key handshake (HELO; fluentd's and Fluent Bit's <security>): the PING's "
        "username is the app's slug, and the shared key and the password are the app's "
        "forward key. Its own port, because an unsolicited HELO breaks loggers that read "
        "only acks. Needs installation_key. Unset: not started.",
    )
    forward_max_connections: int = Field(
        1000,
        ge=1,
        description="Most open connections per forward port; a connection over it is closed "
        "at once (with a logged reason).",
    )
    forward_idle_timeout_s: float = Field(
        3600.0,
        gt=0,
        description="A forward connection that sends nothing for this long is closed. "
        "Long, because loggers keep one connection open for hours between bursts.",
    )
    syslog_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="Port of the syslog listener (TCP, RFC 5424 and 3164); unset: not started.",
    )
    syslog_tls: bool = Field(
        False,
        description="Serve the syslog listener over TLS, with the service's certificate.",
    )
    installation_key: SecretStr | None = Field(
        None,
        description="The installation key (or ..._FILE) that opens the apps' sealed forward "
        "keys (barito_common.installation_key); unset: the forward handshake is refused.",
    )

    @model_validator(mode="after")
    def _forward_tls_has_a_certificate(self) -> ReceiverSettings:
        if self.forward_tls and self.tls_certfile is None:
            raise ValueError("forward_tls needs tls_certfile and tls_keyfile")
        return self


def get_settings() -> ReceiverSettings:
    return ReceiverSettings()
