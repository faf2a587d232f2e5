"""The URLs an app owner is shown, built from the installation's templates."""

from __future__ import annotations

from pydantic import BaseModel, Field

from barito_common.schemas import ClusterCoordinates
from barito_market.settings import MarketSettings

__all__ = ["AppEndpoints", "app_endpoints"]


class AppEndpoints(BaseModel):
    ingest: str = Field(description="Where agents POST logs (with the app secret).")
    tail: str = Field(description="Live tail of the app's logs (websocket or NDJSON).")
    viewer: str = Field(
        description="The app's logs in the viewer (Kibana): its dedicated cluster's Kibana "
        "when it has one, else the installation's."
    )


def app_endpoints(
    settings: MarketSettings,
    *,
    app_slug: str,
    group_slug: str,
    cluster: ClusterCoordinates | None,
) -> AppEndpoints:
    names = {"app": app_slug, "group": group_slug}
    viewer = settings.viewer_url_template.format_map(names)
    if cluster is not None and cluster.kibana_url:
        viewer = cluster.kibana_url
    return AppEndpoints(
        ingest=settings.ingest_url_template.format_map(names),
        tail=settings.tail_url_template.format_map(names),
        viewer=viewer,
    )
