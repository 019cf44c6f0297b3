"""The Settings sections in a real browser, with a screenshot of each page."""

from __future__ import annotations

import struct
import zlib

import pytest
from playwright.sync_api import expect

from tiski.accounts.models import Team, User
from tiski.core.models import DeskSettings
from tiski.tickets import actions
from tiski.tickets.models import Tag, Via

from ..conftest import PASSWORD
from .conftest import login, screenshot

pytestmark = pytest.mark.browser


def png(width: int = 96, height: int = 32) -> bytes:
    """A small two-colour PNG, made by hand (no imaging library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(
        b"\0"
        + b"".join(
            (b"\xf5\xb7\x00" if (x // 16 + y // 16) % 2 else b"\xff\xff\xff") for x in range(width)
        )
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_admin_walks_through_every_settings_section(
    new_page, admin_user, make_user, make_team, make_ticket, tmp_path
):
    make_team("Laskutus")
    make_user(name="Minna Agentti")
    for name in ("lasku", "lasku", "palautus"):
        actions.add_tags(make_ticket(), [name], actor=None, via=Via.SYSTEM)
    page = new_page()
    login(page, admin_user.email, PASSWORD)

    # The first-hour checklist greets the admin on the inbox.
    checklist = page.locator("#onboarding")
    expect(checklist).to_be_visible()
    expect(checklist.locator("[data-step=colleagues].done")).to_have_count(1)
    screenshot(page, "settings-00-inbox-checklist")

    page.click("nav.mainnav a[href='/settings/']")
    page.wait_for_url("**/settings/")
    expect(page.locator(".section-card[data-section=agents]")).to_be_visible()
    screenshot(page, "settings-01-home")

    # General: a name and a logo, shown in the top bar at once.
    page.click(".sidebar a[href='/settings/general/']")
    page.fill("#id_name", "Asiakaspalvelu Oy")
    logo = tmp_path / "logo.png"
    logo.write_bytes(png())
    page.set_input_files("#id_logo", str(logo))
    page.select_option("#id_time_zone", "Europe/Stockholm")
    page.click("form.setup-form button[type=submit]")
    expect(page.locator(".topbar .brand-name")).to_have_text("Asiakaspalvelu Oy")
    expect(page.locator(".topbar img.brand-logo")).to_have_count(1)
    assert DeskSettings.load().time_zone == "Europe/Stockholm"
    screenshot(page, "settings-02-general")

    # Agents: invite someone, with a mistake first.
    page.click(".sidebar a[href='/settings/agents/']")
    screenshot(page, "settings-03-agents")
    page.click("#invite-agent")
    page.fill("#id_email", admin_user.email)
    page.fill("#id_name", "Uusi Kollega")
    page.click("form.setup-form button[type=submit]")
    expect(page.locator("#field-email .field-error")).to_be_visible()
    screenshot(page, "settings-04-invite-error")
    page.fill("#id_email", "uusi@yritys.fi")
    page.check("#field-teams input[type=checkbox]")
    page.click("form.setup-form button[type=submit]")
    expect(page.locator(".setup-warning")).to_be_visible()  # invited, no password yet
    assert not User.objects.get(email="uusi@yritys.fi").has_usable_password()
    screenshot(page, "settings-05-agent-edit")

    # Teams: restrict one; the page warns what that means.
    page.click(".sidebar a[href='/settings/teams/']")
    page.click("tr[data-team] a")
    page.select_option("#id_routing", "round_robin")
    page.check("#id_restricted")
    page.click("form.setup-form button[type=submit]")
    expect(page.locator(".flash-warning")).to_be_visible()
    assert Team.objects.get(name="Laskutus").restricted
    screenshot(page, "settings-06-teams")
    page.click("tr[data-team] a")
    expect(page.locator(".setup-warning")).to_be_visible()
    screenshot(page, "settings-07-team-edit")

    # Ticket types, priority labels.
    page.click(".sidebar a[href='/settings/ticket-types/']")
    screenshot(page, "settings-08-ticket-types")
    page.click(".sidebar a[href='/settings/priorities/']")
    page.fill("#id_urgent_fi", "P1 – heti")
    page.click("form.setup-form button[type=submit]")
    expect(page.locator("#id_urgent_fi")).to_have_value("P1 – heti")
    screenshot(page, "settings-09-priorities")

    # Tags: merge "palautus" into "lasku".
    page.click(".sidebar a[href='/settings/tags/']")
    screenshot(page, "settings-10-tags")
    page.click("tr[data-tag=palautus] a")
    page.fill("#id_target", "lasku")
    page.click("#tag-merge button[type=submit]")
    expect(page.locator("h1 .pill")).to_have_text("lasku")
    assert not Tag.objects.filter(name="palautus").exists()
    screenshot(page, "settings-11-tag")

    page.click(".sidebar a[href='/settings/log/']")
    expect(page.locator(".settings-log tbody tr")).to_have_count(5)
    screenshot(page, "settings-12-log")

    # Hiding the checklist takes it off the inbox.
    page.click(".topbar a.brand")
    page.click("#onboarding-dismiss")
    expect(page.locator("#onboarding")).to_have_count(0)
