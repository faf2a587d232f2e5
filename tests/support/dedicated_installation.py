"""An installation with a shared tier and a dedicated tier on the docker driver, and its team.

For tests/test_dedicated_groups.py and bench/dedicated/activation.py: the five
services as processes on the local stack (web_stack), the provisioner's
``docker`` driver running dedicated groups' clusters from the locally built
images, and the capacity templates of ``dedicated_templates/`` (small shared;
medium dedicated and as small as a real cluster gets). Every container and
volume the driver makes carries this installation's name prefix, so what a
failed run leaves behind is found and removed, and nothing else is::

    with dedicated_installation(stack, logs_dir) as services, signed_in(services) as team:
        app = team.register("shop", capacity="medium")
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from tests.support.web_stack import WebStack, web_stack

__all__ = ["TEMPLATES_DIR", "Team", "dedicated_installation", "signed_in"]

TEMPLATES_DIR = Path(__file__).parent / "dedicated_templates"


@contextmanager
def dedicated_installation(stack: Any, logs_dir: Path) -> Iterator[WebStack]:
    prefix = f"dedicated-{uuid.uuid4().hex[:6]}-"
    overrides = {
        "market": {"BARITO_CAPACITY_TEMPLATES_DIR": str(TEMPLATES_DIR)},
        "flow": {"BARITO_CAPACITY_TEMPLATES_DIR": str(TEMPLATES_DIR)},
        "provisioner": {
            "BARITO_DRIVER": "docker",
            "BARITO_DOCKER__KAFKA_IMAGE": "barito-local/kafka:4.1.1",
            "BARITO_DOCKER__SEARCH_IMAGE": "barito-local/elasticsearch:8.19.21",
            "BARITO_DOCKER__FLOW_IMAGE": "barito/flow:dev",
            "BARITO_DOCKER__NAME_PREFIX": prefix,
            "BARITO_POLL_INTERVAL_S": "2",
            "BARITO_RETRY_CAP_S": "5",
        },
    }
    try:
        with web_stack(stack, logs_dir, overrides=overrides) as running:
            yield running
    finally:
        _remove_named(prefix)


def _remove_named(prefix: str) -> None:
    def names(*command: str) -> list[str]:
        out = subprocess.run(command, capture_output=True, text=True, check=False).stdout
        return [name for name in out.split() if name.startswith(prefix)]

    containers = names("docker", "ps", "-a", "--filter", f"name={prefix}", "--format", "{{.Names}}")
    if containers:
        subprocess.run(["docker", "rm", "-f", "-v", *containers], check=False)
    volumes = names("docker", "volume", "ls", "--filter", f"name={prefix}", "--format", "{{.Name}}")
    if volumes:
        subprocess.run(["docker", "volume", "rm", "-f", *volumes], check=False)


@dataclass
class Team:
    """A user's API token and the market client that uses it."""

    market: httpx.Client

    def register(self, name: str, *, capacity: str, group: str | None = None) -> dict[str, Any]:
        where = {"group": group} if group else {"new_group": f"{name}-team"}
        answer = self.market.post(
            "/api/v1/apps", json={"name": name, "capacity": capacity, **where}
        )
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    def infrastructure(self, group: str) -> dict[str, Any]:
        listed = self.market.get("/api/v1/admin/infrastructures")
        assert listed.status_code == 200, listed.text
        (found,) = [infra for infra in listed.json()["data"] if infra["group"] == group]
        return dict(found)

    def search(self, slug: str, run: str) -> list[dict[str, Any]]:
        """Every hit of the marker run through the market's search, all pages.

        Callers wait for hits to appear, so the market's 503 ("try again
        shortly") is no hits yet: a group's engine answers so while the shards
        of an index its flow just made are still being allocated.
        """
        hits: list[dict[str, Any]] = []
        page = 1
        while True:
            answer = self.market.get(
                f"/api/v1/apps/{slug}/logs",
                params={
                    "q": f"marker:{run}",
                    "start": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
                    "size": 500,
                    "page": page,
                },
            )
            if answer.status_code == 503 and "Retry-After" in answer.headers:
                return []
            assert answer.status_code == 200, answer.text
            found = answer.json()["hits"]
            hits += found
            if len(found) < 500:
                return hits
            page += 1


@contextmanager
def signed_in(installation: WebStack) -> Iterator[Team]:
    """The installation's superadmin, with an API token, as a team's market client."""
    with httpx.Client(base_url=installation.market_url, timeout=60) as market:
        login = market.post(
            "/api/v1/auth/login",
            json={"email": installation.admin_email, "password": installation.admin_password},
        )
        assert login.status_code == 200, login.text
        token = market.post(
            "/api/v1/auth/tokens",
            json={"name": "dedicated"},
            headers={"X-CSRF-Token": login.json()["csrf_token"]},
        ).json()["token"]
        market.cookies.clear()
        market.headers["Authorization"] = f"Bearer {token}"
        yield Team(market)
