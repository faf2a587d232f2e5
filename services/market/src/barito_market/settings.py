"""Settings of the market service (env prefix ``BARITO_``)."""

from __future__ import annotations

from ipaddress import ip_address
from typing import Self
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from barito_common.capacity import DEFAULT_TEMPLATES_DIR
from barito_common.installation_key import MIN_INSTALLATION_KEY_CHARS
from barito_common.settings import DatabaseSettings, SearchSettings, ServiceSettings, SmtpSettings
from barito_market.models.groups import Role

_PLACEHOLDERS = ("{app}", "{group}")


class RoleFromClaim(BaseModel):
    """One value of the provider's groups claim and the role it grants in an app group."""

    model_config = ConfigDict(extra="forbid")

    claim: str = Field(
        min_length=1, description="A value of the groups claim, e.g. payments-admins."
    )
    group: str = Field(min_length=1, description="The app group's slug.")
    role: Role = Field(description="owner, admin or member.")


class OidcSettings(BaseModel):
    """Single sign-on through an OpenID Connect provider (``BARITO_OIDC__...``)."""

    model_config = ConfigDict(extra="forbid")

    issuer: str = Field(
        "",
        description="The provider's issuer URL, e.g. https://sso.example.com/realms/acme; its "
        "/.well-known/openid-configuration is read at start. Empty: no single sign-on.",
    )
    client_id: str = Field("", description="The market's client id at the provider.")
    client_secret: SecretStr | None = Field(
        None, description="The market's client secret (or ..._FILE: read from a file)."
    )
    display_name: str = Field(
        "your identity provider",
        max_length=60,
        description="Shown on the login page as 'Sign in with <display_name>'.",
    )
    scopes: str = Field("openid email profile", description="Scopes asked for; openid first.")
    groups_claim: str = Field(
        "groups", description="The ID token claim that lists the user's directory groups."
    )
    roles_from_claims: list[RoleFromClaim] = Field(
        default_factory=list,
        description="Roles granted at each sign-in from the groups claim (JSON list of "
        '{"claim", "group", "role"}); a role no longer claimed is taken away.',
    )
    superadmin_claims: list[str] = Field(
        default_factory=list,
        description="Values of the groups claim that make a user superadmin (checked at each "
        "sign-in). Empty: superadmins are made only by barito-market-admin.",
    )
    clock_skew_s: float = Field(
        60, ge=0, le=300, description="Clock difference tolerated on exp, iat and nbf."
    )
    ssl_cafile: str | None = Field(
        None,
        description="CA bundle (PEM) that signed the provider's certificate, for a provider "
        "behind a company CA. Unset: the system's trust store.",
    )
    login_timeout_s: float = Field(
        600, gt=0, le=3600, description="How long a sign-in may spend at the provider."
    )
    redirect_url: str = Field(
        "",
        description="The callback URL registered at the provider "
        "(https://market.example.com/api/v1/auth/oidc/callback). Empty: derived from the "
        "request, which is right unless a proxy rewrites the host.",
    )

    @property
    def enabled(self) -> bool:
        return bool(self.issuer)

    @field_validator("issuer")
    @classmethod
    def _https_issuer(cls, issuer: str) -> str:
        if not issuer:
            return issuer
        parts = urlsplit(issuer)
        # ID tokens and the client secret travel to and from the issuer, so
        # plain http is allowed on the loopback address only.
        if parts.scheme == "https" and parts.hostname:
            return issuer.rstrip("/")
        if parts.scheme == "http" and _is_loopback(parts.hostname):
            return issuer.rstrip("/")
        raise ValueError(f"the issuer must be an https:// URL (http only on loopback): {issuer!r}")

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if self.enabled and not (self.client_id and self.client_secret):
            raise ValueError("single sign-on needs a client_id and a client_secret")
        if self.enabled and "openid" not in self.scopes.split():
            raise ValueError("the scopes must include openid")
        return self


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return host is not None and ip_address(host).is_loopback
    except ValueError:
        return False


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
    passwords_enabled: bool = Field(
        True,
        description="Whether users may log in (and sign up) with a password. Turning it off "
        "needs single sign-on; API tokens keep working.",
    )
    oidc: OidcSettings = Field(default_factory=OidcSettings)
    alert_private_targets: bool = Field(
        False,
        description="Let alert channels' URLs reach loopback, private and link-local "
        "addresses (a test rig, a receiver inside the company network). Off: such a URL is "
        "refused before anything is sent, so a tenant cannot make Barito reach its own "
        "network for them.",
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
    audit_retention_days: int = Field(
        400,
        ge=1,
        le=36500,
        description="Audit entries older than this many days are deleted (hourly), so the "
        "log, which failed sign-ins by anyone also write to, cannot grow without bound.",
    )
    alert_history_retention_days: int = Field(
        30,
        ge=1,
        le=36500,
        description="Alert history (firings, resolutions, re-notifications with their samples) "
        "older than this many days is deleted (hourly, in batches); 30 matches how long "
        "the alerts.events topic keeps them.",
    )
    storage_check_interval_s: float = Field(
        300,
        gt=0,
        description="How often the groups' storage is measured against their limits: at 80 % "
        "the owners are told, over the limit the oldest daily indices are dropped. One "
        "market replica at a time checks (a Postgres advisory lock).",
    )
    deletion_poll_interval_s: float = Field(
        2.0,
        gt=0,
        le=3600,
        description="How often each market replica looks for a queued deletion job, and "
        "reads a running one's progress, in seconds.",
    )
    deletion_claim_lease_s: float = Field(
        120.0,
        ge=5,
        le=86400,
        description="How long a replica's claim on a deletion job lasts without renewal; "
        "a job whose replica died is resumed by another after this many seconds.",
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
    smtp: SmtpSettings = Field(
        default_factory=SmtpSettings,
        description='The mail server that alert channels\' "send test" uses for email '
        "(the same as the server's, BARITO_SMTP__HOST ...). No host: email cannot be tested.",
    )
    forward_url: str = Field(
        "tcp://127.0.0.1:24224",
        description="The receiver's fluentd forward listener as agents reach it, shown in the "
        "forward configurations: tcp://host:port, or tls://host:port when it serves TLS.",
    )

    @model_validator(mode="after")
    def _someone_can_log_in(self) -> Self:
        if not self.passwords_enabled and not self.oidc.enabled:
            raise ValueError("passwords_enabled=false needs single sign-on (oidc.issuer)")
        return self

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
