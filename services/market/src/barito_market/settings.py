"""Settings of the market service (env prefix ``BARITO_``)."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator

from barito_common.capacity import DEFAULT_TEMPLATES_DIR
from barito_common.installation_key import MIN_INSTALLATION_KEY_CHARS
from barito_common.settings import DatabaseSettings, SearchSettings, ServiceSettings

_PLACEHOLDERS = ("{app}", "{group}")


class MarketSettings(ServiceSettings):
    """The market: control plane and web UI."""

    port: int = Field(18080, ge=1, le=65535, description="Port the market listens on.")
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    search: SearchSettings = Field(
        default_factory=SearchSettings,
        description="The search engine; its index_prefix starts every app's index names.",
    )
    data_dir: str = Field(
        "./.stack/market",
        description="Where the embedded SQLite database lives when no database URL is set.",
    )
    signup_enabled: bool = Field(
        True, description="Whether anyone may create an account through POST /auth/signup."
    )
    ingest_url_template: str = Field(
        "http://127.0.0.1:18081/api/v1/logs",
        description="Public ingest endpoint shown to app owners; may use {app} and {group}.",
    )
    tail_url_template: str = Field(
        "http://127.0.0.1:18084/api/v1/tail/{app}",
        description="Live tail endpoint shown to app owners; may use {app} and {group}.",
    )
    viewer_url_template: str = Field(
        "http://{app}.{group}.logs.localhost:5601",
        description="Viewer (Kibana) URL of an app, e.g. https://{app}.{group}.logs.example.com.",
    )
    otlp_url_template: str = Field(
        "http://127.0.0.1:18081/v1/logs",
        description="The receiver's OTLP/HTTP logs endpoint shown to app owners (the full "
        "URL, /v1/logs included); may use {app} and {group}. Empty: not offered.",
    )
    bulk_url_template: str = Field(
        "http://127.0.0.1:18081",
        description="The receiver's Elasticsearch-compatible base URL (where agents find "
        "/_bulk) shown to app owners; may use {app} and {group}. Empty: not offered.",
    )
    forward_url_template: str = Field(
        "",
        description="The receiver's forward listener that takes the app secret as the tag's "
        "first label (its forward_port), as agents reach it: tcp://host:port, or "
        "tls://host:port when it serves TLS; may use {app} and {group}. Empty: not offered.",
    )
    syslog_url_template: str = Field(
        "",
        description="The receiver's syslog listener (its syslog_port) as agents reach it: "
        "tcp://host:port, or tls://host:port when it serves TLS; may use {app} and {group}. "
        "Empty: not offered.",
    )
    secret_grace_s: float = Field(
        24 * 3600,
        ge=0,
        description="How long a rotated app or group secret keeps working, in seconds.",
    )
    session_lifetime_s: float = Field(
        7 * 24 * 3600, gt=0, description="How long a login session lasts, in seconds."
    )
    session_cookie_secure: bool = Field(
        False, description="Send the session cookie over HTTPS only (set it behind TLS)."
    )
    login_max_failures: int = Field(
        5, ge=1, description="Failed logins per email or address allowed within the window."
    )
    login_window_s: float = Field(
        300, gt=0, description="Window of the login rate limit, in seconds."
    )
    capacity_templates_dir: str = Field(
        str(DEFAULT_TEMPLATES_DIR),
        description="Directory of the capacity templates (small.yaml, medium.yaml, ...).",
    )
    kafka_timeout_s: float = Field(
        15.0, gt=0, description="How long a registration waits for Kafka before answering 503."
    )
    installation_key: SecretStr | None = Field(
        None,
        description="The installation key (or ..._FILE), at least "
        f"{MIN_INSTALLATION_KEY_CHARS} characters, the same as the receiver's: apps' forward "
        "keys are stored and published sealed under it (barito_common.installation_key). "
        "Unset: no app can be given a forward key.",
    )
    forward_url: str = Field(
        "tcp://127.0.0.1:24224",
        description="The receiver's fluentd forward listener as agents reach it, shown in the "
        "forward configurations: tcp://host:port, or tls://host:port when it serves TLS.",
    )

    @field_validator("installation_key")
    @classmethod
    def _long_enough(cls, key: SecretStr | None) -> SecretStr | None:
        # Checked at start-up rather than at the first forward key, so a short
        # key is refused before anything was sealed under it.
        if key is not None and len(key.get_secret_value()) < MIN_INSTALLATION_KEY_CHARS:
            raise ValueError(
                f"the installation key must be at least {MIN_INSTALLATION_KEY_CHARS} characters "
                "(e.g. openssl rand -base64 48)"
            )
        return key

    @field_validator("forward_url")
    @classmethod
    def _forward_address(cls, url: str) -> str:
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError as err:
            raise ValueError(f"the port of {url!r} is not a port number") from err
        if parts.scheme not in ("tcp", "tls") or not parts.hostname or port is None:
            raise ValueError(f"expected tcp://host:port or tls://host:port, got {url!r}")
        return url

    @field_validator(
        "ingest_url_template",
        "tail_url_template",
        "viewer_url_template",
        "otlp_url_template",
        "bulk_url_template",
    )
    @classmethod
    def _known_placeholders(cls, template: str) -> str:
        _filled(template)
        return template

    @field_validator("forward_url_template", "syslog_url_template")
    @classmethod
    def _tcp_address(cls, template: str) -> str:
        # Checked at start-up: the configurations split it into host, port and TLS.
        url = _filled(template)
        if not url:
            return template
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError as err:
            raise ValueError(f"the port of {template!r} is not a port number") from err
        if parts.scheme not in ("tcp", "tls") or not parts.hostname or port is None:
            raise ValueError(f"expected tcp://host:port or tls://host:port, got {template!r}")
        return template


def _filled(template: str) -> str:
    try:
        return template.format_map({"app": "a", "group": "g"})
    except (KeyError, IndexError, ValueError) as err:
        raise ValueError(
            f"only the placeholders {', '.join(_PLACEHOLDERS)} are allowed: {err}"
        ) from err


def get_settings() -> MarketSettings:
    return MarketSettings()
