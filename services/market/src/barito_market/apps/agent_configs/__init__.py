"""Ready-to-paste agent configurations for an app, filled with its endpoints and secret.

One module per protocol the receiver speaks: ``http`` (Barito's own NDJSON
endpoint), ``otlp``, ``elasticsearch`` (the Elasticsearch-compatible API),
``forward`` and ``syslog``. A protocol the installation does not offer (its
endpoint template is empty) has no configurations: null in AgentConfigs.
They follow docs/agents.md, which holds the same ones with placeholders
(services/market/tests/test_agent_configs*.py compare the two).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from barito_market.apps.agent_configs.elasticsearch import (
    filebeat_config,
    fluent_bit_es_config,
    logstash_config,
    rsyslog_elasticsearch_config,
    vector_config,
)
from barito_market.apps.agent_configs.forward import (
    fluent_bit_forward_config,
    fluentd_forward_config,
)
from barito_market.apps.agent_configs.http import fluent_bit_config, fluentd_config
from barito_market.apps.agent_configs.otlp import otel_collector_config
from barito_market.apps.agent_configs.syslog import rsyslog_syslog_config
from barito_market.apps.endpoints import AppEndpoints

__all__ = ["AgentConfigs", "agent_configs", "fluent_bit_config", "fluentd_config"]

_OFF = " Null when the installation does not offer {}."


class AgentConfigs(BaseModel):
    fluentd: str = Field(description="A fluentd <match> section (out_http).")
    fluent_bit: str = Field(description="A Fluent Bit [OUTPUT] section (http).")
    otel_collector: str | None = Field(
        description="An OpenTelemetry Collector configuration (otlphttp exporter)."
        + _OFF.format("OTLP")
    )
    filebeat: str | None = Field(
        description="Filebeat's output.elasticsearch." + _OFF.format("the bulk API")
    )
    logstash: str | None = Field(
        description="A Logstash output (elasticsearch)." + _OFF.format("the bulk API")
    )
    vector: str | None = Field(
        description="A Vector sink (elasticsearch), YAML." + _OFF.format("the bulk API")
    )
    fluent_bit_es: str | None = Field(
        description="A Fluent Bit [OUTPUT] section (es)." + _OFF.format("the bulk API")
    )
    rsyslog_elasticsearch: str | None = Field(
        description="rsyslog's omelasticsearch action with its JSON template."
        + _OFF.format("the bulk API")
    )
    fluent_bit_forward: str | None = Field(
        description="A Fluent Bit [OUTPUT] section (forward), the secret as the tag's first "
        "label." + _OFF.format("the forward protocol")
    )
    fluentd_forward: str | None = Field(
        description="A fluentd <match> section (out_forward) for events tagged "
        "<secret>.<tag> at their source." + _OFF.format("the forward protocol")
    )
    rsyslog_syslog: str | None = Field(
        description="rsyslog's omfwd action (RFC 5424, octet-counted) with the template that "
        "carries the secret in structured data." + _OFF.format("syslog")
    )


def agent_configs(endpoints: AppEndpoints, *, secret: str, app_slug: str) -> AgentConfigs:
    app = {"secret": secret, "app_slug": app_slug}
    bulk, forward, syslog = endpoints.bulk, endpoints.forward, endpoints.syslog
    return AgentConfigs(
        fluentd=fluentd_config(ingest_url=endpoints.ingest, **app),
        fluent_bit=fluent_bit_config(ingest_url=endpoints.ingest, secret=secret),
        otel_collector=(
            otel_collector_config(otlp_url=endpoints.otlp, secret=secret)
            if endpoints.otlp
            else None
        ),
        filebeat=filebeat_config(bulk_url=bulk, **app) if bulk else None,
        logstash=logstash_config(bulk_url=bulk, **app) if bulk else None,
        vector=vector_config(bulk_url=bulk, **app) if bulk else None,
        fluent_bit_es=fluent_bit_es_config(bulk_url=bulk, **app) if bulk else None,
        rsyslog_elasticsearch=rsyslog_elasticsearch_config(bulk_url=bulk, **app) if bulk else None,
        fluent_bit_forward=(
            fluent_bit_forward_config(forward_url=forward, **app) if forward else None
        ),
        fluentd_forward=fluentd_forward_config(forward_url=forward, **app) if forward else None,
        rsyslog_syslog=rsyslog_syslog_config(syslog_url=syslog, **app) if syslog else None,
    )
