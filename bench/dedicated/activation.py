"""From registering a group's first app to its infrastructure ACTIVE: dedicated beside shared.

    uv run python bench/dedicated/activation.py [--groups 3]

Needs the local stack, a Docker engine and the local images (`make images`).
Runs the five services as processes with the provisioner's ``docker`` driver
as the dedicated tier (tests/support/dedicated_installation.py, the
installation tests/test_dedicated_groups.py uses), then, one group at a time,
registers a group's first app through the market's API and waits until the
admin API says its infrastructure is ACTIVE and the registry topic holds the
app's profile naming where its logs live. Baseline, in the same run: a shared
group (nothing to start, only its topic and index template to check). Each
dedicated group is then deleted, and the time until its last container and
volume are gone is printed too.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))  # the tests' support package runs the installation

from barito_testing.stack import bring_up  # noqa: E402
from tests.support.dedicated_installation import (  # noqa: E402
    Team,
    dedicated_installation,
    signed_in,
)
from tests.support.group_clusters import docker_objects, latest_profile  # noqa: E402
from tests.support.web_stack import WebStack  # noqa: E402


def until(check: Any, *, within_s: float = 900, every_s: float = 0.25) -> float:
    begin = time.perf_counter()
    while not check():
        if time.perf_counter() - begin > within_s:
            raise SystemExit(f"not within {within_s:g} s")
        time.sleep(every_s)
    return time.perf_counter() - begin


def activate(services: WebStack, team: Team, name: str, capacity: str) -> tuple[float, dict]:
    """Seconds from the registration's request to ACTIVE with the profile published."""
    begin = time.perf_counter()
    app = team.register(name, capacity=capacity)
    prefix = f"{services.run}."
    kafka = services.processes.environments["receiver"]["BARITO_KAFKA__BOOTSTRAP_SERVERS"]
    dedicated = capacity == "medium"

    def ready() -> bool:
        if team.infrastructure(app["group"])["state"] != "ACTIVE":
            return False
        if not dedicated:
            return True
        profile = latest_profile(kafka, prefix, app["slug"])
        return profile is not None and profile.cluster is not None

    until(ready)
    return time.perf_counter() - begin, app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=3, help="dedicated groups, one at a time")
    args = parser.parse_args()
    stack = bring_up(echo=lambda line: None)
    shared: list[float] = []
    dedicated: list[float] = []
    removed: list[float] = []
    with (
        tempfile.TemporaryDirectory() as logs,
        dedicated_installation(stack, Path(logs)) as services,
        signed_in(services) as team,
    ):
        for n in range(args.groups):
            took, _ = activate(services, team, f"shared-{n}", "small")
            shared.append(took)
            took, app = activate(services, team, f"dedicated-{n}", "medium")
            dedicated.append(took)
            infrastructure = team.infrastructure(app["group"])["id"]
            label = f"dev.barito.infrastructure={infrastructure}"
            begin = time.perf_counter()
            assert team.market.delete(f"/api/v1/apps/{app['slug']}").status_code == 204
            assert team.market.delete(f"/api/v1/groups/{app['group']}").status_code == 204
            until(lambda label=label: docker_objects(label) == {"containers": [], "volumes": []})
            removed.append(time.perf_counter() - begin)
            print(f"group {n}: shared {shared[-1]:.1f} s, dedicated {dedicated[-1]:.1f} s, "
                  f"dedicated removed in {removed[-1]:.1f} s", flush=True)  # fmt: skip
    baseline, median = statistics.median(shared), statistics.median(dedicated)
    print(f"registration → ACTIVE, median of {args.groups}:")
    print(f"  baseline, shared group   {baseline:6.1f} s")
    print(f"  dedicated group          {median:6.1f} s ({median / baseline:.1f} x the baseline)")
    print(f"  dedicated group removed  {statistics.median(removed):6.1f} s")


if __name__ == "__main__":
    main()
