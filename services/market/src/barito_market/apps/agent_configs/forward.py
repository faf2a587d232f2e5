"""Fluent Bit's and fluentd's ``forward`` outputs, the app secret as the tag's first label.

The receiver's forward_port takes the app from the secret that starts each
request's tag (``<secret>.<rest>``) and keeps ``<rest>`` as the events' tag.
Both ask for an acknowledgement, which the receiver sends only after Kafka
took the chunk, so an unanswered chunk is sent again: at-least-once. fluentd
cannot change a tag on output, so its events must be tagged so at their
source; its forward key's handshake (``forward_configs``) avoids that.
"""

from __future__ import annotations

from barito_market.apps.agent_configs.addresses import tcp_address

__all__ = ["fluent_bit_forward_config", "fluentd_forward_config"]


def fluent_bit_forward_config(*, forward_url: str, secret: str, app_slug: str) -> str:
    address = tcp_address(forward_url)
    return f"""[OUTPUT]
    Name                 forward
    Match                *
    Host                 {address.host}
    Port                 {address.port}
    tls                  {"On" if address.tls else "Off"}
    Tag                  {secret}.{app_slug}
    Require_ack_response On
    Compress             gzip
    Retry_Limit          no_limits
"""


def fluentd_forward_config(*, forward_url: str, secret: str, app_slug: str) -> str:
    address = tcp_address(forward_url)
    transport = "  transport tls\n" if address.tls else ""
    return f"""# fluentd cannot change a tag on output: tag what you send to Barito at its
# source with the app secret first, e.g. <source> ... tag {secret}.web </source>
<match {secret}.**>
  @type forward
{transport}  require_ack_response true
  <server>
    host {address.host}
    port {address.port}
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
