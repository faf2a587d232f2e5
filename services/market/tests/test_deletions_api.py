"""Deleting an app's logs on request, on a real market, Postgres and Elasticsearch.

Two groups: "ours" with the app ``<x>`` and "theirs" with ``<x>-api``, whose
daily indices match ours' index pattern. Events are indexed straight into the
engine under the apps' index names and the flow's index template, on days
long past; each test uses its own hour or day so the tests do not overlap.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from barito_common.search import SearchAdapter
from barito_common.search.index_template import index_template_body
from barito_common.settings import SearchSettings
from barito_market.deletions.progress import BATCH, Progress
from barito_market.models import App
from barito_market.models.governance import DeletionJob, DeletionState
from barito_testing.market import Market, MarketUser, market_on_postgres
from barito_testing.market_pipeline import RegisteredApp, register

DAY = datetime(2025, 1, 31, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@dataclass
class World:
    market: Market
    users: dict[str, MarketUser]
    ours: RegisteredApp
    theirs: RegisteredApp
    prefix: str

    @property
    def engine(self) -> SearchAdapter:
        engine: SearchAdapter = self.market.app.state.search_engines.installation
        return engine

    async def index(self, slug: str, moments: list[datetime], **fields: Any) -> None:
        docs = [
            (
                f"{self.prefix}{slug}-{moment:%Y.%m.%d}",
                uuid.uuid4().hex,
                {"@timestamp": iso(moment), "message": "hello", "barito": {"app": slug}, **fields},
            )
            for moment in moments
        ]
        assert len((await self.engine.bulk_index(docs, refresh=True)).ok) == len(docs)

    async def count(self, slug: str, start: datetime, end: datetime, q: str = "") -> int:
        response = await self.market.client.get(
            f"/api/v1/apps/{slug}/logs",
            params={"start": iso(start), "end": iso(end), "q": q, "size": 1},
            headers=self.users["superadmin"].headers,
        )
        assert response.status_code == 200, response.text
        total: int = response.json()["total"]
        return total

    async def post(self, path: str, role: str, body: dict[str, Any], slug: str = "") -> Any:
        return await self.market.client.post(
            f"/api/v1/apps/{slug or self.ours.slug}/deletions{path}",
            json=body,
            headers=self.users[role].headers,
        )

    async def finished(self, job_id: str) -> dict[str, Any]:
        async with asyncio.timeout(60):
            while True:
                response = await self.market.client.get(
                    f"/api/v1/apps/{self.ours.slug}/deletions/{job_id}",
                    headers=self.users["member"].headers,
                )
                assert response.status_code == 200, response.text
                if response.json()["state"] in ("done", "failed"):
                    return dict(response.json())
                await asyncio.sleep(0.1)


@pytest.fixture(scope="module")
async def world(stack: Any) -> AsyncIterator[World]:
    prefix = f"bt{uuid.uuid4().hex[:8]}-"
    search = SearchSettings(
        engine="elasticsearch", url=stack.search_urls["elasticsearch"], index_prefix=prefix
    )
    async with market_on_postgres(stack, search=search, deletion_poll_interval_s=0.1) as market:
        engine: SearchAdapter = market.app.state.search_engines.installation
        await engine.put_index_template(
            f"{prefix}logs",
            **index_template_body(index_prefix_pattern=f"{prefix}*", shards=1, replicas=0),
        )
        users = {r: await market.create_user() for r in ("owner", "admin", "member", "outsider")}
        users["superadmin"] = await market.create_user(superadmin=True)
        ours = await register(market, users["owner"], f"shop{uuid.uuid4().hex[:6]}")
        await market.add_members(
            ours.group, users["owner"], {r: users[r] for r in ("admin", "member")}
        )
        theirs = await register(market, users["outsider"], f"{ours.slug}-api")
        assert theirs.slug == f"{ours.slug}-api"
        try:
            yield World(market, users, ours, theirs, prefix)
        finally:
            await engine.delete_index(f"{prefix}*")
            await engine.delete_index_template(f"{prefix}logs")


async def test_a_deletion_removes_exactly_the_range_and_nothing_of_the_neighbour(
    world: World,
) -> None:
    base = DAY.replace(hour=10)
    minutes = [base + timedelta(minutes=m) for m in range(60)]
    await world.index(world.ours.slug, minutes)
    await world.index(world.theirs.slug, minutes)
    start, end = base + timedelta(minutes=10), base + timedelta(minutes=20)
    body = {"start": iso(start), "end": iso(end)}

    preview = await world.post("/preview", "admin", body)
    assert preview.status_code == 200, preview.text
    assert preview.json() == {"count": 10, "whole_indices": []}
    assert await world.count(world.ours.slug, start, end) == 10

    created = await world.post("", "admin", body)
    assert created.status_code == 202, created.text
    assert created.json()["state"] == "queued"
    assert created.json()["requested_by"] == world.users["admin"].email
    job = await world.finished(created.json()["id"])

    assert (job["state"], job["total"], job["deleted"], job["error"]) == ("done", 10, 10, None)
    hour = base + timedelta(hours=1)
    assert await world.count(world.ours.slug, base, hour) == 50
    # The event just before start and the one at end (exclusive) stay.
    assert await world.count(world.ours.slug, start - timedelta(minutes=1), start) == 1
    assert await world.count(world.ours.slug, end, end + timedelta(minutes=1)) == 1
    assert await world.count(world.theirs.slug, base, hour) == 60
    listed = await world.market.client.get(
        f"/api/v1/apps/{world.ours.slug}/deletions", headers=world.users["member"].headers
    )
    assert created.json()["id"] in [j["id"] for j in listed.json()["jobs"]]
    audit = await world.market.client.get(
        "/api/v1/audit",
        params={"group": world.ours.group, "action": "app.deletion."},
        headers=world.users["owner"].headers,
    )
    entries = {
        e["action"]: e for e in audit.json()["data"] if e["details"].get("job_id") == job["id"]
    }
    assert set(entries) == {"app.deletion.request", "app.deletion.finish"}
    finish = entries["app.deletion.finish"]
    assert finish["actor_email"] == world.users["admin"].email
    assert (finish["details"]["app"], finish["details"]["count"]) == (world.ours.slug, 10)
    assert finish["details"]["query_given"] is False


async def test_a_query_limited_deletion_removes_only_matching_events(world: World) -> None:
    base = DAY.replace(hour=12)
    minutes = [base + timedelta(minutes=m) for m in range(30)]
    await world.index(world.ours.slug, minutes[::3], level="error")
    await world.index(world.ours.slug, [m for i, m in enumerate(minutes) if i % 3], level="info")
    await world.index(world.theirs.slug, minutes, level="error")
    end = base + timedelta(minutes=30)
    body = {"start": iso(base), "end": iso(end), "query": "level:error"}

    preview = (await world.post("/preview", "owner", body)).json()
    created = await world.post("", "owner", body)
    job = await world.finished(created.json()["id"])

    assert preview == {"count": 10, "whole_indices": []}
    assert (job["state"], job["deleted"], job["query"]) == ("done", 10, "level:error")
    assert await world.count(world.ours.slug, base, end, "level:error") == 0
    assert await world.count(world.ours.slug, base, end) == 20
    assert await world.count(world.theirs.slug, base, end) == 30


async def test_a_deletion_query_stays_out_of_the_audit_log_which_can_still_match_it(
    world: World,
) -> None:
    # The usual request: delete the events that leaked a secret, found by the secret.
    base = DAY.replace(hour=16)
    minutes = [base + timedelta(minutes=m) for m in range(6)]
    await world.index(world.ours.slug, minutes[:2], message="login password=hunter2")
    await world.index(world.ours.slug, minutes[2:])
    query = 'message:"password=hunter2"'
    body = {"start": iso(base), "end": iso(base + timedelta(minutes=6)), "query": query}

    job = await world.finished((await world.post("", "owner", body)).json()["id"])

    assert (job["state"], job["deleted"]) == ("done", 2)
    audit = await world.market.client.get(
        "/api/v1/audit/export",
        params={"group": world.ours.group, "action": "app.deletion."},
        headers=world.users["owner"].headers,
    )
    assert audit.status_code == 200, audit.text
    assert "hunter2" not in audit.text
    entries = [
        e["details"]
        for e in map(json.loads, audit.text.splitlines())
        if e["details"]["job_id"] == job["id"]
    ]
    assert len(entries) == 2  # the request and the finish
    fingerprint = hashlib.sha256(query.encode()).hexdigest()[:12]
    for details in entries:
        assert "query" not in details
        assert (details["query_given"], details["query_length"], details["query_sha256"]) == (
            True,
            len(query),
            fingerprint,
        )
    # The job itself keeps its query, for the app's members who follow it.
    assert job["query"] == query


async def test_a_covered_whole_day_drops_its_index_and_not_the_neighbours(world: World) -> None:
    day = DAY - timedelta(days=2)
    moments = [day + timedelta(hours=h) for h in range(24)]
    await world.index(world.ours.slug, moments)
    await world.index(world.theirs.slug, moments)
    own_index = f"{world.prefix}{world.ours.slug}-{day:%Y.%m.%d}"
    body = {"start": iso(day), "end": iso(day + timedelta(days=1))}

    preview = (await world.post("/preview", "owner", body)).json()
    job = await world.finished((await world.post("", "owner", body)).json()["id"])

    assert preview == {"count": 24, "whole_indices": [own_index]}
    assert (job["state"], job["deleted"], job["dropped_indices"]) == ("done", 24, [own_index])
    assert await world.engine.list_indices(own_index) == []
    assert await world.count(world.theirs.slug, day, day + timedelta(days=1)) == 24


async def test_who_may_preview_create_and_read_deletions(world: World) -> None:
    body = {"start": iso(DAY), "end": iso(DAY + timedelta(minutes=1))}
    assert (await world.post("", "member", body)).status_code == 403
    assert (await world.post("/preview", "member", body)).status_code == 403
    assert (await world.post("", "outsider", body)).status_code == 404
    # The neighbour's owner reaches its own app, and ours' owner does not.
    assert (await world.post("/preview", "owner", body, world.theirs.slug)).status_code == 404
    listed = await world.market.client.get(
        f"/api/v1/apps/{world.ours.slug}/deletions", headers=world.users["outsider"].headers
    )
    assert listed.status_code == 404
    token = await world.market.client.post(
        "/api/v1/auth/tokens",
        headers=world.users["owner"].headers,
        json={"name": "ro", "read_only": True},
    )
    refused = await world.market.client.post(
        f"/api/v1/apps/{world.ours.slug}/deletions",
        json=body,
        headers={"Authorization": f"Bearer {token.json()['token']}"},
    )
    assert refused.status_code == 403


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("2025-01-31T10:00:00", "2025-01-31T11:00:00Z", "start"),
        ("2025-01-31T11:00:00Z", "2025-01-31T10:00:00Z", "end"),
        ("2999-01-01T00:00:00Z", "2999-01-02T00:00:00Z", "start"),
    ],
)
async def test_a_naive_reversed_or_future_range_is_refused(
    world: World, start: str, end: str, field: str
) -> None:
    refused = await world.post("", "owner", {"start": start, "end": end})

    assert refused.status_code == 422, refused.text
    assert field in refused.text


async def test_a_job_left_running_by_a_dead_replica_is_resumed_not_restarted(
    world: World,
) -> None:
    base = DAY.replace(hour=14)
    await world.index(world.ours.slug, [base + timedelta(minutes=m) for m in range(12)])
    # What a replica that died mid-job leaves: total counted, 3 events already
    # deleted and counted, its batches unfinished, its claim lapsed.
    async with world.market.sessionmaker() as session:
        app_id = await session.scalar(select(App.id).where(App.slug == world.ours.slug))
        job = DeletionJob(
            app_id=app_id,
            start=base,
            end=base + timedelta(hours=1),
            state=DeletionState.RUNNING,
            total=15,
            deleted=3,
            dropped_indices=[],
            task_id=Progress(3, [BATCH]).encode(),
            claimed_until=datetime.now(UTC) - timedelta(seconds=1),
        )
        session.add(job)
        await session.commit()
        job_id = str(job.id)

    finished = await world.finished(job_id)

    assert (finished["state"], finished["total"], finished["deleted"]) == ("done", 15, 15)
    assert await world.count(world.ours.slug, base, base + timedelta(hours=1)) == 0
