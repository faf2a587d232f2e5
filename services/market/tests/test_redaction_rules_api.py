"""An app's redaction rules on real Postgres and Kafka: kept in order, checked, audited, published.

Every change reaches the app's profile on the apps topic (read back as the
receiver reads it) with the rules in the order they apply; a bad rule is
refused with a 422 naming the field at fault, a taken name with a 409.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from barito_common.redaction import DETECTORS
from barito_common.schemas import AppProfile, from_bytes
from barito_market.models import AuditEntry
from barito_testing.market import Market, MarketUser, apps_topic_values

CARD = {"name": "card", "kind": "detector", "detector": "credit_card"}


async def new_app(market: Market, users: dict[str, MarketUser]) -> str:
    """An app in a new group of the owner, with the admin and the member."""
    registered = await market.client.post(
        "/api/v1/apps",
        headers=users["owner"].headers,
        json={"name": "checkout", "new_group": f"shop-{uuid.uuid4().hex[:6]}"},
    )
    assert registered.status_code == 201, registered.text
    await market.add_members(
        registered.json()["group"],
        users["owner"],
        {"admin": users["admin"], "member": users["member"]},
    )
    return str(registered.json()["slug"])


async def published_rules(market: Market, stack: Any, slug: str) -> list[tuple[str, str]]:
    """(name, kind) of the rules on the newest profile of ``slug``, in order."""
    values = await apps_topic_values(stack.kafka_bootstrap, market.settings.kafka.topic_prefix)
    profiles = [from_bytes(AppProfile, value) for value in values]
    newest = [profile for profile in profiles if profile.slug == slug][-1]
    return [(rule.name, rule.kind.value) for rule in newest.redaction_rules]


async def test_rules_are_kept_in_order_moved_changed_and_deleted_and_the_profile_follows(
    market: Market, users: dict[str, MarketUser], stack: Any
) -> None:
    slug = await new_app(market, users)
    admin, member = users["admin"].headers, users["member"].headers
    url = f"/api/v1/apps/{slug}/redactions"
    bodies = [
        {"name": "password", "kind": "drop", "field": "user.password"},
        {"name": "order-id", "kind": "pattern", "pattern": r"ORD-\d{6}"},
        CARD,
    ]
    made = [await market.client.post(url, headers=admin, json=body) for body in bodies]
    assert [m.status_code for m in made] == [201, 201, 201], [m.text for m in made]
    assert made[1].json() == {
        "id": made[1].json()["id"],
        "name": "order-id",
        "kind": "pattern",
        "field": None,
        "pattern": r"ORD-\d{6}",
        "detector": None,
    }
    ids = [m.json()["id"] for m in made]

    listed = await market.client.get(url, headers=member)

    assert listed.status_code == 200, listed.text
    assert [r["id"] for r in listed.json()["rules"]] == ids
    assert listed.json()["detectors"] == DETECTORS
    assert await published_rules(market, stack, slug) == [
        ("password", "drop"),
        ("order-id", "pattern"),
        ("card", "detector"),
    ]

    moved = await market.client.patch(f"{url}/{ids[2]}", headers=admin, json={"position": 0})
    assert moved.status_code == 200, moved.text
    assert await published_rules(market, stack, slug) == [
        ("card", "detector"),
        ("password", "drop"),
        ("order-id", "pattern"),
    ]
    # A new kind keeps nothing of the old one: the pattern goes, the field is needed.
    masked = await market.client.patch(
        f"{url}/{ids[1]}", headers=admin, json={"kind": "mask", "field": "order.id"}
    )
    assert masked.status_code == 200, masked.text
    assert (masked.json()["kind"], masked.json()["field"], masked.json()["pattern"]) == (
        "mask",
        "order.id",
        None,
    )
    renamed = await market.client.patch(f"{url}/{ids[0]}", headers=admin, json={"name": "secret"})
    assert renamed.json()["field"] == "user.password"

    deleted = await market.client.delete(f"{url}/{ids[2]}", headers=admin)

    assert deleted.status_code == 204
    listed = await market.client.get(url, headers=member)
    assert [(r["name"], r["kind"]) for r in listed.json()["rules"]] == [
        ("secret", "drop"),
        ("order-id", "mask"),
    ]
    assert await published_rules(market, stack, slug) == [("secret", "drop"), ("order-id", "mask")]
    async with market.sessionmaker() as session:
        entries = (
            await session.scalars(
                select(AuditEntry).where(AuditEntry.target_id.in_(ids)).order_by(AuditEntry.at)
            )
        ).all()
    assert [(e.action, e.target_id, e.actor_email) for e in entries] == [
        ("redaction.create", ids[0], users["admin"].email),
        ("redaction.create", ids[1], users["admin"].email),
        ("redaction.create", ids[2], users["admin"].email),
        ("redaction.update", ids[2], users["admin"].email),
        ("redaction.update", ids[1], users["admin"].email),
        ("redaction.update", ids[0], users["admin"].email),
        ("redaction.delete", ids[2], users["admin"].email),
    ]
    assert entries[1].details == {"app": slug, "name": "order-id", "kind": "pattern", "position": 1}
    assert entries[4].details["changed"] == ["field", "kind"]
    assert all("ORD-" not in str(e.details) for e in entries), "the audit log holds a pattern"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"name": "bad", "kind": "pattern", "pattern": "(a)\\1"}, "pattern: "),
        ({"name": "bad", "kind": "pattern", "pattern": "(unclosed"}, "pattern: "),
        ({"name": "bad", "kind": "pattern"}, "pattern: a pattern rule needs an RE2"),
        ({"name": "bad", "kind": "drop"}, "field: a drop rule needs the dotted path"),
        ({"name": "bad", "kind": "mask", "field": "user..email"}, "field: redaction rule 'bad'"),
        ({"name": "bad", "kind": "mask", "field": ""}, "body.field: String should have at least"),
        (
            {"name": "bad", "kind": "detector", "detector": "ssn"},
            "detector: unknown detector 'ssn'",
        ),
        ({"name": "bad", "kind": "detector"}, "detector: a detector rule needs one of the"),
        (
            {"name": "bad", "kind": "drop", "field": "a", "pattern": "x"},
            "pattern: a drop rule takes no pattern, only a field",
        ),
        ({"name": "Bad Name", "kind": "drop", "field": "a"}, "body.name: String should match"),
        ({"name": "bad", "kind": "hash", "field": "a"}, "body.kind: Input should be"),
        ({"name": "bad", "kind": "drop", "field": "a", "regex": "x"}, "body.regex: Extra inputs"),
        ({"name": "bad", "kind": "pattern", "pattern": "x" * 1001}, "body.pattern: String should"),
    ],
)
async def test_a_bad_rule_is_refused_naming_what_is_wrong(
    market: Market, users: dict[str, MarketUser], stack: Any, body: dict[str, Any], words: str
) -> None:
    slug = await new_app(market, users)
    url = f"/api/v1/apps/{slug}/redactions"

    refused = await market.client.post(url, headers=users["owner"].headers, json=body)

    assert refused.status_code == 422, refused.text
    assert words in refused.json()["error"]["message"]
    listed = await market.client.get(url, headers=users["owner"].headers)
    assert listed.json()["rules"] == []


async def test_a_change_that_breaks_a_rule_is_refused_and_the_rule_stays(
    market: Market, users: dict[str, MarketUser], stack: Any
) -> None:
    slug = await new_app(market, users)
    owner = users["owner"].headers
    url = f"/api/v1/apps/{slug}/redactions"
    made = await market.client.post(url, headers=owner, json=CARD)
    one = f"{url}/{made.json()['id']}"

    to_pattern = await market.client.patch(one, headers=owner, json={"kind": "pattern"})
    bad_regex = await market.client.patch(
        one, headers=owner, json={"kind": "pattern", "pattern": "(?=look)"}
    )
    too_far = await market.client.patch(one, headers=owner, json={"position": 1})

    assert to_pattern.status_code == bad_regex.status_code == too_far.status_code == 422
    assert "pattern: a pattern rule needs" in to_pattern.json()["error"]["message"]
    assert bad_regex.json()["error"]["fields"][0]["field"] == "pattern"
    assert "position: the app has 1 rules: give 0 to 0" in too_far.json()["error"]["message"]
    assert await published_rules(market, stack, slug) == [("card", "detector")]


async def test_names_are_unique_in_an_app_and_an_app_has_at_most_fifty_rules(
    market: Market, users: dict[str, MarketUser], stack: Any
) -> None:
    slug = await new_app(market, users)
    other = await new_app(market, users)
    owner = users["owner"].headers
    url = f"/api/v1/apps/{slug}/redactions"
    first = await market.client.post(url, headers=owner, json=CARD)
    again = await market.client.post(url, headers=owner, json={**CARD, "detector": "email"})
    elsewhere = await market.client.post(
        f"/api/v1/apps/{other}/redactions", headers=owner, json=CARD
    )
    second = await market.client.post(url, headers=owner, json={**CARD, "name": "second"})
    renamed = await market.client.patch(
        f"{url}/{second.json()['id']}", headers=owner, json={"name": "card"}
    )

    assert first.status_code == elsewhere.status_code == second.status_code == 201
    assert again.status_code == renamed.status_code == 409
    for refused in (again, renamed):
        assert (
            "name: the app already has a redaction rule named 'card'"
            in (refused.json()["error"]["message"])
        )
    for number in range(48):
        made = await market.client.post(
            url, headers=owner, json={"name": f"r{number}", "kind": "drop", "field": f"f{number}"}
        )
        assert made.status_code == 201, made.text

    refused = await market.client.post(url, headers=owner, json={**CARD, "name": "r50"})

    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "too_many_rules"
    assert "already has 50 redaction rules" in refused.json()["error"]["message"]
    assert len(await published_rules(market, stack, slug)) == 50


async def test_members_read_outsiders_see_nothing_and_a_read_only_token_changes_nothing(
    market: Market, users: dict[str, MarketUser]
) -> None:
    slug = await new_app(market, users)
    other = await new_app(market, users)
    owner = users["owner"].headers
    made = await market.client.post(f"/api/v1/apps/{slug}/redactions", headers=owner, json=CARD)
    theirs = await market.client.post(f"/api/v1/apps/{other}/redactions", headers=owner, json=CARD)
    other_group = (await market.client.get(f"/api/v1/apps/{other}", headers=owner)).json()["group"]
    tokens = {
        "other group": {"name": "other group only", "group": other_group},
        "read-only": {"name": "read only", "read_only": True},
    }
    headers = {}
    for kind, body in tokens.items():
        token = await market.client.post("/api/v1/auth/tokens", headers=owner, json=body)
        headers[kind] = {"Authorization": f"Bearer {token.json()['token']}"}
    listing = f"/api/v1/apps/{slug}/redactions"
    one = f"{listing}/{made.json()['id']}"
    writes = [
        ("POST", listing, {**CARD, "name": "other"}),
        ("PATCH", one, {"detector": "email"}),
        ("DELETE", one, None),
    ]

    for method, url, body in [("GET", listing, None), *writes]:
        for caller in (users["outsider"].headers, headers["other group"]):
            seen = await market.client.request(method, url, headers=caller, json=body)
            assert seen.status_code == 404, seen.text
            assert seen.json()["error"]["message"] == f"No app named '{slug}' that you can see."
    assert (await market.client.get(listing, headers=users["member"].headers)).status_code == 200
    assert (await market.client.get(listing, headers=headers["read-only"])).status_code == 200
    for method, url, body in writes:
        as_member = await market.client.request(
            method, url, headers=users["member"].headers, json=body
        )
        assert as_member.status_code == 403, as_member.text
        assert "needs the admin role" in as_member.json()["error"]["message"]
        read_only = await market.client.request(
            method, url, headers=headers["read-only"], json=body
        )
        assert read_only.status_code == 403, read_only.text
        assert read_only.json()["error"]["code"] == "read_only_token"
    # Another app's rule is not this app's, even to the owner of both.
    foreign = f"{listing}/{theirs.json()['id']}"
    for method, body in (("PATCH", {"detector": "email"}), ("DELETE", None)):
        missing = await market.client.request(method, foreign, headers=owner, json=body)
        assert missing.status_code == 404, missing.text
        assert f"in the app '{slug}'" in missing.json()["error"]["message"]
    still = await market.client.get(listing, headers=owner)
    assert [(r["id"], r["detector"]) for r in still.json()["rules"]] == [
        (made.json()["id"], "credit_card")
    ]


async def test_rules_made_at_the_same_moment_are_all_kept(
    market: Market, users: dict[str, MarketUser], stack: Any
) -> None:
    slug = await new_app(market, users)
    url = f"/api/v1/apps/{slug}/redactions"
    bodies = [{"name": f"f{n}", "kind": "drop", "field": f"f{n}"} for n in range(6)]

    made = await asyncio.gather(
        *(market.client.post(url, headers=users["owner"].headers, json=body) for body in bodies)
    )

    assert [m.status_code for m in made] == [201] * 6, [m.text for m in made]
    listed = await market.client.get(url, headers=users["owner"].headers)
    assert sorted(r["name"] for r in listed.json()["rules"]) == [f"f{n}" for n in range(6)]
    assert sorted(await published_rules(market, stack, slug)) == [
        (f"f{n}", "drop") for n in range(6)
    ]
