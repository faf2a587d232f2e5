"""The OpenTelemetry Collector's ``otlphttp`` exporter, to the receiver's ``/v1/logs``.

A whole configuration file: the collector merges several (``--config a.yaml
--config barito.yaml``), so it runs beside an existing one or alone, taking
OTLP from the host's applications. The receiver answers 429/503 with
Retry-After under pressure, which the exporter honours; retrying without an
end and a sending queue keep a receiver outage from losing logs.
"""

from __future__ import annotations

__all__ = ["otel_collector_config"]


def otel_collector_config(*, otlp_url: str, secret: str) -> str:
    return f"""receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:4317
      http:
        endpoint: 127.0.0.1:4318

processors:
  batch: {{}}

exporters:
  otlphttp/barito:
    logs_endpoint: {otlp_url}
    headers:
      X-App-Secret: {secret}
    compression: gzip
    retry_on_failure:
      enabled: true
      max_elapsed_time: 0
    sending_queue:
      enabled: true

service:
  pipelines:
    logs/barito:
      receivers: [otlp]
      processors: [batch]
      exporters: [otlphttp/barito]
"""
