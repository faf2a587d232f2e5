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

import time
import uuid
from collections.abc import Iterator

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
from tests.support.walk import SETTLE_S, Walk
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

    walk = Walk(market=MARKET, receiver=RECEIVER, tail=TAIL)
    email, password, token = walk.sign_up()
    slug, secret = walk.register(token, "Checkout", group=f"walk-{uuid.uuid4().hex[:6]}")
    expected = walk.send_every_agent_body(secret, run=uuid.uuid4().hex[:8])

    # Search: the market asks Elasticsearch; the flow indexes in the background.
    found = walk.search_until(slug, token, expected)
    assert sorted(expected - found) == [], "events never found in search"
    assert found == expected, "search holds events nobody sent"

    tailed = walk.tail_until(slug, secret, expected)
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
