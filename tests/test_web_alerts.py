"""Alerting in the web UI, in a real Chromium against the five real services.

An owner adds a webhook channel (its signing secret copied from the page),
sends it a test, writes a rule on an app, sends matching logs the way the
pasted fluentd section does, and sees the notification arrive signed at a
real HTTP receiver on loopback and the firing, with its sample event, on the
app's alert history. Every page visited is captured at two widths and
scanned with axe-core.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from barito_testing.webhook_receiver import WebhookReceiver, webhook_receiver
from tests.support.web_browser import ARTIFACTS, capture, send_like_fluentd
from tests.support.web_pages import app_tab, chromium, sign_up, sign_up_and_register
from tests.support.web_stack import WebStack, web_stack

pytestmark = pytest.mark.stack

# Waits for work the services do in the background (profile publication, evaluation).
SLOW = 90_000
# The webhook receiver listens on loopback, which alert channels refuse by default.
PRIVATE_TARGETS = {"BARITO_ALERT_PRIVATE_TARGETS": "true"}


@pytest.fixture(scope="module")
def services(stack: Any) -> Iterator[WebStack]:
    overrides = {"market": PRIVATE_TARGETS, "server": PRIVATE_TARGETS}
    with web_stack(stack, ARTIFACTS / "logs-alerts", overrides=overrides) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@contextmanager
def receiver_in_thread() -> Iterator[tuple[WebhookReceiver, asyncio.AbstractEventLoop]]:
    """The webhook receiver on its own event loop, as Playwright's sync API owns this thread."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    serving = webhook_receiver()
    try:
        receiver = asyncio.run_coroutine_threadsafe(serving.__aenter__(), loop).result(30)
        try:
            yield receiver, loop
        finally:
            asyncio.run_coroutine_threadsafe(serving.__aexit__(None, None, None), loop).result(30)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        loop.close()


def test_an_owner_is_notified_of_matching_logs_and_sees_the_firing(
    browser: Browser, services: WebStack
) -> None:
    problems: dict[str, list[str]] = {}
    context = browser.new_context(
        base_url=services.market_url, viewport={"width": 1280, "height": 800}
    )
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=services.market_url)
    context.set_default_timeout(20_000)
    page = context.new_page()
    slug, fluentd = sign_up_and_register(page)
    group = page.request.get(f"/api/v1/apps/{slug}").json()["group"]

    with receiver_in_thread() as (receiver, loop):
        # The group's Alert channels tab: a webhook, its signing secret shown once.
        page.goto(f"/groups/{group}")
        page.get_by_role("navigation", name="Group views").get_by_role(
            "link", name="Alert channels"
        ).click()
        expect(page.get_by_role("heading", name="No channels yet")).to_be_visible()
        page.get_by_role("button", name="Add channel").click()
        expect(page.get_by_text("Give the channel a name")).to_be_visible()
        page.get_by_label("Name").fill("On-call hook")
        page.get_by_label("Kind").select_option("webhook")
        page.get_by_label("Webhook URL").fill("ftp://example.test/hook")
        page.get_by_role("button", name="Add channel").click()
        # The market's refusal, under the input it names.
        expect(page.locator("#new-channel-url-problem")).to_contain_text(
            "config.url: must be a URL starting with"
        )
        page.get_by_label("Webhook URL").fill(receiver.url)
        page.get_by_role("button", name="Add channel").click()
        expect(page.get_by_text("it will not be shown again")).to_be_visible()
        signing_secret = page.get_by_test_id("signing-secret").inner_text().strip()
        page.get_by_role("button", name="Copy the signing secret").click()
        assert page.evaluate("() => navigator.clipboard.readText()") == signing_secret
        expect(page.get_by_text("X-Barito-Notification-Id").first).to_be_visible()
        channel = page.get_by_test_id("alert-channel").filter(has_text="On-call hook")
        expect(channel).to_contain_text(receiver.url)
        expect(channel).to_contain_text("kept sealed (not shown)")
        expect(channel).not_to_contain_text(signing_secret)
        capture(page, "alert-channels", problems)

        # Send test: delivered, and the receiver can check it came from Barito.
        channel.get_by_role("button", name="Send test to On-call hook").click()
        expect(channel.get_by_test_id("channel-test-result")).to_contain_text(
            "Delivered", timeout=SLOW
        )
        test_request = receiver.requests[-1]
        assert test_request.verified(signing_secret)
        assert test_request.json["test"] is True

        # The app's Alerts tab: a rule; a bad regex is refused at the match inputs.
        page.goto(f"/apps/{slug}")
        app_tab(page, "Alerts").click()
        expect(page.get_by_role("heading", name="No alert rules yet")).to_be_visible()
        page.get_by_role("button", name="New rule").click()
        page.get_by_label("Rule name").fill("Payment failures")
        page.get_by_label("Contains").fill("payment failed")
        page.get_by_label("Regular expression (RE2)").fill("card (declined")
        page.get_by_label("Condition").select_option("any")
        page.get_by_label("Resolves after quiet for").fill("10")
        page.get_by_label("Unit").select_option("min")
        page.get_by_label("Severity").select_option("critical")
        page.get_by_role("checkbox", name=re.compile("On-call hook")).check()
        page.get_by_role("button", name="Create rule").click()
        expect(page.locator("#rule-match-problem")).to_contain_text("match:")
        capture(page, "alert-rule-form", problems)
        page.get_by_label("Regular expression (RE2)").fill("")
        page.get_by_role("button", name="Create rule").click()
        rule = page.get_by_test_id("alert-rule").filter(has_text="Payment failures")
        expect(rule).to_contain_text("any match")
        expect(rule).to_contain_text('contains "payment failed"')
        expect(rule).to_contain_text("On-call hook")
        expect(rule).to_contain_text("critical")
        expect(rule.locator(".badge").first).to_have_text("ok")

        # Matching logs, sent as the pasted fluentd section sends them, until the server
        # (which learns of the rule from the app's profile within seconds) fires.
        deadline = time.monotonic() + SLOW / 1000
        while not [n for n in receiver.notifications if not n["test"]]:
            assert time.monotonic() < deadline, "no firing notification reached the webhook"
            send_like_fluentd(
                fluentd,
                [
                    {"message": "order placed", "level": "info"},
                    {"message": "payment failed: card declined", "level": "error"},
                ],
            )
            waited = asyncio.run_coroutine_threadsafe(
                receiver.wait_for(2, timeout_s=3), loop
            ).exception()
            assert waited is None or isinstance(waited, AssertionError)
        fired = next(r for r in receiver.requests if r.json and not r.json["test"])
        assert fired.verified(signing_secret)
        assert fired.json["transition"] == "firing"
        assert fired.json["rule"]["name"] == "Payment failures"
        assert fired.json["severity"] == "critical"
        assert "payment failed" in fired.json["samples"][0]["message"]
        assert all("order placed" not in str(s) for s in fired.json["samples"])

        # The Alerts tab says it is firing; a quick mute for an hour, and back.
        page.reload()
        expect(rule).to_contain_text("firing", timeout=SLOW)
        capture(page, "alerts", problems)
        rule.get_by_role("button", name="Mute 1 h Payment failures").click()
        expect(rule).to_contain_text("muted until")
        rule.get_by_role("button", name="Unmute Payment failures").click()
        expect(rule.get_by_role("button", name="Mute 1 h Payment failures")).to_be_visible()

        # The history: the firing with its delivery and the sample event.
        app_tab(page, "Alert history").click()
        entry = page.get_by_test_id("alert-history-entry").filter(has_text="fired")
        deadline = time.monotonic() + SLOW / 1000
        while not entry.count():
            assert time.monotonic() < deadline, "the firing did not reach the alert history"
            page.get_by_role("button", name="Refresh").click()
            page.wait_for_load_state("networkidle")
        expect(entry).to_contain_text("Payment failures")
        expect(entry).to_contain_text("On-call hook: delivered")
        entry.get_by_text(re.compile(r"sample event")).click()
        sample = entry.get_by_label("Sample event 1")
        expect(sample).to_contain_text("payment failed: card declined")
        page.get_by_label("Rule", exact=True).select_option(label="Payment failures")
        expect(entry).to_be_visible()
        capture(page, "alert-history", problems)

    # A member of the group reads the channels and rules but is offered no change.
    member_context = browser.new_context(
        base_url=services.market_url, viewport={"width": 1280, "height": 800}
    )
    member_context.set_default_timeout(20_000)
    member = member_context.new_page()
    member_email = sign_up(member)
    page.goto(f"/groups/{group}")
    page.get_by_label("Invite by email").fill(member_email)
    page.get_by_role("button", name="Invite").click()
    expect(page.get_by_role("region", name="Members of the group")).to_contain_text(member_email)
    member.goto(f"/groups/{group}/alert-channels")
    channel = member.get_by_test_id("alert-channel").filter(has_text="On-call hook")
    expect(channel).to_contain_text("kept sealed (not shown)")
    expect(channel.get_by_role("button")).to_have_count(0)
    expect(member.get_by_role("heading", name="New channel")).to_have_count(0)
    member.goto(f"/apps/{slug}/alerts")
    expect(member.get_by_test_id("alert-rule")).to_contain_text("any match")
    expect(member.get_by_role("button", name="New rule")).to_have_count(0)
    expect(member.get_by_role("button", name=re.compile("^(Edit|Mute|Delete)"))).to_have_count(0)
    member_context.close()

    context.close()
    assert not problems, problems
