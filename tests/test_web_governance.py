"""Data governance in the web UI, in a real Chromium against the five real services.

An owner adds an email-detector redaction rule on the app's Redaction tab (a
bad pattern refused next to the form first), sends an event holding an
address the way the pasted fluentd section does, and reads it masked on the
logs page; deletes that search's events through the delete dialog (preview
count, slug typed to confirm, the job followed to done) and finds the job on
the app's page; a superadmin sets a tiny storage limit on the admin page and
the group's page says it is over its quota, then clears it. A member reads
the rules without a control. Every page visited is captured at two widths
and scanned with axe-core.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.support.web_browser import ARTIFACTS, capture, send_like_fluentd
from tests.support.web_pages import app_tab, chromium, sign_up, sign_up_and_register
from tests.support.web_stack import WebStack, web_stack

pytestmark = pytest.mark.stack

# Waits for work the services do in the background (profile publication, indexing, jobs).
SLOW = 90_000
ADDRESS = "alice@example.com"
MASK = "[redacted:emails]"


@pytest.fixture(scope="module")
def services(stack: Any) -> Iterator[WebStack]:
    with web_stack(stack, ARTIFACTS / "logs-governance") as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def new_context(browser: Browser, services: WebStack) -> BrowserContext:
    context = browser.new_context(
        base_url=services.market_url, viewport={"width": 1280, "height": 800}
    )
    context.set_default_timeout(20_000)
    return context


def add_email_rule(page: Page) -> None:
    """The Redaction tab: a bad RE2 pattern refused next to the form, then the email detector."""
    app_tab(page, "Redaction").click()
    expect(page.get_by_role("heading", name="No redaction rules yet")).to_be_visible()
    page.get_by_role("button", name="New redaction rule").click()
    form = page.get_by_role("form", name="New redaction rule")
    form.get_by_label("Rule name").fill("emails")
    form.get_by_label("Kind").select_option("pattern")
    form.get_by_label("Pattern (RE2)").fill("card (declined")
    form.get_by_role("button", name="Add rule").click()
    # The market's refusal (the receiver's RE2 compile), under the input it names.
    expect(form.locator("#redaction-pattern-problem")).to_be_visible()
    form.get_by_label("Kind").select_option("detector")
    form.get_by_label("Detector").select_option("email")
    expect(form).to_contain_text("Finds email addresses")
    form.get_by_role("button", name="Add rule").click()
    rule = page.get_by_test_id("redaction-rule").filter(has_text="emails")
    expect(rule).to_contain_text("masks email addresses in any text")
    expect(page.get_by_role("form", name="New redaction rule")).to_have_count(0)


def send_until_masked(page: Page, slug: str, fluentd: str) -> None:
    """Events with an address until one is stored masked (the receiver learns of the rule
    from the app's profile within seconds, so the first ones may still carry it), then
    until every one sent is searchable, so the logs page's count holds still."""
    deadline = time.monotonic() + SLOW / 1000
    sent = 0
    masked = False
    while True:
        if not masked:
            sent += 1
            send_like_fluentd(fluentd, [{"message": f"signup {sent} from {ADDRESS}"}])
        found = page.request.get(f"/api/v1/apps/{slug}/logs", params={"q": "signup"}).json()
        masked = any(MASK in str(hit["source"]) for hit in found.get("hits", []))
        if masked and found["total"] == sent:
            return
        assert time.monotonic() < deadline, f"not all {sent} events stored, one masked: {found}"
        page.wait_for_timeout(1000)


def delete_the_search(page: Page, slug: str, problems: dict[str, list[str]]) -> None:
    """The delete dialog from the logs page: preview, slug typed, the job followed to done."""
    total = page.get_by_test_id("total").inner_text()
    events = "event" if total == "1" else "events"
    page.get_by_role("button", name="Delete logs…").click()
    dialog = page.get_by_role("dialog", name=f"Delete logs of {slug}")
    expect(dialog.get_by_label("Only events matching (optional)")).to_have_value("signup")
    delete = dialog.get_by_role("button", name=re.compile(r"^Delete .*events$"))
    expect(delete).to_be_disabled()
    dialog.get_by_role("button", name="Preview").click()
    preview = dialog.get_by_test_id("deletion-preview")
    expect(preview).to_have_text(f"{total} {events} will be deleted (whole days dropped: none).")
    expect(delete).to_be_disabled()
    dialog.get_by_label(re.compile("to confirm")).fill(slug[:-1])
    expect(delete).to_be_disabled()
    dialog.get_by_label(re.compile("to confirm")).fill(slug)
    expect(delete).to_be_enabled()
    capture(page, "delete-logs", problems)
    delete.click()
    expect(dialog.get_by_test_id("deletion-progress")).to_have_text(
        f"done: {total} {events} deleted", timeout=SLOW
    )
    dialog.get_by_role("button", name="Close").click()


def test_an_owner_masks_emails_deletes_logs_and_sees_the_storage_quota(
    browser: Browser, services: WebStack
) -> None:
    problems: dict[str, list[str]] = {}
    context = new_context(browser, services)
    page = context.new_page()
    slug, fluentd = sign_up_and_register(page)
    group = page.request.get(f"/api/v1/apps/{slug}").json()["group"]

    add_email_rule(page)
    capture(page, "redactions", problems)

    send_until_masked(page, slug, fluentd)
    page.goto(f"/apps/{slug}/logs?range=1h&q=signup")
    events = page.get_by_role("list", name="Events")
    expect(events).to_contain_text(MASK, timeout=SLOW)
    capture(page, "logs-masked", problems)

    delete_the_search(page, slug, problems)
    page.goto(f"/apps/{slug}")
    job = page.get_by_test_id("deletion-job").first
    expect(job).to_contain_text("done:")
    expect(job).to_contain_text("signup")
    expect(page.get_by_test_id("storage-used")).to_contain_text("storage used")
    capture(page, "app-governance", problems)

    # A superadmin gives the group a limit it is already past, and takes it back.
    admin_context = new_context(browser, services)
    admin = admin_context.new_page()
    admin.goto("/login")
    admin.get_by_label("Email").fill(services.admin_email)
    admin.get_by_label("Password").fill(services.admin_password)
    admin.get_by_role("button", name="Log in").click()
    expect(admin.get_by_role("button", name="Log out")).to_be_visible()
    admin.goto("/admin")
    admin.get_by_label("Group", exact=True).select_option(group)
    quota = admin.get_by_role("form", name=f"Storage limit of {group}")
    quota.get_by_label("New limit (GiB)").fill("0")
    quota.get_by_role("button", name="Set limit").click()
    expect(quota.get_by_role("alert")).to_contain_text("above 0")
    # 1 byte: any index at all is past it.
    quota.get_by_label("New limit (GiB)").fill("0.000000001")
    quota.get_by_role("button", name="Set limit").click()
    expect(quota.get_by_test_id("quota-now")).to_contain_text("set by a superadmin")
    capture(admin, "admin-quota", problems)
    page.goto(f"/groups/{group}")
    expect(page.get_by_test_id("storage-banner")).to_contain_text("over its storage quota")
    capture(page, "group-storage", problems)
    quota.get_by_role("button", name="Back to the templates' sum").click()
    expect(quota.get_by_test_id("quota-now")).to_contain_text("capacity templates")
    admin_context.close()

    # A member reads the rules and is offered no change.
    member_context = new_context(browser, services)
    member = member_context.new_page()
    member_email = sign_up(member)
    page.get_by_label("Invite by email").fill(member_email)
    page.get_by_role("button", name="Invite").click()
    expect(page.get_by_role("region", name="Members of the group")).to_contain_text(member_email)
    member.goto(f"/apps/{slug}/redactions")
    expect(member.get_by_test_id("redaction-rule")).to_contain_text("emails")
    expect(member.get_by_role("button", name="New redaction rule")).to_have_count(0)
    expect(member.get_by_role("button", name=re.compile("^(Edit|Move|Delete)"))).to_have_count(0)
    member.goto(f"/apps/{slug}")
    expect(member.get_by_role("button", name="Delete logs…")).to_have_count(0)
    member_context.close()

    context.close()
    assert not problems, problems
