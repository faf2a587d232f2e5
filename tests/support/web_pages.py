"""What every web UI test does in Chromium: start it, sign up, register an app, open a tab."""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.support.web_browser import CHROMIUM

__all__ = ["app_tab", "chromium", "sign_up", "sign_up_and_register"]


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless, for one test module."""
    with sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def app_tab(page: Page, name: str) -> Any:
    return page.get_by_role("navigation", name="App views").get_by_role("link", name=name)


def sign_up(page: Page) -> str:
    """A new account, logged in; its email."""
    email = f"user-{uuid.uuid4().hex[:8]}@example.test"
    page.goto("/signup")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(secrets.token_urlsafe(12))
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    return email


def sign_up_and_register(page: Page) -> tuple[str, str]:
    """A new owner with one app; the app's slug and its fluentd section."""
    sign_up(page)
    expect(page.get_by_role("heading", name="Register an application")).to_be_visible()
    page.get_by_label("Application name").fill("Checkout API")
    page.get_by_role("radio", name=re.compile("^small")).check()
    page.get_by_label("New group name").fill("Payments Team")
    page.get_by_role("button", name="Register application").click()
    expect(page.get_by_role("heading", name="Checkout API is registered")).to_be_visible()
    fluentd = page.locator("pre[aria-label='fluentd configuration']").inner_text()
    page.get_by_role("link", name="Go to the app's status").click()
    expect(app_tab(page, "Status")).to_be_visible()
    return page.url.rstrip("/").rsplit("/", 1)[-1], fluentd
