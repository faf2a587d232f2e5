"""`barito canary` against the five real services: every marker found once, also through faults.

The canary runs as a user runs it (a subprocess, HTTP only) for a bounded
time against processes of the market, receiver, flow, provisioner and tail
server on the local stack. Its verdict is read from what it exports: the
summary it prints at exit is read from its Prometheus counters, and those are
scraped while it runs, as a team's Prometheus would.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from barito_testing.ports import free_port
from tests.support.web_stack import WebStack, web_stack

pytestmark = pytest.mark.stack


@dataclass(frozen=True)
class CanaryApp:
    slug: str
    secret: str
    token: str


@dataclass
class RunningCanary:
    process: subprocess.Popen[str]
    metrics_url: str

    def metrics(self) -> dict[str, float]:
        """``name{label="v"}`` → value, from the canary's /metrics."""
        text = httpx.get(self.metrics_url, timeout=5).text
        return {
            sample.name + _labels(sample.labels): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }

    def wait_written(self, count: float, *, within_s: float = 60) -> dict[str, float]:
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "the canary exited early"
            metrics = self.metrics()
            if metrics["barito_canary_written_total"] >= count:
                return metrics
            time.sleep(0.2)
        raise AssertionError(f"fewer than {count} markers written in {within_s} s")

    def summary(self) -> dict[str, Any]:
        out, _ = self.process.communicate(timeout=120)
        summary: dict[str, Any] = json.loads(out)
        summary["exit_status"] = self.process.returncode
        return summary


def _labels(labels: dict[str, str]) -> str:
    return "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}" if labels else ""


@pytest.fixture(scope="module")
def services(stack: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebStack]:
    with web_stack(stack, tmp_path_factory.mktemp("canary-services")) as running:
        yield running


def register_canary_app(services: WebStack) -> CanaryApp:
    """A team's canary app, made through the market's API: a token, an app, its secret."""
    with httpx.Client(base_url=services.market_url, timeout=30) as market:
        login = market.post(
            "/api/v1/auth/login",
            json={"email": services.admin_email, "password": services.admin_password},
        )
        assert login.status_code == 200, login.text
        created = market.post(
            "/api/v1/auth/tokens",
            json={"name": "canary"},
            headers={"X-CSRF-Token": login.json()["csrf_token"]},
        )
        assert created.status_code == 201, created.text
        token = created.json()["token"]
        name = f"canary-{uuid.uuid4().hex[:6]}"
        app = market.post(
            "/api/v1/apps",
            json={"name": name, "new_group": f"{name}-team"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert app.status_code == 201, app.text
    canary = CanaryApp(app.json()["slug"], app.json()["secret"], token)
    # The receiver learns the app from the registry topic; wait for it, so the
    # canary's counters hold only what the run itself meets.
    deadline = time.monotonic() + 30
    while True:
        answer = httpx.post(
            f"{services.receiver_url}/api/v1/logs",
            json={"message": "before the canary"},
            headers={"X-App-Secret": canary.secret},
        )
        if answer.status_code == 200 or time.monotonic() > deadline:
            assert answer.status_code == 200, answer.text
            return canary
        time.sleep(0.2)


@contextmanager
def canary(
    services: WebStack, app: CanaryApp, logs: Path, **options: float
) -> Iterator[RunningCanary]:
    port = free_port()
    env = {
        **os.environ,
        "BARITO_CANARY_APP": app.slug,
        "BARITO_CANARY_SECRET": app.secret,
        "BARITO_CANARY_TOKEN": app.token,
        "BARITO_CANARY_INGEST_URL": services.receiver_url,
        "BARITO_CANARY_TAIL_URL": services.urls["server"],
        "BARITO_CANARY_MARKET_URL": services.market_url,
        "BARITO_CANARY_LISTEN": f"127.0.0.1:{port}",
        **{f"BARITO_CANARY_{name.upper()}": str(value) for name, value in options.items()},
    }
    with (logs / "canary.log").open("a") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "barito_cli.canary", "--json"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
    running = RunningCanary(process, f"http://127.0.0.1:{port}/metrics")
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, (logs / "canary.log").read_text()[-3000:]
            try:
                running.metrics()
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the canary's /metrics never answered"
                time.sleep(0.1)
        yield running
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _assert_every_marker_found_once(summary: dict[str, Any]) -> None:
    for path in ("tail", "search"):
        found = summary[path]
        assert (found["missing"], found["duplicates"], found["pending"]) == (0, 0, 0), summary
        assert found["seen"] == summary["written"], summary
    assert summary["write_failures"] == 0, summary
    assert summary["ok"] is True and summary["exit_status"] == 0, summary


def test_a_bounded_canary_run_finds_every_marker_once_on_the_tail_and_in_search(
    services: WebStack, tmp_path: Path
) -> None:
    app = register_canary_app(services)
    with canary(
        services, app, tmp_path, duration=20, interval=0.2, search_interval=0.5, deadline=30
    ) as running:
        during = running.wait_written(20)
        assert during['barito_canary_missing_total{path="tail"}'] == 0
        assert during['barito_canary_missing_total{path="search"}'] == 0
        summary = running.summary()
    print(json.dumps(summary, indent=2))
    assert summary["written"] >= 50, summary
    _assert_every_marker_found_once(summary)
    assert summary["errors"] == {}, summary
    assert summary["tail"]["reconnects"] == 0, summary


def test_the_canary_finds_every_marker_once_through_a_killed_flow_and_restarted_tail_and_receiver(
    services: WebStack, tmp_path: Path
) -> None:
    app = register_canary_app(services)
    # The deadline covers the killed flow's absence: its successor waits for
    # the dead member's Kafka session to time out before it is given partitions.
    with canary(
        services, app, tmp_path, duration=45, interval=0.2, search_interval=0.5, deadline=60
    ) as running:
        written = running.wait_written(15)["barito_canary_written_total"]
        # No clean-up at all: uncommitted batches are read again by the next flow.
        services.restart("flow", signal.SIGKILL)
        written = running.wait_written(written + 15)["barito_canary_written_total"]
        # Open tails are cut mid-stream; the canary resumes with its last token.
        services.restart("server", signal.SIGKILL)
        written = running.wait_written(written + 15)["barito_canary_written_total"]
        # A rolling update: requests under way are answered, new ones refused
        # until the new receiver listens, and retried by the canary.
        services.restart("receiver", signal.SIGTERM)
        after = running.wait_written(written + 15)
        # The same counters a team's alerts watch: nothing missing so far.
        assert after['barito_canary_missing_total{path="tail"}'] == 0
        assert after['barito_canary_missing_total{path="search"}'] == 0
        summary = running.summary()
    print(json.dumps(summary, indent=2))
    _assert_every_marker_found_once(summary)
    assert summary["tail"]["reconnects"] >= 1, summary
    assert any(key.startswith("write:") for key in summary["errors"]), summary


def test_a_canary_whose_markers_cannot_be_found_says_so_and_exits_non_zero(
    services: WebStack, tmp_path: Path
) -> None:
    app = register_canary_app(services)
    # A token the market does not know: every search is refused, nothing is found there.
    refused = CanaryApp(app.slug, app.secret, token="not-a-token")
    with canary(
        services, refused, tmp_path, duration=3, interval=0.2, search_interval=0.5, deadline=3
    ) as running:
        summary = running.summary()
    assert summary["exit_status"] == 1 and summary["ok"] is False, summary
    assert summary["written"] > 0, summary
    assert summary["search"]["missing"] == summary["written"], summary
    assert summary["search"]["seen"] == 0, summary
    assert summary["errors"].get("search:401", 0) > 0, summary
    assert summary["tail"]["missing"] == 0, summary
