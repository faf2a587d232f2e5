"""The URLs an app owner is shown, built from the installation's templates."""

from __future__ import annotations

from pydantic import BaseModel, Field

from barito_common.schemas import ClusterCoordinates
from barito_market.settings import MarketSettings

__all__ = ["AppEndpoints", "app_endpoints"]


class AppEndpoints(BaseModel):
    ingest: str = Field(description="Where agents POST logs (with the app secret).")
    otlp: str | None = Field(
        description="OTLP/HTTP logs endpoint (/v1/logs; the secret as X-App-Secret or "
        "Authorization: Bearer); null when the installation does not offer it.",
    )
    bulk: str | None = Field(
        description="Elasticsearch-compatible base URL (/_bulk; the secret as the basic-auth "
        "password or API key); null when not offered.",
    )
    forward: str | None = Field(
        description="fluentd forward listener, tcp://host:port or tls://host:port (the secret "
        "as the tag's first label); null when not offered.",
    )
    syslog: str | None = Field(
        description="Syslog listener, tcp://host:port or tls://host:port (the secret in the "
        'SD element [barito@32473 secret="..."]); null when not offered.',
    )
    tail: str = Field(description="Live tail of the app's logs (websocket or NDJSON).")
    viewer: str | None = Field(
        description="The app's logs in the viewer (Kibana): the installation's for an app on "
        "the shared cluster, its dedicated cluster's Kibana for one on a dedicated cluster; "
        "null when that cluster runs no Kibana (the installation's holds none of its logs)."
    )


def app_endpoints(
    settings: MarketSettings,
    *,
    app_slug: str,
    group_slug: str,
    cluster: ClusterCoordinates | None,
) -> AppEndpoints:
    names = {"app": app_slug, "group": group_slug}
    viewer: str | None = settings.viewer_url_template.format_map(names)
    if cluster is not None:
        # Never the installation's Kibana: the app's new logs are not in its engine.
        viewer = cluster.kibana_url
    return AppEndpoints(
        ingest=settings.ingest_url_template.format_map(names),
        # An empty template: the installation does not offer that protocol.
        otlp=settings.otlp_url_template.format_map(names) or None,
        bulk=settings.bulk_url_template.format_map(names) or None,
        forward=settings.forward_url_template.format_map(names) or None,
        syslog=settings.syslog_url_template.format_map(names) or None,
        tail=settings.tail_url_template.format_map(names),
        viewer=viewer,
    )
