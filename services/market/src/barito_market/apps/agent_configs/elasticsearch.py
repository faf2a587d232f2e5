"""Agents' Elasticsearch outputs, pointed at the receiver's Elasticsearch-compatible API.

Each authenticates as Elasticsearch lets it: the app slug as user name and the
app secret as password (basic auth); the receiver takes the app from the
secret alone, and the index an agent names is not where its logs go. Each
turns off what the receiver does not need, so that nothing depends on its
answers to set-up calls: Filebeat's and Logstash's index templates and ILM
(Barito manages each app's mappings and retention), Vector's version probe
(``api_version``), and Elasticsearch 7's ``_type`` that Fluent Bit sends by
default (``Suppress_Type_Name``). Each retries without end, as the receiver
answers 429/503 under pressure and never loses an acknowledged write.
rsyslog's message of an RFC 3164 line starts with the space after the tag's
colon; its template drops that one space so the stored message is the text.
"""

from __future__ import annotations

from barito_market.apps.agent_configs.addresses import http_address

__all__ = [
    "filebeat_config",
    "fluent_bit_es_config",
    "logstash_config",
    "rsyslog_elasticsearch_config",
    "vector_config",
]


def filebeat_config(*, bulk_url: str, secret: str, app_slug: str) -> str:
    address = http_address(bulk_url)
    path = f'  path: "{address.path}"\n' if address.path else ""
    return f"""output.elasticsearch:
  hosts: ["{address.base}"]
{path}  username: "{app_slug}"
  password: "{secret}"
  compression_level: 1
  allow_older_versions: true
setup.ilm.enabled: false
setup.template.enabled: false
"""


def logstash_config(*, bulk_url: str, secret: str, app_slug: str) -> str:
    address = http_address(bulk_url)
    return f"""output {{
  elasticsearch {{
    hosts => ["{address.base}{address.path}"]
    user => "{app_slug}"
    password => "{secret}"
    index => "{app_slug}"
    manage_template => false
    ilm_enabled => false
    data_stream => false
  }}
}}
"""


def vector_config(*, bulk_url: str, secret: str, app_slug: str) -> str:
    address = http_address(bulk_url)
    return f"""sinks:
  barito:
    type: elasticsearch
    # The ids of your sources or transforms whose logs go to Barito.
    inputs: ["my_logs"]
    endpoints: ["{address.base}{address.path}"]
    api_version: v8
    mode: bulk
    bulk:
      index: "{app_slug}"
    auth:
      strategy: basic
      user: "{app_slug}"
      password: "{secret}"
    compression: gzip
"""


def fluent_bit_es_config(*, bulk_url: str, secret: str, app_slug: str) -> str:
    address = http_address(bulk_url)
    path = f"    Path               {address.path}\n" if address.path else ""
    return f"""[OUTPUT]
    Name               es
    Match              *
    Host               {address.host}
    Port               {address.port}
{path}    tls                {"On" if address.tls else "Off"}
    HTTP_User          {app_slug}
    HTTP_Passwd        {secret}
    Index              {app_slug}
    Suppress_Type_Name On
    Generate_ID        On
    Compress           gzip
    Retry_Limit        no_limits
"""


def rsyslog_elasticsearch_config(*, bulk_url: str, secret: str, app_slug: str) -> str:
    address = http_address(bulk_url)
    return f"""module(load="omelasticsearch")
template(name="barito-json" type="list" option.jsonf="on") {{
  property(outname="@timestamp" name="timereported" dateFormat="rfc3339" format="jsonf")
  property(outname="host" name="hostname" format="jsonf")
  property(outname="severity" name="syslogseverity-text" format="jsonf")
  property(outname="facility" name="syslogfacility-text" format="jsonf")
  property(outname="program" name="programname" format="jsonf")
  property(outname="message" name="msg" format="jsonf" regex.type="ERE"
           regex.expression="^ ?(.*)$" regex.submatch="1" regex.nomatchmode="FIELD")
}}
action(type="omelasticsearch" server="{address.base}{address.path}"
       uid="{app_slug}" pwd="{secret}" searchIndex="{app_slug}"
       bulkmode="on" template="barito-json"
       queue.type="LinkedList" queue.size="10000" action.resumeRetryCount="-1")
"""
