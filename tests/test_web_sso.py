"""Single sign-on in a real Chromium: Keycloak's own login form, then Barito's pages.

A person of the company directory signs in with "Sign in with Keycloak", types
their password into Keycloak's real login page and lands back in Barito on
the page they asked for, with the role the directory's group grants them
(shown as "from the identity provider"); the group's and the installation's
audit pages list what happened and from which address; a read-only token made
on the tokens page reads but changes nothing; logging out ends Keycloak's
session too. An installation with passwords turned off offers the provider
alone. Every Barito page visited: screenshots and an axe-core scan.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from barito_testing.oidc_provider import DirectoryUser, OidcProvider
from tests.support.web_browser import ARTIFACTS, capture
from tests.support.web_pages import chromium
from tests.support.web_stack import WebStack, web_stack

pytestmark = pytest.mark.stack

T = TypeVar("T")


def _sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from sync code, also while Playwright's loop owns this thread."""
    with ThreadPoolExecutor(1) as worker:
        return worker.submit(asyncio.run, coroutine).result()


def _environment(settings: dict[str, Any]) -> dict[str, str]:
    """``OidcSettings`` keyword arguments as the market's BARITO_OIDC__ variables."""
    return {
        f"BARITO_OIDC__{key.upper()}": json.dumps(value)
        if isinstance(value, list | dict)
        else str(value)
        for key, value in settings.items()
    }


@contextmanager
def _logged_in(services: WebStack) -> Iterator[httpx.Client]:
    """The superadmin's API client: session cookie and CSRF header."""
    with httpx.Client(base_url=services.market_url, timeout=30) as client:
        login = client.post(
            "/api/v1/auth/login",
            json={"email": services.admin_email, "password": services.admin_password},
        )
        assert login.status_code == 200, login.text
        client.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        yield client


@dataclass(frozen=True)
class Directory:
    """What the test made: a Barito group, the directory group that grants admin in it, a user."""

    team: str
    slug: str
    directory_group: str
    user: DirectoryUser


@pytest.fixture(scope="module")
def directory(oidc_provider: OidcProvider) -> Directory:
    run = uuid.uuid4().hex[:8]
    team, directory_group = f"Payments {run}", f"payments-{run}-admins"
    _sync(oidc_provider.admin.create_group(directory_group))
    user = _sync(oidc_provider.admin.create_user(groups=[directory_group]))
    return Directory(team, f"payments-{run}", directory_group, user)


@pytest.fixture(scope="module")
def services(stack: Any, oidc_provider: OidcProvider, directory: Directory) -> Iterator[WebStack]:
    settings = oidc_provider.oidc_settings(
        roles_from_claims=[
            {"claim": directory.directory_group, "group": directory.slug, "role": "admin"}
        ]
    )
    overrides = {"market": _environment(settings)}
    with web_stack(stack, ARTIFACTS / "logs-sso", overrides=overrides) as running:
        # The group exists before anyone signs in: the superadmin makes it by hand.
        with _logged_in(running) as admin:
            made = admin.post("/api/v1/groups", json={"name": directory.team})
            assert made.status_code == 201, made.text
            assert made.json()["slug"] == directory.slug
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


def sign_in_at_keycloak(page: Page, provider: OidcProvider, user: DirectoryUser) -> None:
    """Keycloak's own login page, filled in as a person would."""
    expect(page).to_have_url(re.compile(f"^{re.escape(provider.issuer)}/"))
    page.locator("#username").fill(user.username)
    page.locator("#password").fill(user.password)
    page.locator("#kc-login").click()


def audit_row(page: Page, *texts: str) -> Any:
    rows = page.get_by_role("region", name="Audit log entries").get_by_role("row")
    for text in texts:
        rows = rows.filter(has_text=text)
    return rows


def test_a_directory_user_signs_in_through_keycloak_and_works_in_their_team(
    browser: Browser, services: WebStack, oidc_provider: OidcProvider, directory: Directory
) -> None:
    problems: dict[str, list[str]] = {}
    user, slug = directory.user, directory.slug
    page = new_context(browser, services).new_page()

    # The page asked for sends to the login page, which offers Keycloak beside passwords.
    page.goto(f"/groups/{slug}")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    sign_in = page.get_by_role("link", name="Sign in with Keycloak")
    expect(sign_in).to_be_visible()
    expect(page.get_by_label("Password")).to_be_visible()
    capture(page, "login-sso", problems)
    sign_in.click()
    sign_in_at_keycloak(page, oidc_provider, user)

    # Back in Barito, signed in, on the page first asked for, as admin from the directory.
    expect(page).to_have_url(f"{services.market_url}/groups/{slug}")
    expect(page.get_by_role("heading", name=directory.team)).to_be_visible()
    expect(page.locator(".who .email")).to_have_text(user.email)
    members = page.get_by_role("region", name="Members of the group")
    expect(members.get_by_role("row").filter(has_text=user.email)).to_contain_text(
        "from the identity provider"
    )
    expect(page.get_by_label(f"Role of {user.email}")).to_have_value("admin")
    expect(page.get_by_text("is applied again at each of that person's sign-ins")).to_be_visible()
    capture(page, "group-sso", problems)

    # The group's audit log: the provider's grant, made from this browser's address.
    page.get_by_role("navigation", name="Group views").get_by_role("link", name="Audit log").click()
    grant = audit_row(page, "group.member.set", user.email)
    expect(grant).to_have_count(1)
    expect(grant).to_contain_text("the identity provider")
    expect(grant).to_contain_text("127.0.0.1")
    expect(grant).to_contain_text("role: admin")
    capture(page, "audit-group", problems)

    # A read-only token for this group, shown once; it reads, and is refused a change.
    page.get_by_role("navigation", name="Your account").get_by_role(
        "link", name="API tokens"
    ).click()
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Give the token a name, e.g. the machine or job that will use it."
    )
    page.get_by_label("Token name").fill("nightly-report")
    page.get_by_label("Sees").select_option(label=f"Only {directory.team}")
    expect(page.get_by_label("Read-only: search and live tail, no changes")).to_be_checked()
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_text("it will not be shown again")).to_be_visible()
    token = page.get_by_test_id("api-token").inner_text().strip()
    row = page.get_by_role("region", name="Your API tokens").get_by_role("row")
    expect(row.filter(has_text="nightly-report")).to_contain_text(f"read-only, group: {slug}")
    capture(page, "tokens", problems)
    with httpx.Client(
        base_url=services.market_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as machine:
        groups = machine.get("/api/v1/groups")
        assert groups.status_code == 200, groups.text
        assert [g["slug"] for g in groups.json()["data"]] == [slug]
        refused = machine.post("/api/v1/groups", json={"name": "Not allowed"})
        assert refused.status_code == 403, refused.text
        assert "read-only" in refused.json()["error"]["message"]
        # Revoked after a confirmation, it stops working at once.
        page.get_by_role("button", name="Revoke nightly-report").click()
        page.get_by_role("dialog").get_by_role("button", name="Revoke").click()
        expect(page.get_by_text("No tokens yet")).to_be_visible()
        assert machine.get("/api/v1/groups").status_code == 401

    # Logging out ends Keycloak's session too: the next sign-in asks for the password again.
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(f"^{re.escape(services.market_url)}/login"))
    page.goto(f"/groups/{slug}")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_role("link", name="Sign in with Keycloak").click()
    expect(page.locator("#password")).to_be_visible()
    page.context.close()

    # A callback nobody started is refused, and the login page says why in plain words.
    page = new_context(browser, services).new_page()
    page.goto("/api/v1/auth/oidc/callback?state=forged-state&code=forged-code")
    expect(page).to_have_url(re.compile(r"/login\?sso_error="))
    expect(page.get_by_role("alert")).to_have_text(
        "Signing in with Keycloak did not work. "
        "The sign-in link was already used or has expired — start again."
    )
    capture(page, "login-sso-error", problems)

    # The superadmin's audit log: the sign-in with its address and method, and its export.
    page.get_by_label("Email").fill(services.admin_email)
    page.get_by_label("Password").fill(services.admin_password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Administration").click()
    page.get_by_role("navigation", name="Administration views").get_by_role(
        "link", name="Audit log"
    ).click()
    expect(audit_row(page, "auth.login_failed", "127.0.0.1").first).to_be_visible()
    page.get_by_label("Who").fill(user.email)
    page.get_by_label("Action").fill("auth.login")
    page.get_by_role("button", name="Apply filters").click()
    sign_ins = audit_row(page, "auth.login", user.email)
    expect(sign_ins).to_have_count(1)
    expect(sign_ins).to_contain_text("127.0.0.1")
    expect(sign_ins).to_contain_text("method: oidc")
    expect(sign_ins).to_contain_text("first_sign_in: true")
    capture(page, "audit-admin", problems)
    export = page.get_by_role("link", name="Export NDJSON")
    href = export.get_attribute("href") or ""
    assert "actor=" in href and "action=auth.login" in href, href
    downloaded = page.request.get(href)
    assert downloaded.ok, downloaded.text()
    lines = [json.loads(line) for line in downloaded.text().splitlines()]
    assert [(e["action"], e["actor_email"], e["address"]) for e in lines] == [
        ("auth.login", user.email, "127.0.0.1")
    ]

    # Older entries a page at a time: 52 token creations are 50 rows, then 2 more.
    with _logged_in(services) as admin:
        for n in range(52):
            made = admin.post("/api/v1/auth/tokens", json={"name": f"batch-{n}"})
            assert made.status_code == 201, made.text
    page.get_by_label("Who").fill(services.admin_email)
    page.get_by_label("Action").fill("token.")
    page.get_by_role("button", name="Apply filters").click()
    created = audit_row(page, "token.create")
    expect(created).to_have_count(50)
    page.get_by_role("button", name="Load older").click()
    expect(created).to_have_count(52)
    expect(created.first).to_contain_text("name: batch-51")
    expect(created.last).to_contain_text("name: batch-0")
    expect(page.get_by_role("button", name="Load older")).to_have_count(0)
    page.context.close()

    assert problems == {}, problems


def test_with_passwords_off_the_login_page_offers_only_the_provider(
    browser: Browser, stack: Any, oidc_provider: OidcProvider
) -> None:
    problems: dict[str, list[str]] = {}
    overrides = {
        "market": {
            **_environment(oidc_provider.oidc_settings()),
            "BARITO_PASSWORDS_ENABLED": "false",
        }
    }
    with web_stack(stack, ARTIFACTS / "logs-sso-only", overrides=overrides) as services:
        page = new_context(browser, services).new_page()
        page.goto("/login")
        expect(page.get_by_role("link", name="Sign in with Keycloak")).to_be_visible()
        expect(page.get_by_label("Password")).to_have_count(0)
        expect(page.get_by_role("link", name="Create an account")).to_have_count(0)
        capture(page, "login-sso-only", problems)
        page.goto("/signup")
        expect(page.get_by_role("status")).to_contain_text(
            "Accounts come from Keycloak: sign in with it."
        )
        page.context.close()
    assert problems == {}, problems
