"""Settings of the server service (env prefix ``BARITO_``)."""

from __future__ import annotations

from pydantic import Field, SecretStr

from barito_common.settings import ServiceSettings, SmtpSettings


class ServerSettings(ServiceSettings):
    """The tail server: streams an app's logs from Kafka."""

    port: int = Field(18084, ge=1, le=65535, description="Port the server listens on.")
    workers: int = Field(
        1,
        ge=1,
        le=64,
        description="Worker processes serving the port, one per core to use; each runs its own "
        "Kafka readers and counts max_clients on its own. Metrics and readiness are answered "
        "as one.",
    )
    websocket_compression: bool = Field(
        False,
        description="Agree to permessage-deflate when a websocket client offers it (browsers "
        "do): less bandwidth, but one compressor per client, which at 100 clients costs the "
        "server more than all else together (docs/performance.md). NDJSON tails are not "
        "compressed either.",
    )
    market_url: str = Field(
        "http://127.0.0.1:18080",
        description="Base URL of the market, asked whether a session or API token may read an "
        "app (GET /api/v1/apps/{app}).",
    )
    market_timeout_s: float = Field(
        5.0, gt=0, description="How long one question to the market may take before a 503."
    )
    market_cache_s: float = Field(
        30.0, ge=0, description="How long the market's 'yes, this caller may read' is reused."
    )
    market_negative_cache_s: float = Field(
        5.0,
        ge=0,
        description="How long the market's 401/404 is reused; short, so a user just added "
        "to a group can tail soon.",
    )
    max_since_s: int = Field(
        3600, ge=1, description="Largest `since` a client may ask for, in seconds back."
    )
    max_clients: int = Field(
        1000, ge=1, description="Concurrent tails this server process serves, all apps together."
    )
    max_clients_per_app: int = Field(
        200, ge=1, description="Concurrent tails of one app in this server process."
    )
    client_queue_events: int = Field(
        10_000,
        ge=1,
        description="Events waiting for one client before newer ones are skipped for it and "
        "counted in a {'dropped': n} notice.",
    )
    heartbeat_s: float = Field(
        15.0,
        gt=0,
        description="A heartbeat frame is sent after this long without other frames, so "
        "proxies keep idle connections open.",
    )
    idle_timeout_s: float = Field(
        3600.0,
        gt=0,
        description="A tail that delivered no event for this long is closed, freeing its slot.",
    )
    max_frame_batch_bytes: int = Field(
        256 * 1024,
        ge=1024,
        description="Most bytes of frames written to a client in one send; frames queued "
        "together go out together, one websocket message or one stream write.",
    )
    max_pattern_length: int = Field(
        1000, ge=1, description="Longest substring or regular expression filter accepted."
    )
    cluster_sweep_s: float = Field(
        30.0,
        gt=0,
        description="How often the Kafka clients of dedicated clusters that no app in the "
        "registry names any more are closed.",
    )
    shutdown_grace_s: int = Field(
        3,
        ge=0,
        description="At shutdown, how long open tails may last before they are cut; "
        "clients reconnect elsewhere with their resume token.",
    )

    alerts_enabled: bool = Field(
        True,
        description="Evaluate the apps' alert rules on their live streams. Replicas share "
        "the apps through the consumer group <prefix>alerts.",
    )
    installation_key: SecretStr | None = Field(
        None,
        description="The installation key (or ..._FILE) that opens the alert channels' sealed "
        "secrets; unset: webhook, Slack and PagerDuty channels cannot deliver.",
    )
    smtp: SmtpSettings = Field(
        default_factory=SmtpSettings, description="The mail server for email channels."
    )
    alert_private_targets: bool = Field(
        False,
        description="Let alert channels' URLs reach loopback, private and link-local "
        "addresses (a test rig, a receiver inside the company network). Off: such a URL is "
        "refused before anything is sent, so a tenant cannot make Barito reach its own "
        "network for them.",
    )
    web_url: str = Field(
        "",
        description="The web UI's public base URL (https://barito.example.com): notifications "
        "link to the app's alert history there. Empty: notifications carry no link.",
    )
    alert_delivery_attempts: int = Field(
        6, ge=1, le=20, description="Attempts per channel and notification before it is failed."
    )
    alert_delivery_budget_s: float = Field(
        120.0,
        gt=0,
        description="Longest a notification is retried (with backoff) before it is failed.",
    )


def get_settings() -> ServerSettings:
    return ServerSettings()
