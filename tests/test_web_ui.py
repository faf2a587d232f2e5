"""The web UI in a real Chromium against the real services and engines.

One long story (sign up → register → send → status → search → tail →
rotate), the permission checks a member and an outsider meet, and for every
page visited: screenshots at desktop and phone widths and an axe-core scan
that must find nothing serious or critical.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.support.web_browser import ARTIFACTS, capture, send_like_fluentd
from tests.support.web_pages import chromium
from tests.support.web_stack import WebStack, web_stack

pytestmark = pytest.mark.stack

# Waits for things the pipeline does in the background (index, roll-ups), not durations.
SLOW = 90_000


@pytest.fixture(scope="module")
def services(stack: Any) -> Iterator[WebStack]:
    with web_stack(stack, ARTIFACTS / "logs") as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def new_context(browser: Browser, services: WebStack) -> BrowserContext:
    context = browser.new_context(
        base_url=services.market_url, viewport={"width": 1280, "height": 800}
    )
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=services.market_url)
    context.set_default_timeout(20_000)
    return context


def log_in(page: Page, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def tab(page: Page, name: str) -> Any:
    return page.get_by_role("navigation", name="App views").get_by_role("link", name=name)


def email() -> str:
    return f"user-{uuid.uuid4().hex[:8]}@example.test"


def test_a_team_goes_from_sign_up_to_reading_its_logs(browser: Browser, services: WebStack) -> None:
    problems: dict[str, list[str]] = {}
    context = new_context(browser, services)
    page = context.new_page()

    # Anyone arriving is sent to log in; a wrong password is said plainly.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))
    page.get_by_label("Email").fill("nobody@example.test")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text(re.compile("password|email", re.I))
    capture(page, "login", problems)

    page.get_by_role("link", name="Create an account").click()
    capture(page, "signup", problems)
    owner, password = email(), secrets.token_urlsafe(12)
    page.get_by_label("Email").fill(owner)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Create account").click()

    # Register: a capacity card, and the group created inline.
    expect(page.get_by_role("heading", name="Register an application")).to_be_visible()
    page.get_by_role("button", name="Register application").click()
    expect(page.get_by_text("Give the application a name.")).to_be_visible()
    page.get_by_label("Application name").fill("Checkout API")
    page.get_by_role("radio", name=re.compile("^medium")).check()
    page.get_by_role("radio", name=re.compile("^small")).check()
    expect(page.get_by_label("Group", exact=True)).to_have_value("__new__")
    page.get_by_label("New group name").fill("Payments Team")
    capture(page, "register", problems)
    page.get_by_role("button", name="Register application").click()

    expect(page.get_by_role("heading", name="Checkout API is registered")).to_be_visible()
    expect(page.get_by_text("it will not be shown again")).to_be_visible()
    secret = page.get_by_test_id("app-secret").inner_text().strip()
    page.get_by_role("button", name="Copy the app secret").click()
    expect(page.get_by_role("button", name="Copied the app secret")).to_be_visible()
    assert page.evaluate("() => navigator.clipboard.readText()") == secret
    fluentd = page.locator("pre[aria-label='fluentd configuration']").inner_text()
    assert secret in fluentd
    assert services.receiver_url in fluentd
    agent = page.get_by_label("Your agent")
    agent.select_option(label="Fluent Bit (http)")
    expect(page.locator("pre[aria-label='Fluent Bit configuration']")).to_contain_text(secret)
    # The receiver's other protocols: each configuration with the real secret and endpoint.
    agent.select_option(label="OpenTelemetry Collector (otlphttp)")
    otel = page.locator("pre[aria-label='OpenTelemetry Collector configuration']")
    expect(otel).to_contain_text(f"X-App-Secret: {secret}")
    expect(otel).to_contain_text(f"logs_endpoint: {services.receiver_url}/v1/logs")
    agent.select_option(label="rsyslog (omfwd)")
    rsyslog = page.locator("pre[aria-label='rsyslog syslog configuration']")
    expect(rsyslog).to_contain_text(f'[barito@32473 secret=\\"{secret}\\"]')
    expect(rsyslog).to_contain_text('target="127.0.0.1"')
    capture(page, "register-done", problems)

    # Logs sent exactly as the pasted fluentd section sends them.
    events = [
        {"message": "order placed", "level": "info", "order_id": "A-1", "service": "checkout"},
        {"message": "payment failed: card declined", "level": "error", "order_id": "A-2"},
        {"message": "order shipped", "level": "info", "order_id": "A-3", "service": "shipping"},
    ]
    send_like_fluentd(fluentd, events)

    page.get_by_role("link", name="Go to the app's status").click()
    slug = page.url.rstrip("/").rsplit("/", 1)[-1]
    expect(page.get_by_test_id("log-count")).to_have_text("3", timeout=SLOW)
    expect(page.get_by_test_id("received-24h")).to_have_text("3", timeout=SLOW)
    last_hour = page.locator("figure.chart").first
    expect(last_hour.locator("rect.bar[height]:not([height='0'])")).not_to_have_count(0)
    capture(page, "status", problems)

    # Logs: by query, by field, with the event's JSON.
    tab(page, "Logs").click()
    expect(page.get_by_test_id("total")).to_have_text("3")
    expect(page.get_by_role("link", name="Open in Kibana")).to_have_attribute(
        "href", re.compile(slug)
    )
    page.get_by_label("Query").fill("payment")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_test_id("total")).to_have_text("1")
    hits = page.get_by_role("list", name="Events")
    expect(hits).to_contain_text("payment failed: card declined")
    page.get_by_label("Query").fill("")
    page.get_by_label("Field").fill("order_id")
    page.get_by_label("equals").fill("A-3")
    page.get_by_role("button", name="Search").click()
    expect(hits).to_contain_text("order shipped")
    expect(hits).not_to_contain_text("payment failed")
    hits.get_by_role("button", name=re.compile("order shipped")).click()
    expect(page.get_by_label("Event as JSON")).to_contain_text('"service": "shipping"')
    capture(page, "logs", problems)
    page.get_by_role("button", name="Remove filter order_id:A-3").click()
    expect(page.get_by_test_id("total")).to_have_text("3")

    # Live tail over the tail server's websocket, authorised by the session cookie.
    tab(page, "Live tail").click()
    expect(page.get_by_role("status").filter(has_text="Live")).to_be_visible(timeout=SLOW)
    send_like_fluentd(fluentd, [{"message": "live one arrives", "level": "warn"}])
    tail = page.get_by_role("log", name="Live events")
    expect(tail).to_contain_text("live one arrives", timeout=SLOW)
    expect(tail.locator(".level-warn")).to_have_count(1)
    page.get_by_role("button", name="Pause").click()
    send_like_fluentd(fluentd, [{"message": "held while paused", "level": "info"}])
    expect(page.get_by_role("status").filter(has_text="Paused: 1 new")).to_be_visible(timeout=SLOW)
    expect(tail).not_to_contain_text("held while paused")
    page.get_by_role("button", name="Resume").click()
    expect(tail).to_contain_text("held while paused")
    capture(page, "tail", problems)

    # Rotate: a new secret, shown once, which the receiver accepts.
    tab(page, "Status").click()
    page.get_by_role("button", name="Rotate secret").click()
    page.get_by_role("dialog").get_by_role("button", name="Rotate").click()
    expect(page.get_by_test_id("app-secret")).to_be_visible()
    rotated = page.get_by_test_id("app-secret").inner_text().strip()
    assert rotated != secret
    rotated_fluentd = page.locator("pre[aria-label='fluentd configuration']").inner_text()
    assert rotated in rotated_fluentd
    send_like_fluentd(rotated_fluentd, [{"message": "sent with the new secret"}])
    # A forward key for the handshake: shown once, in fluentd's and Fluent Bit's outputs.
    page.get_by_role("button", name="Make forward key").click()
    page.get_by_role("dialog").get_by_role("button", name="Make").click()
    forward_key = page.get_by_test_id("forward-key").inner_text().strip()
    expect(
        page.locator("pre[aria-label='fluentd forward handshake configuration']")
    ).to_contain_text(f"shared_key {forward_key}")
    expect(page.get_by_role("button", name="Replace forward key")).to_be_visible()
    capture(page, "forward-key", problems)
    page.get_by_role("button", name="Deactivate").click()
    page.get_by_role("dialog").get_by_role("button", name="Deactivate").click()
    expect(page.locator(".page-title .badge")).to_have_text("inactive")
    page.get_by_role("button", name="Activate").click()
    expect(page.locator(".page-title .badge")).to_have_text("active")

    # The owner invites a teammate by email and makes them an admin.
    teammate_client, teammate, _ = _api_user(services)
    teammate_client.close()
    page.get_by_role("link", name="Payments Team").click()
    expect(page.get_by_role("link", name="Checkout API")).to_be_visible()
    page.get_by_label("Invite by email").fill("not-an-account@example.test")
    page.get_by_role("button", name="Invite").click()
    expect(page.get_by_role("alert")).to_be_visible()
    page.get_by_label("Invite by email").fill(teammate)
    page.get_by_role("button", name="Invite").click()
    members = page.get_by_role("region", name="Members of the group")
    expect(members.get_by_role("cell", name=teammate, exact=True)).to_be_visible()
    page.get_by_label(f"Role of {teammate}").select_option("admin")
    expect(page.get_by_label(f"Role of {teammate}")).to_have_value("admin")
    page.reload()
    expect(page.get_by_label(f"Role of {teammate}")).to_have_value("admin")
    capture(page, "group", problems)
    page.get_by_role("link", name="Groups", exact=True).first.click()
    expect(page.get_by_role("link", name="Payments Team")).to_be_visible()
    capture(page, "groups", problems)

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login"))
    page.goto(f"/apps/{slug}")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    context.close()

    # The superadmin sees the group's infrastructure, its components and its timeline.
    admin = new_context(browser, services).new_page()
    log_in(admin, services.admin_email, services.admin_password)
    admin.get_by_role("link", name="Administration").click()
    infrastructure = admin.locator("article.infra").filter(has_text="Payments Team")
    expect(infrastructure).to_be_visible()
    expect(admin.get_by_role("cell", name=owner, exact=True)).to_be_visible()
    infrastructure.get_by_role("button", name="Show provisioning timeline").click()
    expect(infrastructure.locator(".timeline li").first).to_be_visible()
    capture(admin, "admin", problems)
    admin.context.close()

    assert problems == {}, problems


def _api_user(services: WebStack) -> tuple[httpx.Client, str, str]:
    """A signed-up, logged-in API client (session cookie + CSRF header)."""
    address, password = email(), secrets.token_urlsafe(12)
    client = httpx.Client(base_url=services.market_url, timeout=30)
    body = {"email": address, "password": password}
    assert client.post("/api/v1/auth/signup", json=body).status_code == 201
    login = client.post("/api/v1/auth/login", json=body)
    client.headers["X-CSRF-Token"] = login.json()["csrf_token"]
    return client, address, password


def test_a_member_sees_the_group_but_not_administration_and_an_outsider_sees_nothing(
    browser: Browser, services: WebStack
) -> None:
    problems: dict[str, list[str]] = {}
    owner, owner_email, owner_password = _api_user(services)
    registered = owner.post("/api/v1/apps", json={"name": "billing", "new_group": "Billing"})
    assert registered.status_code == 201, registered.text
    slug, group = registered.json()["slug"], registered.json()["group"]
    member, member_email, member_password = _api_user(services)
    outsider, outsider_email, outsider_password = _api_user(services)
    added = owner.put(
        f"/api/v1/groups/{group}/members", json={"email": member_email, "role": "member"}
    )
    assert added.status_code == 200, added.text

    page = new_context(browser, services).new_page()
    log_in(page, member_email, member_password)
    expect(page.get_by_role("link", name="Billing")).to_be_visible()
    expect(page.get_by_role("link", name="Administration")).to_have_count(0)
    page.get_by_role("link", name="Billing").click()
    expect(page.get_by_role("link", name="billing")).to_be_visible()
    # A member reads the roles but cannot change them.
    expect(page.get_by_role("button", name=re.compile("^Remove"))).to_have_count(0)
    page.goto("/admin")
    expect(page.get_by_role("alert")).to_contain_text("superadmins only")
    page.goto(f"/apps/{slug}")
    expect(page.get_by_test_id("member-note")).to_contain_text("needs the owner or admin role")
    expect(page.get_by_role("button", name="Rotate secret")).to_have_count(0)
    expect(page.get_by_role("button", name="Delete app")).to_have_count(0)
    page.context.close()

    page = new_context(browser, services).new_page()
    log_in(page, outsider_email, outsider_password)
    expect(page.get_by_text("You are not in any group yet")).to_be_visible()
    capture(page, "groups-empty", problems)
    for path in (f"/apps/{slug}", f"/apps/{slug}/logs", f"/apps/{slug}/tail", f"/groups/{group}"):
        page.goto(path)
        expect(page.get_by_role("alert")).to_contain_text("that you can see")
        # Nothing of the app or its group shows: not its group's name, not its endpoints.
        expect(page.get_by_text("Billing", exact=True)).to_have_count(0)
        expect(page.get_by_text(services.receiver_url)).to_have_count(0)
    capture(page, "not-yours", problems)
    page.goto("/no/such/page")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    page.context.close()

    # Its owner deletes the app, after confirming; the group is left empty.
    page = new_context(browser, services).new_page()
    log_in(page, owner_email, owner_password)
    page.goto(f"/apps/{slug}")
    page.get_by_role("button", name="Delete app").click()
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("heading", name="billing")).to_be_visible()
    page.get_by_role("button", name="Delete app").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete for good").click()
    expect(page).to_have_url(re.compile(f"/groups/{group}$"))
    expect(page.get_by_text("No applications yet")).to_be_visible()
    page.context.close()
    for client in (owner, member, outsider):
        client.close()
    assert problems == {}, problems
