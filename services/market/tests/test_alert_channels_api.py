"""An app group's alert channels on real Postgres and Kafka, "send test" to a real webhook.

Secrets (a webhook's signing secret the market makes, a Slack webhook URL,
a PagerDuty routing key) are kept and published only sealed under the
installation key and never shown again; each kind's config is checked with
a 422 naming the field; members read, owners and admins change, other
groups see nothing; a change reaches every app profile whose rules use it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from barito_common.installation_key import InstallationKey
from barito_common.schemas import AppProfile, from_bytes
from barito_market.models import AlertChannel, AuditEntry
from barito_testing.market import Market, MarketUser, apps_topic_values, market_on_postgres
from barito_testing.webhook_receiver import webhook_receiver

INSTALLATION_KEY = "the alert channel tests' installation key, 48 chars"
SLACK_URL = "https://hooks.slack.example.test/services/T000/B000/slack-secret-part"


@pytest.fixture(scope="module")
async def market(stack: Any) -> AsyncIterator[Market]:
    async with market_on_postgres(stack, installation_key=INSTALLATION_KEY) as market:
        yield market


async def new_group(market: Market, users: dict[str, MarketUser]) -> tuple[str, str]:
    """An app in a new group of the owner, with the admin and the member: (app, group)."""
    registered = await market.client.post(
        "/api/v1/apps",
        headers=users["owner"].headers,
        json={"name": "checkout", "new_group": f"shop-{uuid.uuid4().hex[:6]}"},
    )
    assert registered.status_code == 201, registered.text
    group = registered.json()["group"]
    await market.add_members(
        group, users["owner"], {"admin": users["admin"], "member": users["member"]}
    )
    return registered.json()["slug"], group


async def add_channel(market: Market, user: MarketUser, group: str, **body: Any) -> Any:
    made = await market.client.post(
        f"/api/v1/groups/{group}/alert-channels", headers=user.headers, json=body
    )
    assert made.status_code == 201, made.text
    return made.json()


async def stored_channel(market: Market, channel_id: str) -> AlertChannel:
    async with market.sessionmaker() as session:
        channel = await session.get(AlertChannel, uuid.UUID(channel_id))
    assert channel is not None
    return channel


async def profile_of(market: Market, stack: Any, slug: str) -> tuple[AppProfile, bytes]:
    """The newest profile of ``slug`` on the apps topic, and its raw bytes."""
    values = await apps_topic_values(stack.kafka_bootstrap, market.settings.kafka.topic_prefix)
    mine = [value for value in values if from_bytes(AppProfile, value).slug == slug]
    return from_bytes(AppProfile, mine[-1]), mine[-1]


async def test_a_webhook_gets_a_signing_secret_shown_once_and_kept_only_sealed(
    market: Market, users: dict[str, MarketUser]
) -> None:
    _, group = await new_group(market, users)

    made = await add_channel(
        market,
        users["admin"],
        group,
        name="ops hook",
        kind="webhook",
        config={"url": "https://hooks.example.test/barito"},
    )

    secret = made["signing_secret"]
    assert len(secret) >= 40 and made["has_secret"] is True
    assert made["config"] == {"url": "https://hooks.example.test/barito"}
    sealed = (await stored_channel(market, made["id"])).secret_sealed
    assert sealed and secret not in sealed
    assert InstallationKey(INSTALLATION_KEY).open(sealed) == secret
    listed = await market.client.get(
        f"/api/v1/groups/{group}/alert-channels", headers=users["member"].headers
    )
    assert listed.status_code == 200 and [c["name"] for c in listed.json()["data"]] == ["ops hook"]
    for answer in (listed.text, json.dumps(market.app.openapi())):
        assert secret not in answer and sealed not in answer and "secret_sealed" not in answer
    assert "signing_secret" not in listed.text


async def test_send_test_reaches_a_real_webhook_signed_with_the_shown_secret(
    market: Market, users: dict[str, MarketUser]
) -> None:
    _, group = await new_group(market, users)
    async with webhook_receiver() as receiver:
        made = await add_channel(
            market, users["owner"], group, name="hook", kind="webhook", config={"url": receiver.url}
        )
        url = f"/api/v1/groups/{group}/alert-channels/{made['id']}/test"

        tested = await market.client.post(url, headers=users["admin"].headers)

        assert tested.status_code == 200, tested.text
        assert tested.json() == {"delivered": True, "attempts": 1, "error": None}
        request = receiver.requests[-1]
        assert request.verified(made["signing_secret"])
        assert not request.verified("another secret")
        assert request.notification_id and request.notification_id.startswith("test:")

        receiver.answer(500)
        failed = await market.client.post(url, headers=users["owner"].headers)

    assert failed.status_code == 200 and failed.json()["delivered"] is False
    assert "500" in failed.json()["error"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"kind": "webhook", "config": {}}, "config.url: a webhook channel needs the URL"),
        ({"kind": "webhook", "config": {"url": "ftp://x.test/"}}, "config.url: must be a URL"),
        (
            {"kind": "webhook", "config": {"url": "https://x.test/"}, "secret": "mine"},
            "secret: a webhook's signing secret is made by the market",
        ),
        ({"kind": "email", "config": {"to": []}}, "config.to: give a list of 1 to 20"),
        ({"kind": "email", "config": {"to": [f"u{i}@x.test" for i in range(21)]}}, "1 to 20"),
        ({"kind": "email", "config": {"to": ["not an address"]}}, "is not an email address"),
        ({"kind": "email", "config": {"to": ["a@x.test"], "cc": "b@x.test"}}, "config.cc:"),
        ({"kind": "slack"}, "secret: a Slack channel needs its incoming webhook URL"),
        (
            {"kind": "slack", "secret": "http://plain.test/"},
            "secret: must be a URL starting with https://",
        ),
        ({"kind": "pagerduty"}, "secret: a PagerDuty channel needs its routing key"),
        (
            {"kind": "pagerduty", "secret": "k", "config": {"events_url": "http://pd.test/"}},
            "config.events_url: must be a URL starting with https://",
        ),
        ({"kind": "sms"}, "kind:"),
    ],
)
async def test_each_kind_refuses_a_bad_config_naming_the_field(
    market: Market, users: dict[str, MarketUser], body: dict[str, Any], words: str
) -> None:
    _, group = await new_group(market, users)
    refused = await market.client.post(
        f"/api/v1/groups/{group}/alert-channels",
        headers=users["owner"].headers,
        json={"name": "bad", **body},
    )
    assert refused.status_code == 422, refused.text
    assert words in refused.json()["error"]["message"]


async def test_slack_and_pagerduty_secrets_are_published_sealed_with_the_rules_that_use_them(
    market: Market, users: dict[str, MarketUser], stack: Any
) -> None:
    slug, group = await new_group(market, users)
    owner = users["owner"]
    slack = await add_channel(market, owner, group, name="chat", kind="slack", secret=SLACK_URL)
    pager = await add_channel(
        market, owner, group, name="pager", kind="pagerduty", secret="routing-key-0123456789"
    )
    mail = await add_channel(
        market, owner, group, name="mail", kind="email", config={"to": ["o@x.test"]}
    )
    assert slack["signing_secret"] is None and mail["has_secret"] is False

    rule = await market.client.post(
        f"/api/v1/apps/{slug}/alerts",
        headers=owner.headers,
        json={
            "name": "errors",
            "condition": {"kind": "any"},
            "channel_ids": [slack["id"], pager["id"]],
        },
    )
    assert rule.status_code == 201, rule.text

    profile, raw = await profile_of(market, stack, slug)
    assert {c.name for c in profile.alert_channels} == {"chat", "pager"}  # mail is unused
    opened = {
        c.name: InstallationKey(INSTALLATION_KEY).open(c.secret_sealed or "")
        for c in profile.alert_channels
    }
    assert opened == {"chat": SLACK_URL, "pager": "routing-key-0123456789"}
    assert b"slack-secret-part" not in raw and b"routing-key-0123456789" not in raw
    shown = await market.client.get(f"/api/v1/groups/{group}/alert-channels", headers=owner.headers)
    assert "slack-secret-part" not in shown.text and "routing-key" not in shown.text


async def test_a_channel_change_reaches_every_app_using_it_and_deleting_it_unnames_it(
    market: Market, users: dict[str, MarketUser], stack: Any
) -> None:
    owner = users["owner"]
    first, group = await new_group(market, users)
    second = await market.client.post(
        "/api/v1/apps", headers=owner.headers, json={"name": "billing", "group": group}
    )
    apps = [first, second.json()["slug"]]
    hook = await add_channel(
        market, owner, group, name="hook", kind="webhook", config={"url": "https://a.test/"}
    )
    for slug in apps:
        made = await market.client.post(
            f"/api/v1/apps/{slug}/alerts",
            headers=owner.headers,
            json={"name": "any", "condition": {"kind": "any"}, "channel_ids": [hook["id"]]},
        )
        assert made.status_code == 201, made.text
    channel_url = f"/api/v1/groups/{group}/alert-channels/{hook['id']}"

    changed = await market.client.patch(
        channel_url, headers=users["admin"].headers, json={"config": {"url": "https://b.test/"}}
    )

    assert changed.status_code == 200 and changed.json()["config"]["url"] == "https://b.test/"
    for slug in apps:
        profile, raw = await profile_of(market, stack, slug)
        assert [c.config["url"] for c in profile.alert_channels] == ["https://b.test/"]
        assert hook["signing_secret"].encode() not in raw

    deleted = await market.client.delete(channel_url, headers=owner.headers)

    assert deleted.status_code == 204
    for slug in apps:
        profile, _ = await profile_of(market, stack, slug)
        assert profile.alert_channels == [] and profile.alert_rules[0].channel_ids == []
        # Same revision: a rule firing when its channel goes keeps firing on the
        # server (and resolves later), instead of restarting at ok and never resolving.
        assert profile.alert_rules[0].revision == 1
        rules = await market.client.get(f"/api/v1/apps/{slug}/alerts", headers=owner.headers)
        assert rules.json()["data"][0]["channel_ids"] == []
    async with market.sessionmaker() as session:
        entries = (
            await session.scalars(
                select(AuditEntry).where(AuditEntry.target_id == hook["id"]).order_by(AuditEntry.at)
            )
        ).all()
    assert [e.action for e in entries] == [
        "alert_channel.create",
        "alert_channel.update",
        "alert_channel.delete",
    ]
    assert entries[-1].details["rules_changed"] == 2
    assert hook["signing_secret"] not in repr([e.details for e in entries])


async def test_members_read_outsiders_and_other_groups_tokens_see_nothing(
    market: Market, users: dict[str, MarketUser]
) -> None:
    _, group = await new_group(market, users)
    hook = await add_channel(
        market,
        users["owner"],
        group,
        name="hook",
        kind="webhook",
        config={"url": "https://a.test/"},
    )
    _, other_group = await new_group(market, users)
    limited = await market.client.post(
        "/api/v1/auth/tokens",
        headers=users["owner"].headers,
        json={"name": "other group only", "group": other_group},
    )
    elsewhere = {"Authorization": f"Bearer {limited.json()['token']}"}
    listing = f"/api/v1/groups/{group}/alert-channels"
    one = f"{listing}/{hook['id']}"
    writes = [
        ("POST", listing, {"name": "x", "kind": "email", "config": {"to": ["a@x.test"]}}),
        ("PATCH", one, {"name": "renamed"}),
        ("DELETE", one, None),
        ("POST", f"{one}/test", None),
    ]

    member_read = await market.client.get(listing, headers=users["member"].headers)
    assert member_read.status_code == 200 and len(member_read.json()["data"]) == 1
    for method, url, body in [("GET", listing, None), *writes]:
        as_outsider = await market.client.request(
            method, url, headers=users["outsider"].headers, json=body
        )
        as_other_token = await market.client.request(method, url, headers=elsewhere, json=body)
        assert as_outsider.status_code == as_other_token.status_code == 404, as_outsider.text
    for method, url, body in writes:
        as_member = await market.client.request(
            method, url, headers=users["member"].headers, json=body
        )
        assert as_member.status_code == 403, as_member.text
        assert "needs the admin role" in as_member.json()["error"]["message"]
    assert (await stored_channel(market, hook["id"])).name == "hook"


async def test_without_an_installation_key_a_secret_channel_says_how_to_set_one(
    stack: Any,
) -> None:
    async with market_on_postgres(stack) as keyless:
        owner = await keyless.create_user()
        group = await keyless.client.post(
            "/api/v1/groups", headers=owner.headers, json={"name": "g"}
        )
        url = f"/api/v1/groups/{group.json()['slug']}/alert-channels"

        refused = await keyless.client.post(
            url, headers=owner.headers, json={"name": "chat", "kind": "slack", "secret": SLACK_URL}
        )
        mail = await keyless.client.post(
            url,
            headers=owner.headers,
            json={"name": "m", "kind": "email", "config": {"to": ["a@x.test"]}},
        )

    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "no_installation_key"
    assert "BARITO_INSTALLATION_KEY" in refused.json()["error"]["message"]
    assert mail.status_code == 201, mail.text


async def test_a_control_character_in_any_name_is_refused_and_a_group_goes_with_its_channels(
    market: Market, users: dict[str, MarketUser]
) -> None:
    owner = users["owner"]
    made = await market.client.post("/api/v1/groups", headers=owner.headers, json={"name": "tmp"})
    group = made.json()["slug"]
    refused = await market.client.post(
        f"/api/v1/groups/{group}/alert-channels",
        headers=owner.headers,
        json={"name": "a\x00b", "kind": "email", "config": {"to": ["a@x.test"]}},
    )
    assert refused.status_code == 422
    assert (
        "body.name: Value error, must not contain control characters"
        in (refused.json()["error"]["message"])
    )
    # The same rule for every name people give: Postgres cannot even store a NUL,
    # which a group or app name once turned into a 500.
    for path, body in (
        ("/api/v1/groups", {"name": "a\x00b"}),
        ("/api/v1/apps", {"name": "a\x00b", "new_group": "fresh"}),
        ("/api/v1/apps", {"name": "fine", "new_group": "a\x1bb"}),
        ("/api/v1/auth/tokens", {"name": "a\x00b"}),
    ):
        named = await market.client.post(path, headers=owner.headers, json=body)
        assert named.status_code == 422, (path, named.text)
        assert "must not contain control characters" in named.json()["error"]["message"]
    mail = await add_channel(
        market, owner, group, name="mail", kind="email", config={"to": ["a@x.test"]}
    )

    deleted = await market.client.delete(f"/api/v1/groups/{group}", headers=owner.headers)

    assert deleted.status_code == 204, deleted.text
    async with market.sessionmaker() as session:
        assert await session.get(AlertChannel, uuid.UUID(mail["id"])) is None
