"""Chromium driven by Playwright for the web UI tests: screenshots and an axe scan per page.

The browser is Debian's `chromium` (Playwright's own download is not reachable
here, and CI installs the same package). Screenshots go to test-artifacts/web,
and to docs/screenshots (committed, shown in the README) only when
BARITO_UPDATE_SCREENSHOTS=1: a test run must not dirty the working tree.
"""

from __future__ import annotations

import gzip
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page

__all__ = [
    "ARTIFACTS",
    "CHROMIUM",
    "SCREENSHOTS",
    "axe_problems",
    "capture",
    "send_like_fluentd",
]

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = REPO / "docs" / "screenshots"
ARTIFACTS = REPO / "test-artifacts" / "web"
AXE = REPO / "services" / "market" / "web" / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = ((1280, 800), (390, 844))

_AXE_RUN = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => {
      const where = v.nodes.map((n) => n.target.join(" ")).join(", ");
      return `${v.id} (${v.impact}): ${v.help} at ${where}`;
    });
}"""


def axe_problems(page: Page) -> list[str]:
    """Serious and critical axe-core violations of the page as it is now."""
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        # Evaluated, not added as a <script> tag: the market's Content-Security-Policy
        # refuses inline scripts, as it should.
        page.evaluate(f"{AXE.read_text()}\n;undefined")
    problems: list[str] = page.evaluate(_AXE_RUN)
    return problems


def capture(page: Page, name: str, problems: dict[str, list[str]]) -> None:
    """Screenshots at desktop and phone widths, and the page's axe findings at each."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    update_docs = os.environ.get("BARITO_UPDATE_SCREENSHOTS") == "1"
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        page.evaluate("() => document.fonts.ready")
        shot = page.screenshot(full_page=True, animations="disabled", caret="hide")
        if update_docs:
            (SCREENSHOTS / f"{name}-{width}.png").write_bytes(shot)
        (ARTIFACTS / f"{name}-{width}.png").write_bytes(shot)
        found = axe_problems(page)
        if found:
            problems[f"{name}@{width}"] = found
    page.set_viewport_size({"width": WIDTHS[0][0], "height": WIDTHS[0][1]})


def fluentd_target(config: str) -> tuple[str, dict[str, str]]:
    """The endpoint and headers of the fluentd <match> section the UI shows."""
    endpoint = ""
    headers: dict[str, str] = {}
    for line in config.splitlines():
        key, _, value = line.strip().partition(" ")
        if key == "endpoint":
            endpoint = value.strip()
        elif key == "headers":
            headers = json.loads(value)
    assert endpoint and headers, config
    return endpoint, headers


def send_like_fluentd(config: str, events: list[dict[str, Any]]) -> None:
    """POST events as that fluentd section would: NDJSON (json_array false), gzip, its headers.

    ``${chunk_id}`` in the endpoint becomes a buffer chunk's id, 32 hex digits,
    the same on every retry of the chunk. A 401 right after registration means
    the receiver has not read the new profile from the registry topic yet;
    fluentd retries, and so do we.
    """
    endpoint, headers = fluentd_target(config)
    endpoint = endpoint.replace("${chunk_id}", uuid.uuid4().hex)
    body = gzip.compress(b"".join(json.dumps(e).encode() + b"\n" for e in events))
    deadline = time.monotonic() + 60
    while True:
        response = httpx.post(
            endpoint,
            content=body,
            headers={
                **headers,
                "Content-Type": "application/x-ndjson",
                "Content-Encoding": "gzip",
            },
            timeout=30,
        )
        if response.status_code == 200:
            assert response.json() == {"accepted": len(events)}
            return
        assert response.status_code in (401, 503), response.text
        assert time.monotonic() < deadline, response.text
        time.sleep(0.3)
