"""Which app a group secret and a name reach, and slugs that must not take logs.

Through the real receiver and Kafka: after an app is deleted and registered
again under the same name, the name reaches the new app; a name two live
apps share is refused rather than guessed; an app slugged like the
dead-letter topic is refused rather than acknowledged and lost.
"""

from __future__ import annotations

import secrets

from barito_common.kafka import TopicSpec, ensure_topics, log_topic_spec
from barito_common.schemas import AppStatus, hash_secret


def _group_headers(group_secret: str, app_name: str) -> dict[str, str]:
    return {
        "X-App-Group-Secret": group_secret,
        "X-App-Name": app_name,
        "Content-Type": "application/json",
    }


async def test_group_secret_ingest_reaches_the_app_registered_again_under_a_deleted_apps_name(
    receiver,
) -> None:
    group_secret = secrets.token_urlsafe(24)
    hashes = [hash_secret(group_secret)]
    # Which of a deleted app and its successor the lookup met first was the
    # chance of a set's order: ten names make a lucky pass of that unlikely.
    names = [f"Checkout {n}" for n in range(10)]
    replaced = []
    for name in names:
        old = await receiver.apps.register(name=name, group_secret_hashes=hashes)
        await receiver.apps.publish(old.profile.model_copy(update={"status": AppStatus.DELETED}))
        new = await receiver.apps.register(name=name, group_secret_hashes=hashes)
        replaced.append((old, new))

    for name in names:
        response = await receiver.client.post(
            "/api/v1/logs", content=f'{{"to":"{name}"}}', headers=_group_headers(group_secret, name)
        )
        assert response.status_code == 200, (name, response.text)

    for name, (old, new) in zip(names, replaced, strict=True):
        assert [e.record for e in await receiver.apps.events(new, expect=1)] == [{"to": name}]
        assert await receiver.apps.chunk_count(old) == 0


async def test_a_name_two_live_apps_of_the_group_share_is_409_naming_their_slugs(
    receiver,
) -> None:
    group_secret = secrets.token_urlsafe(24)
    hashes = [hash_secret(group_secret)]
    one = await receiver.apps.register(name="Shop", group_secret_hashes=hashes)
    two = await receiver.apps.register(name="Shop", group_secret_hashes=hashes)

    response = await receiver.client.post(
        "/api/v1/logs", content=b'{"to":"Shop"}', headers=_group_headers(group_secret, "Shop")
    )

    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "ambiguous_app_name"
    assert error["slugs"] == sorted([one.profile.slug, two.profile.slug])
    assert one.profile.slug in error["message"] and "slug" in error["message"]
    assert await receiver.apps.chunk_count(one) == await receiver.apps.chunk_count(two) == 0
    by_slug = await receiver.client.post(
        "/api/v1/logs", content=b"{}", headers=_group_headers(group_secret, two.profile.slug)
    )
    assert by_slug.status_code == 200


async def test_an_app_slugged_like_the_dead_letter_topic_is_refused_not_acknowledged_and_lost(
    receiver,
) -> None:
    apps = receiver.apps
    # The dead-letter topic exists wherever a flow runs.
    await ensure_topics(apps.kafka, [TopicSpec(apps.topics.dead_letters)])
    dlq = await apps.register(slug="dlq", name="dlq", topic=apps.topics.dead_letters)

    response = await receiver.client.post(
        "/api/v1/logs", content=b'{"lost":true}', headers=dlq.headers
    )

    assert response.status_code == 403, response.text
    error = response.json()["error"]
    assert error["code"] == "reserved_name"
    assert "dead-letter" in error["message"] and "another name" in error["message"]
    assert await apps.chunk_count(dlq) == 0

    # A reserved name whose logs are not lost (the web UI's /apps/new) still ingests.
    new_topic = log_topic_spec(apps.topics, "new", partitions=1, replication=1)
    await ensure_topics(apps.kafka, [new_topic])
    new = await apps.register(slug="new", name="new", topic=new_topic.name)
    kept = await receiver.client.post("/api/v1/logs", content=b'{"kept":true}', headers=new.headers)
    assert kept.status_code == 200, kept.text
