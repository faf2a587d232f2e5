"""A tail by group secret reaches the app its name means, and never guesses between two.

The tail server meets the same group-secret lookup as the receiver: a name
that two live apps of the group share answers 409 naming their slugs, and
after an app is deleted and registered again under its name, the name
reaches the new app.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from barito_common.schemas import AppStatus, hash_secret
from barito_testing.server import TailStack, ndjson_tail, tail_stack

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
async def tail(stack: Any) -> AsyncIterator[TailStack]:
    async with tail_stack(stack) as running:
        yield running


async def test_a_tail_by_a_name_two_live_apps_share_is_409_naming_their_slugs(tail) -> None:
    group_secret = secrets.token_urlsafe(24)
    hashes = [hash_secret(group_secret)]
    one = await tail.register(name="Shop", group_secret_hashes=hashes)
    two = await tail.register(name="Shop", group_secret_hashes=hashes)
    headers = {"X-App-Group-Secret": group_secret, "X-App-Name": "Shop"}

    async with (
        httpx.AsyncClient(base_url=tail.server_url, timeout=30) as client,
        client.stream("GET", f"/api/v1/tail/{one.profile.slug}", headers=headers) as response,
    ):
        assert response.status_code == 409
        error = (await response.aread()).decode()
    assert one.profile.slug in error and two.profile.slug in error
    assert '"ambiguous_app_name"' in error

    # Without X-App-Name the path's slug names the app: no ambiguity.
    slug_only = {"X-App-Group-Secret": group_secret}
    async with ndjson_tail(tail.url(two.profile.slug), slug_only) as stream:
        assert (await stream.started())["started"]["app"] == two.profile.slug


async def test_a_tail_by_name_reaches_the_app_registered_again_under_a_deleted_apps_name(
    tail,
) -> None:
    group_secret = secrets.token_urlsafe(24)
    hashes = [hash_secret(group_secret)]
    # Which of a deleted app and its successor the lookup met first was the
    # chance of a set's order: six names make a lucky pass of that unlikely.
    names = [f"Checkout {n}" for n in range(6)]
    successors = []
    for name in names:
        old = await tail.register(name=name, group_secret_hashes=hashes)
        await tail.apps.publish(old.profile.model_copy(update={"status": AppStatus.DELETED}))
        successors.append(await tail.register(name=name, group_secret_hashes=hashes))

    for name, new in zip(names, successors, strict=True):
        headers = {"X-App-Group-Secret": group_secret, "X-App-Name": name}
        async with ndjson_tail(tail.url(new.profile.slug), headers) as stream:
            assert (await stream.started())["started"]["app"] == new.profile.slug
    async with ndjson_tail(tail.url(new.profile.slug), headers) as stream:
        await stream.started()
        await tail.post(new, [{"message": "after re-registering"}])
        [frame] = await stream.events(1)
    assert frame["event"]["message"] == "after re-registering"
