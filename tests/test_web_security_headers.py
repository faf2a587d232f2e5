"""The web UI's security headers in a real Chromium, and the SPA still working under them.

The market sends a strict Content-Security-Policy (no inline script, no eval,
its own origin plus the tail server's websocket), and the SPA must do all it
does under it: sign up, log in, register an app, its status page, search and
the live tail, with not one CSP violation and no page error. Both are heard
twice: Chromium's console ("Refused to ...") and the page's
``securitypolicyviolation`` events. That the listeners hear anything at all
is proved at the end, by a script injected inline that the policy refuses;
framing is refused too.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect

from barito_market.security_headers import spa_policy
from tests import test_web_ui
from tests.support.web_browser import ARTIFACTS, send_like_fluentd
from tests.support.web_stack import WebStack, web_stack
from tests.test_web_ui import SLOW, email, log_in, new_context, tab

pytestmark = pytest.mark.stack

# test_web_ui's Chromium fixture, launched once for this module too.
browser = test_web_ui.browser

# Reported by the page itself, for every violation in any frame of it.
_REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation(
    `${event.effectiveDirective} refused ${event.blockedURI || "inline"} on ${event.documentURI}`
  );
});
"""


@pytest.fixture(scope="module")
def services(stack: Any) -> Iterator[WebStack]:
    with web_stack(stack, ARTIFACTS / "security-headers-logs") as running:
        yield running


class Listened:
    """What a browser context's pages complained about: CSP violations and page errors."""

    def __init__(self, context: BrowserContext) -> None:
        self.violations: list[str] = []
        self.errors: list[str] = []
        context.expose_binding(
            "reportCspViolation", lambda _source, text: self.violations.append(text)
        )
        context.add_init_script(_REPORT_VIOLATIONS)
        context.on("page", self.watch)

    def watch(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))

    def _console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.violations.append(f"console: {message.text}")


def tail_origin(services: WebStack) -> str:
    return services.urls["server"].replace("http://", "ws://", 1)


def test_the_spa_page_carries_the_security_headers(browser: Browser, services: WebStack) -> None:
    context = new_context(browser, services)
    page = context.new_page()
    for path in ("/", "/login", "/apps/anything/tail"):
        response = page.goto(path)
        assert response is not None and response.ok, path
        headers = response.headers
        policy = headers["content-security-policy"]
        assert policy == spa_policy(tail_origin(services)), policy
        assert "script-src 'self';" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert f"connect-src 'self' {tail_origin(services)};" in policy
        assert "frame-ancestors 'none'" in policy
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
    api = page.request.get("/api/v1/installation")
    assert api.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert api.headers["x-content-type-options"] == "nosniff"
    context.close()


def test_the_spa_works_under_its_policy_without_a_single_violation(
    browser: Browser, services: WebStack
) -> None:
    context = new_context(browser, services)
    heard = Listened(context)
    page = context.new_page()

    # Sign up: the SPA logs the new account in and offers registration.
    page.goto("/login")
    page.get_by_role("link", name="Create an account").click()
    owner, password = email(), secrets.token_urlsafe(12)
    page.get_by_label("Email").fill(owner)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Register an application")).to_be_visible()

    # Sign out and in again.
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login"))
    log_in(page, owner, password)

    # Register an app, send it logs, open its page.
    page.goto("/apps/new")
    page.get_by_label("Application name").fill("Policy Check")
    page.get_by_role("radio", name=re.compile("^small")).check()
    page.get_by_label("New group name").fill("Policy Team")
    page.get_by_role("button", name="Register application").click()
    expect(page.get_by_role("heading", name="Policy Check is registered")).to_be_visible()
    fluentd = page.locator("pre[aria-label='fluentd configuration']").inner_text()
    send_like_fluentd(fluentd, [{"message": "checked under the policy", "level": "info"}])
    page.get_by_role("link", name="Go to the app's status").click()
    expect(page.get_by_test_id("log-count")).to_have_text("1", timeout=SLOW)

    # Search.
    tab(page, "Logs").click()
    expect(page.get_by_test_id("total")).to_have_text("1", timeout=SLOW)
    page.get_by_label("Query").fill("policy")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("list", name="Events")).to_contain_text("checked under the policy")

    # The live tail: a websocket to the tail server, another origin the policy names.
    tab(page, "Live tail").click()
    expect(page.get_by_role("status").filter(has_text="Live")).to_be_visible(timeout=SLOW)
    send_like_fluentd(fluentd, [{"message": "tailed under the policy", "level": "warn"}])
    tail = page.get_by_role("log", name="Live events")
    expect(tail).to_contain_text("tailed under the policy", timeout=SLOW)
    page.screenshot(path=ARTIFACTS / "security-headers-tail.png", full_page=True)

    assert heard.violations == []
    assert heard.errors == []

    # The listeners do hear a violation: a script injected inline is refused.
    ran = page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.injectedRan = true";
          document.body.append(script);
          return window.injectedRan === true;
        }"""
    )
    assert ran is False
    deadline = time.monotonic() + 10
    while not heard.violations and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert any("script-src" in violation for violation in heard.violations), heard.violations
    context.close()


def test_no_other_page_can_frame_the_market(browser: Browser, services: WebStack) -> None:
    page = new_context(browser, services).new_page()
    with page.expect_console_message(lambda message: "frame-ancestors" in message.text):
        page.set_content(f'<iframe title="market" src="{services.market_url}/login"></iframe>')
    framed = page.frame_locator("iframe[title=market]")
    expect(framed.get_by_role("button", name="Log in")).to_have_count(0)
    page.context.close()
