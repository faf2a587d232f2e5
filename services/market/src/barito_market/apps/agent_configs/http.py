"""fluentd's and Fluent Bit's ``http`` outputs, to Barito's own ingest endpoint.

They follow docs/agents.md, which services/receiver/tests/test_agent_payloads.py
keeps honest: NDJSON over HTTP, the secret in X-App-Secret, gzip, and
retries on 429 and 5xx (fluentd retries only the codes it is told to).
fluentd names each request by its buffer chunk's id, so a retry of a request
Kafka took after all is indexed once: its records carry no time, and would
otherwise be stamped anew on every attempt.
"""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["fluent_bit_config", "fluentd_config"]


def fluentd_config(*, ingest_url: str, secret: str, app_slug: str) -> str:
    separator = "&" if "?" in ingest_url else "?"
    return f"""<match {app_slug}.**>
  @type http
  endpoint {ingest_url}{separator}idempotency_key=${{chunk_id}}
  headers {{"X-App-Secret":"{secret}"}}
  open_timeout 5
  read_timeout 60
  retryable_response_codes [429, 500, 502, 503, 504]
  compress gzip
  <format>
    @type json
  </format>
  json_array false
  <buffer>
    @type file
    path /var/log/fluentd/barito-{app_slug}
    chunk_limit_size 4m
    flush_interval 2s
    retry_max_interval 30s
    retry_forever true
  </buffer>
</match>
"""


def fluent_bit_config(*, ingest_url: str, secret: str) -> str:
    url = urlsplit(ingest_url)
    tls = url.scheme == "https"
    port = url.port or (443 if tls else 80)
    return f"""[OUTPUT]
    Name             http
    Match            *
    Host             {url.hostname}
    Port             {port}
    tls              {"On" if tls else "Off"}
    URI              {url.path or "/"}
    Header           X-App-Secret {secret}
    Format           json_lines
    Json_date_key    date
    Json_date_format iso8601
    Compress         gzip
    Retry_Limit      no_limits
"""
