"""Alert history past the retention is deleted, in batches; younger history, all of it, stays."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from barito_common.alerts import AlertSeverity, AlertTransition
from barito_market.alerts.history_retention import delete_expired_history
from barito_market.models import AlertHistory
from barito_market.models import App as AppRow
from barito_market.models.base import utc_now
from barito_market.settings import MarketSettings
from barito_testing.market import Market, MarketUser


def _transition(
    app_id: uuid.UUID,
    age: timedelta,
    name: str,
    transition: AlertTransition = AlertTransition.FIRING,
    rule_id: uuid.UUID | None = None,
) -> AlertHistory:
    rule_id = rule_id or uuid.uuid4()
    return AlertHistory(
        id=uuid.uuid4(),
        app_id=app_id,
        rule_id=rule_id,
        rule_name=name,
        notification_id=f"{rule_id}:{uuid.uuid4().hex[:6]}",
        transition=transition,
        severity=AlertSeverity.WARNING,
        at=utc_now() - age,
        count=1,
        window_s=300,
        samples=[{"message": "boom"}],
        muted=False,
        deliveries={},
    )


async def test_history_older_than_the_retention_goes_in_batches_and_the_rest_stays(
    market: Market, users: dict[str, MarketUser]
) -> None:
    owner = users["owner"]
    registered = await market.client.post(
        "/api/v1/apps",
        headers=owner.headers,
        json={"name": "checkout", "new_group": f"shop-{uuid.uuid4().hex[:6]}"},
    )
    slug = registered.json()["slug"]
    async with market.sessionmaker() as session:
        app_id = await session.scalar(select(AppRow.id).where(AppRow.slug == slug))
        assert app_id is not None
        # Five old transitions of one rule, resolved since (a minute ago) …
        resolved, firing = uuid.uuid4(), uuid.uuid4()
        session.add_all(
            [
                _transition(app_id, timedelta(days=31 + i), f"old-{i}", rule_id=resolved)
                for i in range(5)
            ]
            + [
                _transition(
                    app_id, timedelta(minutes=1), "now", AlertTransition.RESOLVED, resolved
                ),
                _transition(app_id, timedelta(days=29, hours=23), "month"),
                # … and a rule firing for 40 days: its firing is its status
                # and stays; its old reminders go.
                _transition(app_id, timedelta(days=40), "long", rule_id=firing),
                _transition(
                    app_id, timedelta(days=35), "reminder", AlertTransition.RENOTIFY, firing
                ),
            ]
        )
        await session.commit()

        now = utc_now()
        # Batches of 2: three commits take the six, a fourth finds none.
        deleted = await delete_expired_history(session, retention_days=30, now=now, batch=2)
        again = await delete_expired_history(session, retention_days=30, now=now, batch=2)

    assert (deleted, again) == (6, 0)
    page = await market.client.get(f"/api/v1/apps/{slug}/alerts/history", headers=owner.headers)
    assert page.status_code == 200, page.text
    assert [entry["rule_name"] for entry in page.json()["data"]] == ["now", "month", "long"]


def test_the_retention_defaults_to_the_events_topics_30_days_and_is_set_by_env(
    monkeypatch: Any,
) -> None:
    assert MarketSettings.model_fields["alert_history_retention_days"].default == 30
    monkeypatch.setenv("BARITO_ALERT_HISTORY_RETENTION_DAYS", "7")
    assert MarketSettings().alert_history_retention_days == 7  # type: ignore[call-arg]
