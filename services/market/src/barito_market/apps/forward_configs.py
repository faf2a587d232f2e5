"""Ready-to-paste fluentd and Fluent Bit ``forward`` outputs for an app's forward key.

Both prove the shared key in the forward handshake and name the app by
username (its slug) with the same key as password; the receiver answers
each chunk only after Kafka took it (``require_ack_response``), so a chunk
without an answer is sent again: at-least-once.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from barito_market.apps.agent_configs.addresses import Address, tcp_address

__all__ = ["ForwardConfigs", "forward_configs"]


class ForwardConfigs(BaseModel):
    fluentd: str = Field(description="A fluentd <match> section (out_forward) with <security>.")
    fluent_bit: str = Field(description="A Fluent Bit [OUTPUT] section (forward).")


def _fluentd(address: Address, *, app_slug: str, key: str) -> str:
    transport = (
        "  transport tls\n"
        "  # With a certificate no public CA signed: tls_cert_path /path/to/ca.pem\n"
        if address.tls
        else ""
    )
    return f"""<match {app_slug}.**>
  @type forward
{transport}  require_ack_response true
  <security>
    self_hostname "#{{Socket.gethostname}}"
    shared_key {key}
  </security>
  <server>
    host {address.host}
    port {address.port}
    username {app_slug}
    password {key}
  </server>
  <buffer>
    @type file
    path /var/log/fluentd/barito-forward-{app_slug}
    flush_interval 2s
    retry_max_interval 30s
    retry_forever true
  </buffer>
</match>
"""


def _fluent_bit(address: Address, *, app_slug: str, key: str) -> str:
    return f"""[OUTPUT]
    Name                 forward
    Match                *
    Host                 {address.host}
    Port                 {address.port}
    tls                  {"On" if address.tls else "Off"}
    Shared_Key           {key}
    Username             {app_slug}
    Password             {key}
    Require_ack_response On
    Retry_Limit          no_limits
"""


def forward_configs(*, forward_url: str, app_slug: str, key: str) -> ForwardConfigs:
    """``forward_url`` is the market's validated setting: tcp:// or tls://, host and port."""
    address = tcp_address(forward_url)
    return ForwardConfigs(
        fluentd=_fluentd(address, app_slug=app_slug, key=key),
        fluent_bit=_fluent_bit(address, app_slug=app_slug, key=key),
    )
