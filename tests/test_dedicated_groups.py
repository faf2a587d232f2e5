"""A dedicated group's logs travel through its own cluster, end to end, on real containers.

The installation runs the five services as processes on the local stack
(its shared tier) and the provisioner's ``docker`` driver as its dedicated
tier, with a dedicated template small enough for this machine: one Kafka
broker, one Elasticsearch node, one flow. Group A stays shared; group B
starts shared and moves to dedicated while a marker is posted every 50 ms.
Every check asks the engines themselves (the Kafka topics, the indices) and
Docker itself, and goes through the market's search and the live tail as a
team would.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

from barito_common.kafka import Topics
from barito_common.schemas import AppProfile
from tests.support.dedicated_installation import Team, dedicated_installation, signed_in
from tests.support.group_clusters import (
    MarkerPoster,
    docker_objects,
    follow_tail,
    index_markers,
    latest_profile,
    listening,
    topic_markers,
)
from tests.support.web_browser import CHROMIUM, capture
from tests.support.web_stack import WebStack

pytestmark = [
    pytest.mark.stack,
    pytest.mark.skipif(shutil.which("docker") is None, reason="no docker CLI on this machine"),
]


@pytest.fixture(scope="module")
def installation(stack: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebStack]:
    with dedicated_installation(stack, tmp_path_factory.mktemp("dedicated-services")) as running:
        yield running


@pytest.fixture(scope="module")
def team(installation: WebStack) -> Iterator[Team]:
    with signed_in(installation) as team:
        yield team


@dataclass
class Moved:
    """Group B after its move: its app, the markers posted across the move, its cluster."""

    app: dict[str, Any]
    poster: MarkerPoster
    acked: list[int]
    profile: AppProfile
    infrastructure_id: str


def _wait(what: str, check: Any, *, within_s: float, every_s: float = 1.0) -> Any:
    deadline = time.monotonic() + within_s
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every_s)
    raise AssertionError(f"{what}: not within {within_s:g} s (last: {last!r})")


@pytest.fixture(scope="module")
def shared_app(installation: WebStack, team: Team) -> dict[str, Any]:
    return team.register("alpha", capacity="small")


@pytest.fixture(scope="module")
def moved(installation: WebStack, team: Team) -> Moved:
    """Group B registered shared, then moved to dedicated while markers are posted."""
    app = team.register("bravo", capacity="small")
    kafka = installation_kafka(installation)
    poster = MarkerPoster(installation.receiver_url, app["secret"])
    assert poster.post_one(0, give_up_s=30) == 200
    poster.start()
    try:
        time.sleep(2)
        changed = team.market.patch(f"/api/v1/apps/{app['slug']}", json={"capacity": "medium"})
        assert changed.status_code == 200, changed.text
        profile = _wait(
            "bravo's profile names its dedicated cluster",
            lambda: _with_cluster(latest_profile(kafka, f"{installation.run}.", app["slug"])),
            within_s=600,
            every_s=2,
        )
        # Markers keep going to the new place for a while after the switch.
        time.sleep(5)
    finally:
        acked = poster.stop()
    infrastructure = team.infrastructure(app["group"])
    assert infrastructure["state"] == "ACTIVE", infrastructure
    return Moved(app, poster, acked, profile, infrastructure["id"])


def _with_cluster(profile: AppProfile | None) -> AppProfile | None:
    return profile if profile is not None and profile.cluster is not None else None


def installation_kafka(installation: WebStack) -> str:
    env = installation.processes.environments["receiver"]
    return env["BARITO_KAFKA__BOOTSTRAP_SERVERS"]


def installation_search(installation: WebStack) -> str:
    return installation.processes.environments["flow"]["BARITO_SEARCH__URL"]


def test_a_move_to_dedicated_while_posting_loses_and_doubles_nothing(
    installation: WebStack, team: Team, moved: Moved
) -> None:
    cluster = moved.profile.cluster
    assert cluster is not None
    topic = Topics(f"{installation.run}.").logs(moved.app["slug"])
    before = topic_markers(installation_kafka(installation), topic, moved.poster.run)
    after = topic_markers(cluster.kafka_bootstrap_servers, topic, moved.poster.run)
    # Both places took writes: the move happened in the middle of the posting.
    assert before and after, (len(before), len(after))
    assert set(before) | set(after) >= set(moved.acked)

    def searchable() -> bool:
        hits = team.search(moved.app["slug"], moved.poster.run)
        return sorted(int(hit["source"]["seq"]) for hit in hits) == sorted(moved.acked)

    _wait("every acknowledged marker searchable exactly once", searchable, within_s=120)
    # And the engines agree: old markers in the installation's, new ones in the group's.
    pattern = f"{installation.run}-{moved.app['slug']}-*"
    old = index_markers(installation_search(installation), pattern, moved.poster.run)
    new = index_markers(cluster.search_url, pattern, moved.poster.run)
    assert set(old) == set(before) and set(new) == set(after)
    assert all(count == 1 for count in (old + new).values()), (old + new).most_common(3)


def test_each_groups_logs_live_only_on_its_own_cluster(
    installation: WebStack, team: Team, moved: Moved, shared_app: dict[str, Any]
) -> None:
    cluster = moved.profile.cluster
    assert cluster is not None
    topics = Topics(f"{installation.run}.")
    mine = MarkerPoster(installation.receiver_url, shared_app["secret"])
    theirs = MarkerPoster(installation.receiver_url, moved.app["secret"])
    with follow_tail(installation.urls["server"], moved.app["slug"], moved.app["secret"]) as tail:
        for seq in range(20):
            assert mine.post_one(seq) == 200
            assert theirs.post_one(seq) == 200
        seen = _wait(
            "the live tail shows B's markers from B's Kafka",
            lambda: tail.markers(theirs.run) >= set(range(20)) and tail.markers(theirs.run),
            within_s=60,
        )
    assert seen == set(range(20))
    shared_kafka, group_kafka = installation_kafka(installation), cluster.kafka_bootstrap_servers
    a_topic, b_topic = topics.logs(shared_app["slug"]), topics.logs(moved.app["slug"])
    assert set(topic_markers(shared_kafka, a_topic, mine.run)) == set(range(20))
    assert not topic_markers(group_kafka, a_topic, mine.run)
    assert set(topic_markers(group_kafka, b_topic, theirs.run)) == set(range(20))
    assert not topic_markers(shared_kafka, b_topic, theirs.run)
    for app, poster in ((shared_app, mine), (moved.app, theirs)):
        _wait(
            f"{app['slug']}'s markers searchable through the market",
            lambda app=app, poster=poster: len(team.search(app["slug"], poster.run)) == 20,
            within_s=120,
        )
    a_pattern = f"{installation.run}-{shared_app['slug']}-*"
    b_pattern = f"{installation.run}-{moved.app['slug']}-*"
    assert not index_markers(cluster.search_url, a_pattern, mine.run)
    assert not index_markers(installation_search(installation), b_pattern, theirs.run)


def test_a_new_app_of_a_dedicated_group_ingests_into_its_cluster_at_once(
    installation: WebStack, team: Team, moved: Moved
) -> None:
    cluster = moved.profile.cluster
    assert cluster is not None
    app = team.register("charlie", capacity="small", group=moved.app["group"])
    # The secret works the moment it is shown: the topic was made on the group's Kafka.
    poster = MarkerPoster(installation.receiver_url, app["secret"])
    for seq in range(5):
        assert poster.post_one(seq, give_up_s=10) == 200
    topic = Topics(f"{installation.run}.").logs(app["slug"])
    assert set(topic_markers(cluster.kafka_bootstrap_servers, topic, poster.run)) == set(range(5))
    assert not topic_markers(installation_kafka(installation), topic, poster.run)
    _wait(
        "the new app's markers searchable",
        lambda: len(team.search(app["slug"], poster.run)) == 5,
        within_s=120,
    )
    pattern = f"{installation.run}-{app['slug']}-*"
    assert set(index_markers(cluster.search_url, pattern, poster.run)) == set(range(5))
    assert team.market.delete(f"/api/v1/apps/{app['slug']}").status_code == 204


def test_the_app_page_says_which_cluster_holds_its_logs(
    installation: WebStack, moved: Moved, shared_app: dict[str, Any]
) -> None:
    cluster = moved.profile.cluster
    assert cluster is not None
    problems: dict[str, list[str]] = {}
    with sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(base_url=installation.market_url)
        page.set_default_timeout(20_000)
        page.goto("/login")
        page.get_by_label("Email").fill(installation.admin_email)
        page.get_by_label("Password").fill(installation.admin_password)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("button", name="Log out")).to_be_visible()
        page.goto(f"/apps/{moved.app['slug']}")
        where = page.locator("dt", has_text="Logs cluster").locator(
            "xpath=following-sibling::dd[1]"
        )
        expect(where).to_contain_text("dedicated")
        expect(where).to_contain_text(cluster.kafka_bootstrap_servers)
        # No Kibana runs in the group's cluster: no link to the installation's either.
        viewer = page.locator("dt", has_text="Viewer").locator("xpath=following-sibling::dd[1]")
        expect(viewer).to_contain_text("runs no Kibana")
        capture(page, "app-dedicated-cluster", problems)
        page.goto(f"/apps/{shared_app['slug']}")
        expect(where).to_have_text("shared")
        browser.close()
    assert not problems, problems


def test_the_groups_kafka_down_refuses_only_its_own_ingest(
    installation: WebStack, team: Team, moved: Moved, shared_app: dict[str, Any]
) -> None:
    cluster = moved.profile.cluster
    assert cluster is not None
    label = f"dev.barito.infrastructure={moved.infrastructure_id}"
    (kafka,) = [name for name in docker_objects(label)["containers"] if name.endswith("kafka-0")]
    subprocess.run(["docker", "stop", "-t", "10", kafka], check=True, capture_output=True)
    try:
        refused = httpx.post(
            f"{installation.receiver_url}/api/v1/logs",
            json={"message": "while B's Kafka is down"},
            headers={"X-App-Secret": moved.app["secret"]},
            timeout=60,
        )
        assert refused.status_code == 503, refused.text
        assert "Retry-After" in refused.headers
        shared = MarkerPoster(installation.receiver_url, shared_app["secret"])
        assert shared.post_one(0, give_up_s=5) == 200
    finally:
        subprocess.run(["docker", "start", kafka], check=True, capture_output=True)
    # An agent keeps retrying: every marker it was told is in is found once.
    again = MarkerPoster(installation.receiver_url, moved.app["secret"])
    for seq in range(10):
        assert again.post_one(seq, give_up_s=180) == 200
    _wait(
        "B's markers after its Kafka came back are searchable once each",
        lambda: (
            sorted(int(h["source"]["seq"]) for h in team.search(moved.app["slug"], again.run))
            == list(range(10))
        ),
        within_s=180,
    )
    b_topic = Topics(f"{installation.run}.").logs(moved.app["slug"])
    assert not topic_markers(installation_kafka(installation), b_topic, again.run)


def test_deleting_the_group_removes_its_cluster(
    installation: WebStack, team: Team, moved: Moved
) -> None:
    label = f"dev.barito.infrastructure={moved.infrastructure_id}"
    before = docker_objects(label)
    assert before["containers"] and before["volumes"], before
    assert team.market.delete(f"/api/v1/apps/{moved.app['slug']}").status_code == 204
    assert team.market.delete(f"/api/v1/groups/{moved.app['group']}").status_code == 204
    _wait(
        "the group's containers and volumes gone",
        lambda: docker_objects(label) == {"containers": [], "volumes": []},
        within_s=180,
        every_s=2,
    )
    cluster = moved.profile.cluster
    assert cluster is not None
    for address in cluster.kafka_bootstrap_servers.split(","):
        host, port = address.rsplit(":", 1)
        assert not listening(host, int(port)), f"{address} still answers"


def test_a_provisioner_killed_while_making_a_cluster_finishes_it_once(
    installation: WebStack, team: Team
) -> None:
    app = team.register("delta", capacity="medium")
    _wait(
        "the cluster being made",
        lambda: team.infrastructure(app["group"])["state"] in ("PROVISIONING", "BOOTSTRAPPING"),
        within_s=60,
        every_s=0.2,
    )
    installation.restart("provisioner", signal.SIGKILL)
    infrastructure = _wait(
        "ACTIVE after the restart",
        lambda: (found := team.infrastructure(app["group"]))["state"] == "ACTIVE" and found,
        within_s=180,
        every_s=2,
    )
    # One cluster, not a second one beside a half-made first: one container per component.
    label = f"dev.barito.infrastructure={infrastructure['id']}"
    containers = docker_objects(label)["containers"]
    assert sorted(name.rsplit("-", 2)[-2] for name in containers) == ["flow", "kafka", "search"]
    poster = MarkerPoster(installation.receiver_url, app["secret"])
    for seq in range(5):
        assert poster.post_one(seq, give_up_s=120) == 200
    _wait(
        "its markers searchable",
        lambda: len(team.search(app["slug"], poster.run)) == 5,
        within_s=120,
    )
    assert team.market.delete(f"/api/v1/apps/{app['slug']}").status_code == 204
    assert team.market.delete(f"/api/v1/groups/{app['group']}").status_code == 204
    _wait(
        "the group's containers and volumes gone",
        lambda: docker_objects(label) == {"containers": [], "volumes": []},
        within_s=180,
        every_s=2,
    )
