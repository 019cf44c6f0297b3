"""The Settings editors in a real browser: each page, its JavaScript and htmx parts,
with a screenshot of each (test-artifacts/settings-*.png)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.connectors.email.test_outbound import smtp_server  # noqa: F401 - fixture
from tiski.connectors.models import Mailbox
from tiski.connectors.phone.models import PhoneLine
from tiski.macros.models import Macro
from tiski.sla.models import Calendar, SlaPolicy

from ..conftest import PASSWORD
from .conftest import login, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def new_page(browser, asgi_server):
    """Pages in a Finnish browser, as the desk's users have: 24-hour time inputs."""
    contexts = []

    def make():
        context = browser.new_context(
            base_url=asgi_server, viewport={"width": 1366, "height": 860}, locale="fi-FI"
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def settled(page) -> None:
    expect(page.locator(".htmx-request, .htmx-settling, .htmx-swapping")).to_have_count(0)


def test_mailbox_pages_and_the_test_mail(new_page, admin_user, smtp_server, settings):  # noqa: F811
    settings.TISKI_SMTP_TIMEOUT = 5
    page = new_page()
    login(page, admin_user.email, PASSWORD)
    page.goto("/settings/mailboxes/")
    page.click("#new-mailbox")
    page.fill("#id_address", "tuki@yritys.fi")
    page.fill("#id_display_name", "Yritys Oy")
    # The IMAP fields appear only once IMAP is chosen.
    expect(page.locator("#id_imap_host")).to_be_hidden()
    page.select_option("#id_inbound_method", "imap")
    expect(page.locator("#id_imap_host")).to_be_visible()
    page.click("#save")
    # Not saved: the missing IMAP server is said next to its field.
    expect(page.locator("#field-imap_host .field-error")).to_be_visible()
    screenshot(page, "settings-mailbox-errors")
    page.select_option("#id_inbound_method", "none")
    page.select_option("#id_outbound_method", "smtp")
    page.fill("#id_smtp_host", "127.0.0.1")
    page.fill("#id_smtp_port", str(smtp_server.port))
    page.select_option("#id_smtp_security", "none")
    page.click("#save")
    page.wait_for_url("**/settings/mailboxes/*/")
    mailbox = Mailbox.objects.get()
    assert mailbox.smtp_port == smtp_server.port
    page.fill("#id_to", "anna@example.com")
    page.click("#send-test")
    expect(page.locator("#check-result .check-result.is-ok")).to_be_visible()
    assert [m.rcpt_tos for m in smtp_server.received] == [["anna@example.com"]]
    # Without IMAP there is no inbox to check, and the page says so instead of a button.
    expect(page.locator("#check-inbox")).to_have_count(0)
    screenshot(page, "settings-mailbox-edit")
    page.goto("/settings/mailboxes/")
    expect(page.locator(".settings-table")).to_contain_text("tuki@yritys.fi")
    screenshot(page, "settings-mailbox-list")


def test_phone_line_token_is_shown_once(new_page, admin_user):
    page = new_page()
    login(page, admin_user.email, PASSWORD)
    page.goto("/settings/phone-lines/new/")
    page.fill("#id_name", "Vaihde")
    page.fill("#id_number", "09 123 4567")
    page.click("#save")
    page.wait_for_url("**/settings/phone-lines/*/")
    line = PhoneLine.objects.get()
    expect(page.locator("#token-value")).to_have_value(line.token)
    screenshot(page, "settings-phone-line-token")
    page.reload()
    expect(page.locator("#token-value")).to_have_count(0)
    page.goto("/settings/phone-lines/")
    expect(page.locator(".settings-table")).to_contain_text("+35891234567")
    screenshot(page, "settings-phone-lines")


def test_calendar_week_grid_with_split_shift_and_exceptions(new_page, admin_user):
    page = new_page()
    login(page, admin_user.email, PASSWORD)
    page.goto("/settings/calendars/new/")
    page.fill("#id_name", "Asiakaspalvelu")
    monday = page.locator(".day-row[data-day='0']")
    monday.locator("[data-add-span]").click()
    monday.locator("[data-add-span]").click()
    spans = monday.locator(".span")
    expect(spans).to_have_count(2)
    spans.nth(0).locator("input").nth(0).fill("08:00")
    spans.nth(0).locator("input").nth(1).fill("12:00")
    spans.nth(1).locator("input").nth(0).fill("11:00")
    spans.nth(1).locator("input").nth(1).fill("16:00")
    # The overlap is said while typing, before anything is sent.
    expect(monday.locator("[data-day-errors] .field-error")).to_have_count(1)
    expect(monday).to_have_class(re.compile(r"\bhas-error\b"))
    tuesday = page.locator(".day-row[data-day='1']")
    tuesday.locator("[data-add-span]").click()
    tuesday.locator(".span input").nth(0).fill("09:00")
    tuesday.locator(".span input").nth(1).fill("17:00")
    page.click("[data-add-row='closed-template']")
    page.locator("input[name=closed-date]").fill("2026-12-28")
    # A region list follows the country.
    page.select_option("#id_country", "DE")
    expect(page.locator("#id_subdivision option[value='BY']")).to_have_count(1)
    settled(page)
    page.select_option("#id_country", "FI")
    expect(page.locator("#id_subdivision option[value='BY']")).to_have_count(0)
    settled(page)
    page.click("#save")
    # The overlap is marked on Monday; the rest of what was typed stays.
    expect(page.locator(".day-row[data-day='0'] .field-error")).to_be_visible()
    screenshot(page, "settings-calendar-errors")
    monday = page.locator(".day-row[data-day='0']")
    monday.locator(".span").nth(1).locator("input").nth(0).fill("12:30")
    expect(monday.locator("[data-day-errors] .field-error")).to_have_count(0)
    page.click("#save")
    page.wait_for_url("**/settings/calendars/*/")
    calendar = Calendar.objects.get(name="Asiakaspalvelu")
    assert calendar.weekly_hours == {"0": "08:00-12:00, 12:30-16:00", "1": "09:00-17:00"}
    assert calendar.closed_dates == ["2026-12-28"]
    screenshot(page, "settings-calendar-edit")
    page.goto("/settings/calendars/")
    screenshot(page, "settings-calendars")


def test_sla_policy_editor(new_page, admin_user, make_team):
    make_team("Yritysmyynti")
    Calendar.objects.create(name="Arki", weekly_hours={"0": "08:00-16:00"})
    page = new_page()
    login(page, admin_user.email, PASSWORD)
    page.goto("/settings/sla-policies/new/")
    page.fill("#id_name", "Kiireelliset")
    page.fill("#id_t_urgent_first_reply_h", "1")
    page.fill("#id_t_urgent_first_reply_m", "75")
    page.check("#conditions input[value=urgent]")
    page.click("#save")
    expect(page.locator("#targets .field-error")).to_be_visible()
    screenshot(page, "settings-sla-errors")
    page.fill("#id_t_urgent_first_reply_m", "15")
    page.fill("#id_t_urgent_resolution_h", "8")
    page.click("#save")
    page.wait_for_url("**/settings/sla-policies/")
    policy = SlaPolicy.objects.get(name="Kiireelliset")
    assert policy.targets == {"urgent": {"first_reply": 75, "resolution": 480}}
    screenshot(page, "settings-sla-policies")
    page.goto(f"/settings/sla-policies/{policy.pk}/")
    screenshot(page, "settings-sla-edit")


def test_ready_answer_editor_with_picker_tags_and_preview(new_page, admin_user, make_ticket):
    make_ticket(subject="Paketti kateissa")
    page = new_page()
    login(page, admin_user.email, PASSWORD)
    page.goto("/settings/ready-answers/new/")
    page.fill("#id_name", "Toimitus myöhässä")
    page.fill("#id_shortcut", "myohassa")
    page.fill("#id_text_fi", "Hei ")
    page.click("[data-insert-placeholder='requester.first_name']")
    page.locator("#id_text_fi").press("End")
    page.locator("#id_text_fi").type(", paketti on matkalla.")
    expect(page.locator("#id_text_fi")).to_have_value(
        "Hei {{ requester.first_name }}, paketti on matkalla."
    )
    expect(page.locator("#macro-preview")).to_contain_text("Hei Maija, paketti on matkalla.")
    entry = page.locator("#id_tags-entry")
    entry.fill("toimitus")
    entry.press("Enter")
    entry.fill("Myöhässä")
    entry.press("Enter")
    expect(page.locator(".tag-chip")).to_have_count(2)
    page.select_option("#id_set_status", "pending")
    screenshot(page, "settings-macro-edit")
    page.click("#save")
    page.wait_for_url("**/settings/ready-answers/")
    macro = Macro.objects.get()
    assert macro.add_tags == ["toimitus", "myöhässä"]
    assert macro.set_status == "pending"
    page.fill("#macro-search", "zzz")
    expect(page.locator("#macro-rows")).not_to_contain_text("Toimitus myöhässä")
    page.fill("#macro-search", "myoh")
    expect(page.locator("#macro-rows")).to_contain_text("Toimitus myöhässä")
    screenshot(page, "settings-macros")
