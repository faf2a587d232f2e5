"""A fleet of apps registered through the market's API, kept between runs if asked.

A fleet is one Postgres database and one Kafka topic prefix: its market, its
apps' topics and registry are its own. ``--reuse`` keeps both after the run
(the state file names them), so a second run skips the registration.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import event

from barito_common.kafka import Topics, create_admin
from barito_common.settings import KafkaSettings
from barito_testing.market import (
    Market,
    create_database,
    drop_database,
    market_settings,
    running_market,
)

POSTGRES = "postgresql://barito@127.0.0.1:15433/barito"
KAFKA = "127.0.0.1:19092"
GROUPS = 4


@dataclass
class RegisteredApp:
    slug: str
    group: str
    secret: str
    topic: str


@dataclass
class Fleet:
    database: str
    prefix: str
    groups: list[str] = field(default_factory=list)
    apps: list[RegisteredApp] = field(default_factory=list)
    registration_s: float = 0.0

    @property
    def url(self) -> str:
        server = POSTGRES.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
        return f"{server}/{self.database}"

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self)))

    @classmethod
    def load(cls, path: Path) -> Fleet | None:
        if not path.exists():
            return None
        raw: dict[str, Any] = json.loads(path.read_text())
        apps = [RegisteredApp(**a) for a in raw.pop("apps")]
        return cls(**raw, apps=apps)


@asynccontextmanager
async def fleet_market(fleet: Fleet) -> AsyncIterator[Market]:
    """The fleet's market, in this process, with its lifespan (migrations, publisher)."""
    settings = market_settings(
        kafka_bootstrap=KAFKA, database_url=fleet.url, topic_prefix=fleet.prefix
    )
    async with running_market(settings) as market:
        yield market


async def new_fleet() -> Fleet:
    run = uuid.uuid4().hex[:8]
    fleet = Fleet(database=f"appsbench_{run}", prefix=f"appsbench{run}.")
    await create_database(POSTGRES, fleet.database)
    return fleet


async def drop_fleet(fleet: Fleet) -> None:
    """Drop the fleet's database and every topic under its prefix."""
    await drop_database(POSTGRES, fleet.database)
    admin = create_admin(KafkaSettings(bootstrap_servers=KAFKA))
    await admin.start()
    try:
        topics = [t for t in await admin.list_topics() if t.startswith(fleet.prefix)]
        for start in range(0, len(topics), 200):
            await admin.delete_topics(topics[start : start + 200])
    finally:
        await admin.close()


async def register(market: Market, fleet: Fleet, size: int, *, concurrency: int = 4) -> None:
    """Register apps through the API, as a user's script would, until the fleet has ``size``."""
    admin = await market.create_user(superadmin=True)
    headers = admin.headers
    while len(fleet.groups) < GROUPS:
        name = f"team {len(fleet.groups) + 1}"
        created = await market.client.post("/api/v1/groups", headers=headers, json={"name": name})
        created.raise_for_status()
        fleet.groups.append(created.json()["slug"])
    todo = iter(range(len(fleet.apps), size))
    started = time.perf_counter()

    async def worker() -> None:
        for i in todo:
            group = fleet.groups[i % GROUPS]
            body = {"name": f"service {i:04d}", "group": group, "capacity": "small"}
            answer = await market.client.post("/api/v1/apps", headers=headers, json=body)
            if answer.status_code != 201:
                raise RuntimeError(f"registering app {i}: {answer.status_code} {answer.text}")
            app = answer.json()
            topic = Topics(fleet.prefix).logs(app["slug"])
            fleet.apps.append(RegisteredApp(app["slug"], group, app["secret"], topic))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    fleet.registration_s += time.perf_counter() - started


@dataclass
class Latency:
    median_ms: float
    p95_ms: float
    statements: int


async def timed_get(market: Market, path: str, headers: dict[str, str], *, times: int) -> Latency:
    """Median and p95 of ``times`` GETs, and the SQL statements one GET runs."""
    engine = market.sessionmaker.kw["bind"].sync_engine
    counted = [0]

    def count(*_: Any) -> None:
        counted[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        first = await market.client.get(path, headers=headers)
        first.raise_for_status()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    spent: list[float] = []
    for _ in range(times):
        started = time.perf_counter()
        (await market.client.get(path, headers=headers)).raise_for_status()
        spent.append((time.perf_counter() - started) * 1000)
    spent.sort()
    p95 = spent[min(len(spent) - 1, int(len(spent) * 0.95))]
    return Latency(statistics.median(spent), p95, counted[0])


async def market_latencies(market: Market, fleet: Fleet, *, times: int) -> dict[str, Latency]:
    admin = await market.create_user(superadmin=True)
    app, group = fleet.apps[0], fleet.groups[0]
    paths = {
        "GET /api/v1/apps (all)": "/api/v1/apps",
        "GET /api/v1/apps?group= (a group)": f"/api/v1/apps?group={group}",
        "GET /api/v1/groups/{group}": f"/api/v1/groups/{group}",
        "GET /api/v1/apps/{app}": f"/api/v1/apps/{app.slug}",
        "GET /api/v1/apps/{app}/status": f"/api/v1/apps/{app.slug}/status",
    }
    return {
        name: await timed_get(market, path, admin.headers, times=times)
        for name, path in paths.items()
    }
