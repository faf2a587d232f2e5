"""The URLs an app owner is shown, built from the installation's templates."""

from __future__ import annotations

from pydantic import BaseModel, Field

from barito_common.schemas import ClusterCoordinates
from barito_market.settings import MarketSettings

__all__ = ["AppEndpoints", "app_endpoints"]


class AppEndpoints(BaseModel):
    ingest: str = Field(description="Where agents POST logs (with the app secret).")
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
        tail=settings.tail_url_template.format_map(names),
        viewer=viewer,
    )
