"""The newcomer's walk through the containers: docker-compose.yml, run for real.

``docker compose -f docker-compose.yml -f deploy/docker/compose.local.yaml up``
on the machine's Docker engine, with the images `make images` built (the five
services over the local bases) and the engine images (Kafka, Elasticsearch,
Postgres from the local stack's artifacts; built here when missing or stale,
a no-op otherwise). Then what a new team does, through the containers only:
sign up, register an app, send logs with every agent body docs/agents.md
documents, find each event in search, see each on the live tail, open the web
UI in Chromium on the app's status page. `docker compose down -v` must leave
no container, volume or listening port behind.

The override puts every container on the host's network, on ports of its own
(28080-28084, 29092, 29200, 25433), so the local stack keeps running beside it.
"""

from __future__ import annotations

import gzip
import json
import secrets
import struct
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import msgpack
import pytest
from playwright.sync_api import expect, sync_playwright

from barito_cli.stack.config import load_config
from barito_cli.stack.engine_images import build_engine_images
from tests.support.compose import (
    ComposeProject,
    docker,
    engine_problem,
    listening,
    missing_images,
)
from tests.support.deploy import COMPOSE_FILE, LOCAL_COMPOSE_OVERRIDE, SERVICES
from tests.support.web_browser import ARTIFACTS, CHROMIUM

# A cold engine-image build (a few minutes on two cores) happens inside the
# test when `make images` has not made them; the walk itself takes minutes.
# It starts its own engines in Docker: not the local stack, but no stack-free run either.
pytestmark = [pytest.mark.timeout(2400), pytest.mark.stack]

PROJECT = "barito-walk"
MARKET = "http://127.0.0.1:28080"
RECEIVER = "http://127.0.0.1:28081"
TAIL = "http://127.0.0.1:28084"
# Everything the override's containers listen on (engines and services).
PORTS = (29092, 29093, 29200, 29300, 25433, *range(28080, 28085))
SERVICE_IMAGES = [f"barito/{service}:dev" for service in SERVICES]
# Waits for the pipeline's background work (indexing), not durations.
SETTLE_S = 180


@pytest.fixture(scope="module")
def compose() -> Iterator[ComposeProject]:
    problem = engine_problem()
    if problem:
        pytest.fail(problem)
    missing = missing_images(SERVICE_IMAGES)
    if missing:
        pytest.fail(
            f"the service images {missing} are missing: build them first with `make images` "
            "(this test does not build them)"
        )
    build_engine_images(load_config(), only=("kafka", "elasticsearch", "postgres"), echo=print)
    project = ComposeProject(PROJECT, [COMPOSE_FILE, LOCAL_COMPOSE_OVERRIDE])
    busy = listening(PORTS)
    assert not busy, f"ports {busy} are taken: is another compose walk running?"
    try:
        started = time.monotonic()
        result = project.run("up", "-d", "--wait", "--wait-timeout", "600", check=False)
        assert result.returncode == 0, (
            f"docker compose up failed:\n{result.stderr[-3000:]}\n{project.logs()}"
        )
        print(f"compose up, every container healthy: {time.monotonic() - started:.0f}s")
        # Anonymous volumes carry no project label: remember them all by name.
        project.mounted = project.volumes_in_use()
        yield project
    finally:
        _keep_logs(project)
        project.run("down", "-v", "--remove-orphans", "--timeout", "30", check=False)


def _keep_logs(project: ComposeProject) -> None:
    """The containers' last log lines, as a test artifact (kept while they still exist)."""
    logs = project.logs()
    if logs.strip():
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "compose-walk.log").write_text(logs)


def _sign_up(client: httpx.Client) -> tuple[str, str, str]:
    """A new account through the API; its email, password and an API token."""
    email = f"walk-{uuid.uuid4().hex[:8]}@example.test"
    password = secrets.token_urlsafe(12)
    created = client.post("/api/v1/auth/signup", json={"email": email, "password": password})
    assert created.status_code == 201, created.text
    login = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert login.status_code == 200, login.text
    token = client.post(
        "/api/v1/auth/tokens",
        json={"name": "walk"},
        headers={"X-CSRF-Token": login.json()["csrf_token"]},
    )
    assert token.status_code == 201, token.text
    client.cookies.clear()
    return email, password, token.json()["token"]


def _agent_bodies(run: str) -> list[tuple[str, str, bytes, list[str]]]:
    """(path, Content-Type, body, markers) for each body shape docs/agents.md documents.

    Every event carries a marker of its own, so search and tail can account
    for each one. Times are now: the app's indices are by day.
    """

    def m(name: str, n: int) -> str:
        return f"{run}-{name}-{n}"

    now = time.time()
    iso = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    fluentd = [{"msg": "a", "marker": m("fd", 1)}, {"msg": "b", "marker": m("fd", 2)}]

    def fluent_bit(name: str) -> list[dict[str, Any]]:
        return [
            {"date": now, "log": "a", "marker": m(name, 1)},
            {"date": now, "log": "b", "marker": m(name, 2)},
        ]

    def event_time(seconds: float) -> msgpack.ExtType:
        # Fluent Bit's EventTime: ext type 0, seconds and nanoseconds, big-endian.
        return msgpack.ExtType(0, struct.pack(">II", int(seconds), int(seconds % 1 * 1e9)))

    def dumps(record: dict[str, Any]) -> bytes:
        return json.dumps(record, separators=(",", ":")).encode()

    fd_ndjson = [dict(r, marker=r["marker"] + "n") for r in fluentd]
    fd_array = [dict(r, marker=r["marker"] + "a") for r in fluentd]
    fd_msgpack = [dict(r, marker=r["marker"] + "m") for r in fluentd]
    fb_json, fb_lines, fb_stream = fluent_bit("fbj"), fluent_bit("fbl"), fluent_bit("fbs")
    fb_msgpack = [{"log": "a", "marker": m("fbm", 1)}, {"log": "b", "marker": m("fbm", 2)}]
    plugin = [
        {"tag": "barito", "@message": "hello", "@timestamp": iso, "marker": m("plugin", 1),
         "client_trail": {"is_k8s": False, "sent_at": iso, "hints": [], "hostname": "vm-1"}},
    ]  # fmt: skip
    curl = [{"message": "deployed", "level": "info", "marker": m("curl", 1)}]
    return [
        ("/api/v1/logs", "application/x-ndjson",
         b"".join(dumps(r) + b"\n" for r in fd_ndjson), [r["marker"] for r in fd_ndjson]),
        ("/api/v1/logs", "application/json",
         b"[" + b"\n,".join(dumps(r) for r in fd_array) + b"\n]", [r["marker"] for r in fd_array]),
        ("/api/v1/logs", "application/x-msgpack",
         b"".join(msgpack.packb(r) for r in fd_msgpack), [r["marker"] for r in fd_msgpack]),
        ("/api/v1/logs", "application/json", json.dumps(fb_json).encode(),
         [r["marker"] for r in fb_json]),
        ("/api/v1/logs", "application/x-ndjson", b"".join(dumps(r) + b"\n" for r in fb_lines),
         [r["marker"] for r in fb_lines]),
        ("/api/v1/logs", "application/json", b"".join(dumps(r) for r in fb_stream),
         [r["marker"] for r in fb_stream]),
        ("/api/v1/logs", "application/msgpack",
         b"".join(msgpack.packb([[event_time(now), {}], r]) for r in fb_msgpack),
         [r["marker"] for r in fb_msgpack]),
        ("/produce_batch", "application/json", json.dumps({"items": plugin}).encode(),
         [r["marker"] for r in plugin]),
        ("/api/v1/logs", "application/x-ndjson", b"".join(dumps(r) + b"\n" for r in curl),
         [r["marker"] for r in curl]),
    ]  # fmt: skip


def _send(path: str, content_type: str, body: bytes, secret: str, *, gzipped: bool) -> int:
    """POST one agent body; the number of events the receiver accepted."""
    headers = {"X-App-Secret": secret, "Content-Type": content_type}
    if gzipped:
        body = gzip.compress(body)
        headers["Content-Encoding"] = "gzip"
    deadline = time.monotonic() + 60
    while True:
        response = httpx.post(RECEIVER + path, content=body, headers=headers, timeout=40)
        if response.status_code == 200:
            accepted: int = response.json()["accepted"]
            return accepted
        # The receiver learns a new app from the registry topic: 401 until it has.
        assert response.status_code in (401, 503), response.text
        assert time.monotonic() < deadline, response.text
        time.sleep(0.5)


def _searched_markers(slug: str, token: str) -> set[str]:
    start = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    response = httpx.get(
        f"{MARKET}/api/v1/apps/{slug}/logs",
        params={"start": start, "size": 200},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    if response.status_code != 200:
        return set()
    return {hit["source"].get("marker") for hit in response.json()["hits"]} - {None}


def _tailed_markers(slug: str, secret: str, expected: set[str]) -> set[str]:
    """Markers the live tail shows (from 10 minutes back) until all came or time ran out."""
    seen: set[str] = set()
    deadline = time.monotonic() + SETTLE_S
    with httpx.Client(timeout=httpx.Timeout(30, read=20)) as client:
        while not expected <= seen and time.monotonic() < deadline:
            try:
                with client.stream(
                    "GET",
                    f"{TAIL}/api/v1/tail/{slug}",
                    params={"since": "600"},
                    headers={"X-App-Secret": secret},
                ) as response:
                    assert response.status_code in (200, 503), response.read()
                    for line in response.iter_lines():
                        frame = json.loads(line) if line else {}
                        if "event" in frame and frame["event"].get("marker"):
                            seen.add(frame["event"]["marker"])
                        if expected <= seen or time.monotonic() > deadline:
                            break
            except httpx.ReadTimeout:
                pass
            time.sleep(1)
    return seen


def test_a_newcomer_runs_barito_from_the_compose_file_and_reads_its_logs(
    compose: ComposeProject,
) -> None:
    # Every container of the project runs and reports healthy (each image's HEALTHCHECK).
    containers = {c["Service"]: c for c in compose.containers()}
    assert set(containers) == {*SERVICES, "kafka", "elasticsearch", "postgres"}
    assert {s: (c["State"], c["Health"]) for s, c in containers.items()} == {
        s: ("running", "healthy") for s in containers
    }
    users = {s: compose_user(compose, s) for s in ("kafka", "elasticsearch", "postgres", *SERVICES)}
    assert {s: u for s, u in users.items() if u in ("", "0", "root")} == {}, "runs as root"

    with httpx.Client(base_url=MARKET, timeout=30) as market:
        email, password, token = _sign_up(market)
        registered = market.post(
            "/api/v1/apps",
            headers={"Authorization": f"Bearer {token}"},
            json={"name": "Checkout", "new_group": f"walk-{uuid.uuid4().hex[:6]}"},
        )
        assert registered.status_code == 201, registered.text
        slug, secret = registered.json()["slug"], registered.json()["secret"]

    run = uuid.uuid4().hex[:8]
    expected: set[str] = set()
    for gzipped in (False, True):
        for path, content_type, body, markers in _agent_bodies(f"{run}{'z' if gzipped else 'p'}"):
            accepted = _send(path, content_type, body, secret, gzipped=gzipped)
            assert accepted == len(markers), (path, content_type, gzipped)
            expected |= set(markers)

    # Search: the market asks Elasticsearch; the flow indexes in the background.
    found: set[str] = set()
    deadline = time.monotonic() + SETTLE_S
    while not expected <= found and time.monotonic() < deadline:
        found = _searched_markers(slug, token)
        time.sleep(2)
    assert sorted(expected - found) == [], "events never found in search"
    assert found == expected, "search holds events nobody sent"

    tailed = _tailed_markers(slug, secret, expected)
    assert sorted(expected - tailed) == [], "events never shown on the live tail"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(base_url=MARKET)
            page.set_default_timeout(20_000)
            page.goto("/login")
            page.get_by_label("Email").fill(email)
            page.get_by_label("Password").fill(password)
            page.get_by_role("button", name="Log in").click()
            expect(page.get_by_role("button", name="Log out")).to_be_visible()
            page.goto(f"/apps/{slug}")
            expect(page.get_by_role("heading", name="Checkout", exact=True)).to_be_visible()
            expect(page.get_by_test_id("log-count")).to_have_text(
                str(len(expected)), timeout=SETTLE_S * 1000
            )
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "compose-walk-status.png"), full_page=True)
        finally:
            browser.close()


def compose_user(compose: ComposeProject, service: str) -> str:
    """The user a service's container runs as (its image's USER)."""
    result = compose.run("exec", "-T", service, "id", "-u", check=False)
    return result.stdout.strip() if result.returncode == 0 else ""


def test_down_leaves_no_container_volume_or_port_behind(compose: ComposeProject) -> None:
    assert compose.mounted, "no volume was mounted"
    _keep_logs(compose)
    compose.run("down", "-v", "--remove-orphans", "--timeout", "30")
    assert compose.leftovers() == {}
    still = [v for v in compose.mounted if docker("volume", "inspect", v).returncode == 0]
    assert still == [], "volumes left behind"
    assert listening(PORTS) == []
