"""An app's registry entry (AppProfile) as the data path must see it."""

from __future__ import annotations

from datetime import datetime

from barito_common.kafka import Topics
from barito_common.schemas import AppProfile, ClusterCoordinates
from barito_market.alerts.specs import profile_alerts
from barito_market.apps.secret_rotation import live_retiring
from barito_market.models import App, AppGroup
from barito_market.redactions.specs import redaction_specs

__all__ = ["app_profile"]


def app_profile(
    app: App,
    group: AppGroup,
    *,
    topics: Topics,
    index_prefix: str,
    cluster: ClusterCoordinates | None,
    now: datetime,
) -> AppProfile:
    """Hashes and sealed keys only: a plain secret never leaves the request that made it.

    The forward key travels sealed under the installation key, for the
    receiver to open in memory (barito_market.apps.forward_keys).

    ``cluster`` is the group's (``barito_market.groups.cluster``): every profile
    of a dedicated group names it, or a republish would move the app's logs
    back to the installation's cluster.

    The app's alert rules travel with it, and the group's channels they
    name, secrets sealed (barito_market.alerts), and its redaction rules in
    the order the receiver applies them (barito_market.redactions).
    """
    alert_rules, alert_channels = profile_alerts(app, group)
    return AppProfile(
        app_id=str(app.id),
        slug=app.slug,
        name=app.name,
        group_id=str(group.id),
        group_slug=group.slug,
        status=app.status,
        secret_hashes=[app.secret_hash],
        retiring_secrets=live_retiring(app.retiring_secrets, now=now),
        group_secret_hashes=[group.secret_hash] if group.secret_hash else [],
        retiring_group_secrets=live_retiring(group.retiring_secrets, now=now),
        forward_key_sealed=app.forward_key_sealed,
        tps=app.tps,
        topic=topics.logs(app.slug),
        index_prefix=f"{index_prefix}{app.slug}",
        retention_days=app.retention_days,
        capacity=app.capacity,
        updated_at=app.updated_at,
        cluster=cluster,
        alert_rules=alert_rules,
        alert_channels=alert_channels,
        redaction_rules=redaction_specs(app),
    )
